"""Signed checkpoints of the access log, written outside the database (DESIGN.md "Access log";
security.md A4, A6).

A checkpoint states the log id, the number of entries, the chain's head hash and the RFC 9162 Merkle
root of every entry so far, signed with Ed25519 (lib/audit_chain.py). It is written as
``checkpoint-<size>.txt`` into ``JJ_CHECKPOINT_DIR`` when at least ``JJ_CHECKPOINT_ENTRIES`` entries
were added since the last one, or ``JJ_CHECKPOINT_INTERVAL`` seconds passed and the log grew. Each
running service checks every few seconds; several workers may race, and the first file for a size wins
(the others are identical in substance and are not written).

The signing key (``JJ_CHECKPOINT_KEY``, default ``JJ_DATA_DIR/checkpoint-signing.key``, mode 0600) is
made at the first checkpoint with a warning. ``juvenile-justice audit public-key`` prints the public key
an auditor needs to verify checkpoints offline; keep copies of the checkpoints (and the public key) where
whoever administers the database cannot change them.

A checkpoint is never signed over a log that does not verify.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog

from juvenile_justice.domain.audit import repository as repo
from juvenile_justice.domain.audit import service
from juvenile_justice.lib import audit_chain as chain
from juvenile_justice.lib import merkle
from juvenile_justice.lib.clock import now_utc
from juvenile_justice.lib.crypto import Suite, ed25519_generate, ed25519_public
from juvenile_justice.settings import get_settings

log = structlog.get_logger("juvenile_justice.audit")

_PRIVATE_HEADER = "juvenile-justice checkpoint signing key v1"
_PUBLIC_HEADER = "juvenile-justice checkpoint public key v1"
_NAME = re.compile(r"checkpoint-(\d{1,19})\.txt")
POLL_SECONDS = 5.0


class CheckpointKeyError(RuntimeError):
    """The signing key file is unreadable or malformed, or a public key file is."""


# --------------------------------------------------------------------------------------- keys


def _key_path() -> Path:
    return get_settings().checkpoint_key_file


def signing_key(*, create: bool = True) -> tuple[bytes, bytes]:
    """The (private, public) raw Ed25519 key pair; made (0600, with a warning) when missing and ``create``.

    Raises:
        CheckpointKeyError: the file is malformed, or missing and not ``create``.
    """
    path = _key_path()
    if not path.exists():
        if not create:
            raise CheckpointKeyError(f"no checkpoint signing key at {path}")
        private, _ = ed25519_generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker made it first
            return signing_key(create=False)
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{_PRIVATE_HEADER}\n{base64.b64encode(private).decode()}\n")
        log.warning("checkpoint_key_created", path=str(path))
    lines = path.read_text(encoding="ascii", errors="replace").split("\n")
    try:
        if lines[0] != _PRIVATE_HEADER:
            raise ValueError
        private = base64.b64decode(lines[1], validate=True)
        if len(private) != 32:
            raise ValueError
    except (IndexError, ValueError, binascii.Error):
        raise CheckpointKeyError(f"{path} is not a checkpoint signing key") from None
    return private, ed25519_public(private)


def public_key_text(public: bytes) -> str:
    """The public key file an auditor keeps: a header and ``<key id> <base64 key>``."""
    return f"{_PUBLIC_HEADER}\n{chain.key_id(public)} {base64.b64encode(public).decode()}\n"


def read_public_keys(paths: Iterable[Path]) -> dict[str, bytes]:
    """Key id → raw public key from public key files (:func:`public_key_text`; several for a rotation).

    Raises:
        CheckpointKeyError: a file that is not a public key file.
    """
    keys: dict[str, bytes] = {}
    for path in paths:
        try:
            lines = path.read_text(encoding="ascii").strip().split("\n")
            if lines[0] != _PUBLIC_HEADER or len(lines) != 2:
                raise ValueError
            kid, encoded = lines[1].split(" ")
            raw = base64.b64decode(encoded, validate=True)
            if len(raw) != 32 or chain.key_id(raw) != kid:
                raise ValueError
        except (OSError, UnicodeDecodeError, ValueError, binascii.Error):
            raise CheckpointKeyError(f"{path} is not a checkpoint public key file") from None
        keys[kid] = raw
    return keys


# ----------------------------------------------------------------------------------- directory


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A checkpoint file: its path and the size in its name (read with :meth:`read`)."""

    path: Path
    size: int

    def read(self) -> str:
        """The file's text (a file that cannot be read reads as empty text, which fails verification)."""
        try:
            return self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def own_checkpoints(log_id: str) -> list[chain.Checkpoint]:
    """The checkpoints in ``JJ_CHECKPOINT_DIR`` that this service's key signed for ``log_id``, by size
    (others are ignored).

    Raises:
        CheckpointKeyError: there is no signing key.
    """
    _, public = signing_key(create=False)
    keys = {chain.key_id(public): public}
    found = []
    for item in stored():
        try:
            found.append(chain.verify_checkpoint(item.read(), keys, log_id))
        except chain.CheckpointError:
            continue
    return sorted(found, key=lambda c: c.size)


def stored(directory: Path | None = None) -> list[StoredCheckpoint]:
    """The checkpoint files in ``directory`` (default ``JJ_CHECKPOINT_DIR``), by size."""
    folder = directory or get_settings().checkpoint_dir
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _NAME.fullmatch(path.name)
        if match and path.is_file():
            found.append(StoredCheckpoint(path, int(match.group(1))))
    return sorted(found, key=lambda c: c.size)


def _write_once(folder: Path, size: int, text: str) -> Path | None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"checkpoint-{size:012d}.txt"
    tmp = folder / f".{path.name}.{os.getpid()}.tmp"
    tmp.write_text(text, encoding="utf-8")
    try:
        os.link(tmp, path)  # atomic, and fails when another worker wrote this size first
    except FileExistsError:
        return None
    finally:
        tmp.unlink(missing_ok=True)
    return path


# ------------------------------------------------------------------------------------ issuing


class LogTampered(RuntimeError):
    """The log failed verification: no checkpoint is signed."""

    def __init__(self, result: chain.Verification) -> None:
        where = f" at entry {result.first_bad_seq}" if result.first_bad_seq is not None else ""
        super().__init__(f"access log fails verification{where}: {result.reason}")
        self.result = result


async def issue(*, force: bool = False, at: datetime | None = None) -> Path | None:
    """Write a checkpoint when one is due (or when ``force`` and the log grew since the last one).
    Returns the file written, or None.

    Raises:
        LogTampered: the log does not verify.
        CheckpointKeyError: the signing key file is malformed.
    """
    settings = get_settings()
    head = await repo.head()
    size = head[0] if head else 0
    last = await _newest_own()
    if last is not None and last.size > size:
        reason = f"the log has {size} entries, fewer than the {last.size} of its last checkpoint"
        raise LogTampered(chain.Verification(False, 0, b"", size + 1, reason))
    if last is not None and last.size == size:
        return None
    if not force and last is not None:
        age = (now_utc() - last.issued_at).total_seconds()
        if size - last.size < settings.checkpoint_entries and age < settings.checkpoint_interval_seconds:
            return None
    if not force and last is None and size == 0:
        return None
    log_id = await repo.log_id()
    # Only this key's checkpoints: after a key rotation, or with a stray file, the writer keeps signing.
    own = own_checkpoints(log_id) if _key_path().exists() else []
    report, result, state = await _check(own, [], now_utc())  # one walk: checked, then signed
    if not result.ok:  # never sign over a log that does not verify ...
        raise LogTampered(result)
    if own and not report.ok:  # ... or that contradicts what this key signed before
        raise LogTampered(chain.Verification(False, 0, b"", report.first_bad_seq, "; ".join(report.problems)))
    if last is None and stored():  # checkpoints, none of them this key's: the new key starts afresh
        log.warning("checkpoint_key_has_no_earlier_checkpoints", key_id=chain.key_id(signing_key()[1]))
    suite = Suite(get_settings().crypto_suite)
    checkpoint = chain.Checkpoint(log_id, state.size, state.root(), result.head, at or now_utc(), suite)
    private, public = signing_key()
    text = chain.sign_checkpoint(checkpoint, private, public)
    path = _write_once(settings.checkpoint_dir, checkpoint.size, text)
    if path is not None:
        log.info("checkpoint_written", size=checkpoint.size, path=str(path), key_id=chain.key_id(public))
    return path


async def run_forever(poll_seconds: float = POLL_SECONDS) -> None:
    """The service's background task: issue checkpoints when due; failures are logged, never fatal."""
    while True:
        await asyncio.sleep(poll_seconds)
        try:
            await issue()
        except LogTampered as exc:
            log.error("checkpoint_refused_log_tampered", first_bad_seq=exc.result.first_bad_seq)
        except Exception as exc:  # a full disk or a lost database must not end the service
            log.error("checkpoint_failed", error=type(exc).__name__)


# ---------------------------------------------------------------------------------- verifying


@dataclass(frozen=True, slots=True)
class CheckpointReport:
    """The outcome of checking the log against a set of checkpoints."""

    ok: bool
    checked: int
    problems: list[str]
    first_bad_seq: int | None = None


MIN_ANCHOR_AGE_DAYS = 180
"""A retention anchor must be a checkpoint signed at least this long ago (the retention floor, A12)."""


async def verify_against(
    texts: list[StoredCheckpoint], public_keys: dict[str, bytes], *, now: datetime | None = None
) -> CheckpointReport:
    """Check signatures (public keys only, log id pinned to this database's) and that the log holds
    exactly what each checkpoint states: a log shorter than a checkpoint was truncated, a different head
    or root means history before it was rewritten (the first bad entry is then reported as the one after
    the last checkpoint that still matches). After pruning, the retention anchor must be exactly a signed
    checkpoint (same size, root and head) issued at least 180 days before ``now``: a deletion of recent
    history disguised as a prune matches no such checkpoint. Checkpoints before the anchor are covered by
    it. Reports a failure when no checkpoint could be compared at all."""
    log_id = await repo.log_id()
    problems: list[str] = []
    points: list[chain.Checkpoint] = []
    for item in texts:
        try:
            points.append(chain.verify_checkpoint(item.read(), public_keys, log_id))
        except chain.CheckpointError as exc:
            problems.append(f"{item.path.name}: {exc}")
    report, _, _ = await _check(points, problems, now or now_utc())
    return report


async def _check(
    points: list[chain.Checkpoint], problems: list[str], now: datetime
) -> tuple[CheckpointReport, chain.Verification, merkle.CompactRange]:
    """One walk of the log: the report against ``points`` (``problems`` found so far are kept), the chain's
    verification, and the Merkle tree of every entry (what a new checkpoint signs)."""
    result, tree, tree_at = await service.scan(tree=True, sizes={p.size for p in points})
    first_bad = result.first_bad_seq
    if not result.ok:
        problems.append(f"chain: entry {result.first_bad_seq}: {result.reason}")
    anchor = await repo.anchor()
    start = anchor[0] if anchor else 1
    size = result.checked + start - 1 if result.ok else None
    checked, last_good = 0, start - 1
    problems += _order_problems(points)
    if anchor is not None:
        prune_seq = await repo.prune_entry_seq(anchor[0])
        problems += _anchor_problems(anchor[0], prune_seq, points, tree_at, now)
    for point in sorted(points, key=lambda p: p.size):
        if point.size < start - 1:
            continue  # pruned: covered by the anchor's own checkpoint
        state = tree_at.get(point.size)
        if state is None:
            if size is not None and point.size > size:
                problems.append(f"checkpoint at {point.size}: the log has only {size} entries (truncated)")
                first_bad = min(first_bad or size + 1, size + 1)  # the first entry certainly missing
            continue
        root, head = state
        if root != point.root or head != point.head:
            problems.append(
                f"checkpoint at {point.size}: history before it was rewritten (entries {last_good + 1}-{point.size})"
            )
            first_bad = min(first_bad or last_good + 1, last_good + 1)
        else:
            last_good = max(last_good, point.size)
        checked += 1
    if points and not checked and not problems:
        problems.append("no checkpoint could be compared with the log")
    return CheckpointReport(not problems, checked, problems, first_bad), result, tree


def _order_problems(points: list[chain.Checkpoint]) -> list[str]:
    """Checkpoints are signed as the log grows: a larger one dated before a smaller one was back-dated."""
    problems = []
    ordered = sorted(points, key=lambda p: (p.size, p.issued_at))
    for earlier, later in itertools.pairwise(ordered):
        if later.size > earlier.size and later.issued_at < earlier.issued_at:
            problems.append(
                f"checkpoint at {later.size} is dated before the one at {earlier.size}: checkpoints out of order"
            )
    return problems


def _anchor_problems(
    start: int,
    prune_seq: int | None,
    points: list[chain.Checkpoint],
    tree_at: dict[int, tuple[bytes, bytes]],
    now: datetime,
) -> list[str]:
    """An anchor is a prune only when (1) it is exactly a signed checkpoint C, (2) C is 180 days old now,
    (3) the log holds the prune's own entry after it, and (4) the first checkpoint that covers that entry
    was signed at least 180 days after C (a prune made at the time it claims, not later dressed up)."""
    here = f"retention anchor at entry {start}"
    matching = [p for p in points if p.size == start - 1]
    state = tree_at.get(start - 1)
    if not matching or state is None:
        return [f"{here}: no signed checkpoint of size {start - 1} (not a prune)"]
    cut = [p for p in matching if p.root == state[0] and p.head == state[1]]
    if not cut:
        return [f"{here}: does not match the signed checkpoint of size {start - 1}"]
    signed = min(p.issued_at for p in cut)
    if (now - signed).days < MIN_ANCHOR_AGE_DAYS:
        return [f"{here}: its checkpoint is younger than {MIN_ANCHOR_AGE_DAYS} days"]
    if prune_seq is None:
        return [f"{here}: the log holds no audit.prune entry for it (not a prune)"]
    covering = [p for p in points if p.size >= prune_seq]
    if covering:
        first = min(covering, key=lambda p: p.size)
        if (first.issued_at - signed).days < MIN_ANCHOR_AGE_DAYS:
            return [f"{here}: pruned within {MIN_ANCHOR_AGE_DAYS} days of its checkpoint (entries too young)"]
    return []


async def _newest_own() -> chain.Checkpoint | None:
    """This key's newest checkpoint of this log (files of other keys, other logs and junk are skipped)."""
    found = await newest_own_signed()
    return found[0] if found else None


async def newest_own_signed() -> tuple[chain.Checkpoint, str] | None:
    """This key's newest checkpoint of this log and its signed text (as in its file), or None."""
    if not _key_path().exists():
        return None
    _, public = signing_key(create=False)
    keys, log_id = {chain.key_id(public): public}, await repo.log_id()
    for item in reversed(stored()):
        text = item.read()
        try:
            return chain.verify_checkpoint(text, keys, log_id), text
        except chain.CheckpointError:
            continue
    return None
