"""Writing and verifying the access log (访问日志, issue 4; DESIGN.md "Access log").

:func:`record` appends one entry in the caller's transaction, chained to the head under the append
lock, so concurrent requests and worker processes never fork the chain. :func:`verify` walks the
whole log and names the first bad sequence number (lib/audit_chain.py).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from juvenile_justice import db
from juvenile_justice.domain.audit import repository as repo
from juvenile_justice.lib import audit_chain as chain
from juvenile_justice.lib import merkle, request_context
from juvenile_justice.lib.clock import now_utc
from juvenile_justice.lib.crypto import Suite
from juvenile_justice.lib.errors import DomainError
from juvenile_justice.lib.security import Principal
from juvenile_justice.settings import get_settings

log = structlog.get_logger("juvenile_justice.audit")

OUTCOMES = ("allowed", "refused", "failed")
"""API.md: the outcome of an access-log entry."""

READ_VERBS = frozenset({"read", "list", "lookup", "hit", "export", "download", "check"})
"""The last part of an action that reads records (``person.read``, ``person.lookup.hit``): counted
for the reads-per-minute and off-hours flags."""


class AuditUnavailable(DomainError):
    """503: the access log cannot be written, so the protected read is refused (fail closed, A2)."""

    status = 503
    title = "Service Unavailable"


@dataclass(frozen=True, slots=True)
class Event:
    """What happened: ``action`` (e.g. ``person.read``), ``outcome`` (``allowed``, ``refused``, ``failed``),
    who (actor user name, role, unit id), on what (``target``, e.g. ``person:17``), on what authority
    (``purpose`` or grant id), and the request (id, client address). Never personal data in clear:
    search terms and ID numbers are given as keyed hashes by the caller."""

    action: str
    outcome: str
    actor: str | None = None
    role: str | None = None
    unit: int | None = None
    target: str | None = None
    purpose: str | None = None
    request_id: str | None = None
    client: str | None = None
    record_unit: int | None = None


def suite() -> Suite:
    """The configured crypto suite, whose hash chains the log (``JJ_CRYPTO_SUITE``)."""
    return Suite(get_settings().crypto_suite)


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _fields(row: dict[str, Any]) -> dict[str, chain.FieldValue]:
    """The hashed fields of a stored row. Columns added after the first version (``record_unit``)
    are hashed only when set, so entries written before they existed still verify."""
    return {c: row[c] for c in repo.COLUMNS if c != "seq" and not (c in repo.LATER_COLUMNS and row.get(c) is None)}


async def record(event: Event, at: datetime | None = None) -> int:
    """Append ``event``; returns its sequence number. Joins the caller's transaction (one is opened
    when there is none), so the entry commits or rolls back with the change it records.

    Raises:
        AuditUnavailable: the entry could not be written (503; the caller's transaction rolls back, so
            neither a change nor a protected read goes ahead without its entry: fail closed).
        ChainError: a field of the wrong kind (a programming error, never client input).
    """
    fields: dict[str, chain.FieldValue] = {
        "at": _stamp(at or now_utc()),
        "actor": event.actor,
        "role": event.role,
        "unit": event.unit,
        "action": event.action,
        "target": event.target,
        "purpose": event.purpose,
        "outcome": event.outcome,
        "request_id": event.request_id or request_context.request_id.get(),
        "client": event.client or request_context.client_address.get(),
    }
    if event.record_unit is not None:
        fields["record_unit"] = event.record_unit
    try:
        async with db.transaction():
            head = await repo.lock_head()
            seq = head[0] + 1 if head else 1
            prev = bytes.fromhex(head[1]) if head else chain.GENESIS
            entry = chain.append(prev, seq, fields, chain.suite_hash(suite()))
            await repo.insert({"seq": seq, **fields, "prev_hash": prev.hex(), "entry_hash": entry.entry_hash.hex()})
    except chain.ChainError:
        raise
    except Exception as exc:  # the database refused or is gone: whatever the cause, the caller fails closed
        log.error("access_log_write_failed", action=event.action, error=type(exc).__name__)
        raise AuditUnavailable(
            "访问日志无法写入，操作已拒绝 / the access log cannot be written, so this is refused"
        ) from None
    return seq


async def access(
    p: Principal | None,
    action: str,
    outcome: str = "allowed",
    target: str | None = None,
    *,
    record_unit: int | None = None,
    purpose: str | None = None,
) -> int:
    """Log what principal ``p`` did (request id and client address from the current request).

    Joins the caller's transaction: a change and its entry commit together. ``record_unit`` is the
    unit owning ``target`` (auditors of that unit and above see the entry, API.md).
    """
    return await record(
        Event(
            action=action,
            outcome=outcome,
            actor=p.username if p else None,
            role=p.role if p else None,
            unit=p.unit_id if p else None,
            target=target,
            purpose=purpose,
            record_unit=record_unit,
        )
    )


def operator() -> str:
    """The actor of a command-line action: the operating-system user (``os:<name>``)."""
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"os:uid{os.getuid()}"


async def admin_action(
    action: str, target: str | None, purpose: str | None = None, unit: int | None = None, *, outcome: str = "allowed"
) -> int:
    """Log an administrative command (``users.add``, ``units.set``, ``keys.rotate``...) by the operator
    (role ``operator``) in the caller's transaction (security.md A11: every admin action is audited)."""
    return await record(
        Event(
            action=action,
            outcome=outcome,
            actor=operator(),
            role="operator",
            target=target,
            purpose=purpose,
            record_unit=unit,
        )
    )


async def protected_read(
    p: Principal,
    action: str,
    target: str,
    *,
    record_unit: int | None,
    purpose: str | None = None,
) -> int:
    """Log a read of personal or sealed data before it is answered; refuse it when the entry cannot
    be written (fail closed, DESIGN.md "Access log", security.md A2).

    Raises:
        AuditUnavailable: the log could not be written (503; the read must not be answered).
    """
    return await access(p, action, "allowed", target, record_unit=record_unit, purpose=purpose)


OwnerResolver = Callable[[int], Awaitable[int | None]]
OWNER_RESOLVERS: dict[str, OwnerResolver] = {}
"""Target kind (``case``, ``person``...) → a function giving the unit that owns a record of that kind, so
that refused attempts on a record are shown to its unit's auditors; each domain registers its kinds."""


RecordFinder = Callable[[str, list[int]], Awaitable[list[str]]]
RECORD_FINDERS: dict[str, RecordFinder] = {}
"""Search kind (``id_number``) → a function giving the targets (``person:17``, ``case:4``) of the records
about that value in the given units, for the auditors' search; each domain registers its own."""


async def refusal(p: Principal, action: str, target: str | None, status: int = 403) -> None:
    """Log a refused attempt (403, or 404 for a record of another unit), with the unit owning the target
    when it can be told; never raises (the refusal is answered whatever happens here, and a failure to log
    it is itself logged)."""
    try:
        record_unit = None
        kind, _, ident = (target or "").partition(":")
        if kind in OWNER_RESOLVERS and ident.isascii() and ident.isdigit() and len(ident) < 11:
            record_unit = await OWNER_RESOLVERS[kind](int(ident))
        await access(p, action, "refused", target, record_unit=record_unit, purpose=f"http {status}")
    except Exception as exc:  # a refusal is answered even when it cannot be logged
        log.error("access_log_write_failed", action=action, error=type(exc).__name__)


def stored_entry(row: dict[str, Any]) -> chain.ChainEntry:
    """A stored row as a chain entry (hex hashes decoded; malformed hex fails the entry's check)."""

    def raw(name: str) -> bytes:
        value = row[name]
        try:
            return bytes.fromhex(value) if type(value) is str else b""
        except ValueError:
            return b""  # not hex: the entry fails its check

    seq = row["seq"]
    if type(seq) is not int:  # a malformed sequence number: reported at the position it holds
        seq = 2**63 - 1
    return chain.ChainEntry(seq, _fields(row), raw("prev_hash"), raw("entry_hash"))


def entry_hash_matches(row: dict[str, Any]) -> bool:
    """True when the stored entry's hash recomputes from its fields and ``prev_hash`` (one entry alone;
    :func:`verify` checks the links between entries)."""
    e = stored_entry(row)
    try:
        body = chain.canonical(e.seq, e.fields)
    except chain.ChainError:
        return False
    return chain.link(e.prev_hash, body, chain.suite_hash(suite())) == e.entry_hash


async def verify(batch: int = 5000) -> chain.Verification:
    """Verify the whole log, in batches: from entry 1, or after pruning from the retention anchor (the
    first kept entry's number and the hash before it, recorded by ``audit prune``, retention.py)."""
    result, _, _ = await scan(batch=batch)
    return result


async def scan(
    *, tree: bool = False, sizes: frozenset[int] | set[int] = frozenset(), batch: int = 5000
) -> tuple[chain.Verification, merkle.CompactRange, dict[int, tuple[bytes, bytes]]]:
    """Walk the whole log once: verify the chain and, with ``tree``, build the RFC 9162 Merkle tree of
    every entry (from the retention anchor's peaks after pruning). Returns the verification, the tree
    (empty without ``tree``), and for each of ``sizes`` reached, (Merkle root, head hash) at that size.

    ``Verification.checked`` counts the entries walked (after the anchor, if pruned).
    """
    hash_fn = chain.suite_hash(suite())
    anchor = await repo.anchor()
    expected, prev, checked = 1, chain.GENESIS, 0
    state = merkle.CompactRange(hash_fn)
    if anchor is not None:
        try:
            if anchor[0] < 2:
                raise ValueError("start")
            expected, prev = anchor[0], bytes.fromhex(anchor[1])
            if len(prev) != len(chain.GENESIS):
                raise ValueError(anchor[1])
            if tree:
                state = merkle.CompactRange.decode(anchor[2], hash_fn)
                if state.size != anchor[0] - 1:
                    raise ValueError(anchor[2])
        except (ValueError, merkle.ProofError):
            bad = chain.Verification(False, 0, chain.GENESIS, max(anchor[0], 1), "the retention anchor is malformed")
            return bad, merkle.CompactRange(hash_fn), {}
    at_sizes: dict[int, tuple[bytes, bytes]] = {}
    if tree and state.size in sizes:
        at_sizes[state.size] = (state.root(), prev)
    pending: list[chain.ChainEntry] = []

    def step() -> chain.Verification:
        nonlocal expected, prev, checked
        result = chain.verify_chain(pending, start_seq=expected, start_prev=prev, hash_fn=hash_fn)
        good = pending[: result.checked]
        if tree:
            for e in good:
                state.append(merkle.leaf_hash(chain.canonical(e.seq, e.fields), hash_fn))
                if e.seq in sizes:
                    at_sizes[e.seq] = (state.root(), e.entry_hash)
        if result.ok:
            expected, prev = expected + result.checked, result.head
        checked += result.checked
        pending.clear()
        return result

    async for row in repo.entries(batch=batch):
        pending.append(stored_entry(row))
        if len(pending) >= batch and not (result := step()).ok:
            return chain.Verification(False, checked, result.head, result.first_bad_seq, result.reason), state, at_sizes
    result = step()
    if not result.ok:
        return chain.Verification(False, checked, result.head, result.first_bad_seq, result.reason), state, at_sizes
    return chain.Verification(True, checked, prev), state, at_sizes
