"""The access log's hash chain and signed checkpoints (issue 4; DESIGN.md "Access log"; security.md §2.7).

Entries::

    canonical(seq, fields) = JSON of {"seq": seq, **fields}: keys sorted, no spaces, UTF-8; values are
                             text, integers or null only (control characters are escaped by JSON,
                             so an entry is always one well-formed line: no log injection, A10)
    entry_hash             = H(prev_hash || canonical)        prev_hash of entry 1 = 32 zero bytes
    leaf                   = RFC 9162 leaf hash of canonical (lib/merkle.py)

``H`` is the suite's hash (SHA-256, or SM3 for the national suite). :func:`verify_chain` walks entries
in order and names the first bad sequence number: a changed entry fails its hash, a missing,
duplicated, inserted or reordered one breaks the sequence or the link to its predecessor.

A plain hash chain can be recomputed by whoever can write the log. Checkpoints bound that: at an
interval, the log id, size, head hash and Merkle root are signed with Ed25519 and written outside the
database; :func:`verify_against_checkpoint` finds a log that was rewritten or truncated before a
checkpoint. What happens after the last checkpoint is not detectable without the next one (the
known limit, security.md §2.7, pinned by a test).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import msgspec

from juvenile_justice.lib import merkle
from juvenile_justice.lib.crypto import Suite, ed25519_sign, ed25519_verify, hash_digest

GENESIS = bytes(32)
"""The ``prev_hash`` of the first entry."""

FieldValue = str | int | None
HashFn = Callable[[bytes], bytes]


class ChainError(ValueError):
    """An entry that cannot be written as given (a field name or value of the wrong kind)."""


class CheckpointError(ValueError):
    """A checkpoint that is malformed, from another log, or not signed by a known key."""


def suite_hash(suite: Suite) -> HashFn:
    """The hash function of ``suite`` (SHA-256 for ``aes``, SM3 for ``sm``)."""
    if suite is Suite.AES:
        return merkle.sha256
    return lambda data: hash_digest(Suite.SM, data)


_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def canonical(seq: int, fields: Mapping[str, FieldValue]) -> bytes:
    """The canonical bytes of entry ``seq`` with ``fields`` (see the module docstring).

    Raises:
        ChainError: a field name that is not lower-case ``[a-z][a-z0-9_]*`` (``seq`` is reserved), or a
            value that is not text, an integer or None; text with a lone surrogate.
    """
    if type(seq) is not int or seq < 1:
        raise ChainError("seq must be a positive integer")
    for name, value in fields.items():
        if name == "seq" or not _FIELD_NAME.fullmatch(name):
            raise ChainError(f"bad field name {name!r}")
        if value is not None and type(value) not in (str, int):
            raise ChainError(f"field {name}: text, integer or null only")
        if type(value) is int and not -(2**63) <= value < 2**63:
            raise ChainError(f"field {name}: integers are 64-bit")
    try:
        return _ENCODER.encode({"seq": seq, **fields})
    except (UnicodeEncodeError, msgspec.EncodeError):
        raise ChainError("a field holds text that is not valid Unicode") from None


_ENCODER = msgspec.json.Encoder(order="sorted")
"""msgspec's encoder writes byte for byte what ``json.dumps(…, sort_keys=True, separators=(",", ":"),
ensure_ascii=False).encode()`` writes for these values (checked by a property test against the standard
library, tests/lib/test_audit_chain.py), about seven times faster: verification is mostly encoding."""


def link(prev_hash: bytes, canonical_entry: bytes, hash_fn: HashFn = merkle.sha256) -> bytes:
    """``H(prev_hash || canonical_entry)``."""
    return hash_fn(prev_hash + canonical_entry)


@dataclass(frozen=True, slots=True)
class ChainEntry:
    """A stored entry: its sequence number, fields and the two hashes."""

    seq: int
    fields: Mapping[str, FieldValue]
    prev_hash: bytes
    entry_hash: bytes


def append(prev_hash: bytes, seq: int, fields: Mapping[str, FieldValue], hash_fn: HashFn = merkle.sha256) -> ChainEntry:
    """The entry ``seq`` with ``fields`` chained after ``prev_hash``."""
    return ChainEntry(seq, dict(fields), prev_hash, link(prev_hash, canonical(seq, fields), hash_fn))


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of a verification: ``ok``, entries checked, the head hash reached, and on failure
    the first bad sequence number and why."""

    ok: bool
    checked: int
    head: bytes
    first_bad_seq: int | None = None
    reason: str | None = None


def verify_chain(
    entries: Iterable[ChainEntry],
    *,
    start_seq: int = 1,
    start_prev: bytes = GENESIS,
    hash_fn: HashFn = merkle.sha256,
) -> Verification:
    """Walk ``entries`` in storage order from ``start_seq`` (after ``start_prev``) and check every link.

    ``first_bad_seq`` is exact for a single changed, deleted, duplicated, inserted or reordered entry:
    the changed entry's number; the number of the entry that is missing; the number that appears
    twice; the first of two swapped numbers.
    """
    expected, prev, checked = start_seq, start_prev, 0
    for entry in entries:
        if entry.seq != expected:
            bad = min(expected, entry.seq)
            why = "missing entry" if entry.seq > expected else "duplicated, inserted or reordered entry"
            return Verification(False, checked, prev, bad, why)
        if not hmac.compare_digest(entry.prev_hash, prev):
            return Verification(False, checked, prev, entry.seq, "does not link to the entry before")
        try:
            body = canonical(entry.seq, entry.fields)
        except ChainError:
            return Verification(False, checked, prev, entry.seq, "malformed entry")
        if not hmac.compare_digest(link(prev, body, hash_fn), entry.entry_hash):
            return Verification(False, checked, prev, entry.seq, "entry changed")
        prev, expected, checked = entry.entry_hash, expected + 1, checked + 1
    return Verification(True, checked, prev)


# ----------------------------------------------------------------------------------- checkpoints

_HEADER = "juvenile-justice access log checkpoint v1"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The state of the log at ``size`` entries: head hash of the chain and Merkle root of the leaves."""

    log_id: str
    size: int
    root: bytes
    head: bytes
    issued_at: datetime
    suite: Suite

    def body(self) -> bytes:
        """The signed text."""
        stamp = self.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        lines = [
            _HEADER,
            f"log {self.log_id}",
            f"suite {self.suite.value}",
            f"size {self.size}",
            f"root {self.root.hex()}",
            f"head {self.head.hex()}",
            f"time {stamp}",
        ]
        return ("\n".join(lines) + "\n").encode("ascii")


def key_id(public_key: bytes) -> str:
    """A checkpoint key's id: the first 8 hex digits of SHA-256 of the raw public key."""
    return merkle.sha256(public_key).hex()[:8]


def sign_checkpoint(checkpoint: Checkpoint, private_key: bytes, public_key: bytes) -> str:
    """The checkpoint as text: its body, a blank line, and ``— <key id> <base64 signature>``."""
    if not re.fullmatch(r"[A-Za-z0-9._:-]{1,100}", checkpoint.log_id):
        raise CheckpointError("a log id is 1-100 characters of letters, digits and ._:-")
    body = checkpoint.body()
    signature = base64.b64encode(ed25519_sign(private_key, body)).decode("ascii")
    return body.decode("ascii") + f"\n— {key_id(public_key)} {signature}\n"


_LINE = {
    "log": r"[A-Za-z0-9._:-]{1,100}",
    "suite": r"aes|sm",
    "size": r"0|[1-9][0-9]{0,18}",
    "root": r"[0-9a-f]{64}",
    "head": r"[0-9a-f]{64}",
    "time": r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z",
}


def verify_checkpoint(text: str, public_keys: Mapping[str, bytes], log_id: str) -> Checkpoint:
    """Parse and check a signed checkpoint with the public keys alone (security.md A6).

    ``public_keys`` maps key ids (:func:`key_id`) to raw Ed25519 public keys; ``log_id`` is pinned.

    Raises:
        CheckpointError: malformed text, another log's checkpoint, an unknown key, a bad signature.
    """
    body_text, sep, signature_line = text.partition("\n\n")
    if not sep or not signature_line.endswith("\n") or signature_line.count("\n") != 1:
        raise CheckpointError("not a checkpoint: body, blank line and one signature line expected")
    lines = body_text.split("\n")
    if len(lines) != 1 + len(_LINE) or lines[0] != _HEADER:
        raise CheckpointError("not a version-1 checkpoint")
    values: dict[str, str] = {}
    for line, name in zip(lines[1:], _LINE, strict=True):
        label, _, value = line.partition(" ")
        if label != name or not re.fullmatch(_LINE[name], value):
            raise CheckpointError(f"bad checkpoint line {name!r}")
        values[name] = value
    parts = signature_line.rstrip("\n").split(" ")
    if len(parts) != 3 or parts[0] != "—":
        raise CheckpointError("bad signature line")
    public = public_keys.get(parts[1])
    if public is None:
        raise CheckpointError(f"checkpoint signed by unknown key {parts[1]!r}")
    try:
        signature = base64.b64decode(parts[2], validate=True)
    except (binascii.Error, ValueError):
        raise CheckpointError("the signature is not base64") from None
    body = (body_text + "\n").encode("ascii", errors="replace")
    if not ed25519_verify(public, signature, body):
        raise CheckpointError("the checkpoint's signature does not verify")
    if values["log"] != log_id:
        raise CheckpointError(f"checkpoint of another log ({values['log']!r})")
    return Checkpoint(
        log_id=values["log"],
        size=int(values["size"]),
        root=bytes.fromhex(values["root"]),
        head=bytes.fromhex(values["head"]),
        issued_at=datetime.strptime(values["time"], "%Y-%m-%dT%H:%M:%S%z"),
        suite=Suite(values["suite"]),
    )


def checkpoint_of(
    entries: Sequence[ChainEntry], log_id: str, issued_at: datetime, suite: Suite = Suite.AES
) -> Checkpoint:
    """The checkpoint of a whole (verified) log ``entries``."""
    hash_fn = suite_hash(suite)
    leaves = [merkle.leaf_hash(canonical(e.seq, e.fields), hash_fn) for e in entries]
    head = entries[-1].entry_hash if entries else GENESIS
    return Checkpoint(log_id, len(entries), merkle.root(leaves, hash_fn), head, issued_at, suite)


def verify_against_checkpoint(entries: Sequence[ChainEntry], checkpoint: Checkpoint) -> Verification:
    """Check the chain, then that its first ``checkpoint.size`` entries are the checkpointed ones.

    A log shorter than the checkpoint was truncated; a different head hash or Merkle root at that
    size means history before the checkpoint was rewritten (even with every hash recomputed).
    """
    hash_fn = suite_hash(checkpoint.suite)
    chain = verify_chain(entries, hash_fn=hash_fn)
    if not chain.ok:
        return chain
    if len(entries) < checkpoint.size:
        return Verification(False, chain.checked, chain.head, len(entries) + 1, "truncated before the checkpoint")
    prefix = entries[: checkpoint.size]
    head = prefix[-1].entry_hash if prefix else GENESIS
    leaves = [merkle.leaf_hash(canonical(e.seq, e.fields), hash_fn) for e in prefix]
    if not hmac.compare_digest(head, checkpoint.head) or not hmac.compare_digest(
        merkle.root(leaves, hash_fn), checkpoint.root
    ):
        return Verification(False, chain.checked, chain.head, None, "history before the checkpoint was rewritten")
    return chain
