"""Writing and verifying the access log (访问日志, issue 4; DESIGN.md "Access log").

:func:`record` appends one entry in the caller's transaction, chained to the head under the append
lock, so concurrent requests and worker processes never fork the chain. :func:`verify` walks the
whole log and names the first bad sequence number (lib/audit_chain.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from juvenile_justice import db
from juvenile_justice.domain.audit import repository as repo
from juvenile_justice.lib import audit_chain as chain
from juvenile_justice.lib.clock import now_utc
from juvenile_justice.lib.crypto import Suite
from juvenile_justice.settings import get_settings


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


def _suite() -> Suite:
    return Suite(get_settings().crypto_suite)


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _fields(row: dict[str, Any]) -> dict[str, chain.FieldValue]:
    return {c: row[c] for c in repo.COLUMNS if c != "seq"}


async def record(event: Event, at: datetime | None = None) -> int:
    """Append ``event``; returns its sequence number. Joins the caller's transaction (one is opened
    when there is none), so the entry commits or rolls back with the change it records.

    Raises:
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
        "request_id": event.request_id,
        "client": event.client,
    }
    async with db.transaction():
        head = await repo.lock_head()
        seq = head[0] + 1 if head else 1
        prev = bytes.fromhex(head[1]) if head else chain.GENESIS
        entry = chain.append(prev, seq, fields, chain.suite_hash(_suite()))
        await repo.insert({"seq": seq, **fields, "prev_hash": prev.hex(), "entry_hash": entry.entry_hash.hex()})
    return seq


def _entry(row: dict[str, Any]) -> chain.ChainEntry:
    def raw(name: str) -> bytes:
        try:
            return bytes.fromhex(str(row[name]))
        except ValueError:
            return b""  # not hex: the entry fails its check

    return chain.ChainEntry(int(row["seq"]), _fields(row), raw("prev_hash"), raw("entry_hash"))


async def verify(batch: int = 5000) -> chain.Verification:
    """Verify the whole log from entry 1, in batches (pruning, which moves the start, comes later)."""
    hash_fn = chain.suite_hash(_suite())
    expected, prev, checked = 1, chain.GENESIS, 0
    pending: list[chain.ChainEntry] = []

    def step() -> chain.Verification:
        nonlocal expected, prev, checked
        result = chain.verify_chain(pending, start_seq=expected, start_prev=prev, hash_fn=hash_fn)
        if result.ok:
            expected, prev = expected + result.checked, result.head
        checked += result.checked
        pending.clear()
        return result

    async for row in repo.entries(batch=batch):
        pending.append(_entry(row))
        if len(pending) >= batch and not (result := step()).ok:
            return chain.Verification(False, checked, result.head, result.first_bad_seq, result.reason)
    result = step()
    if not result.ok:
        return chain.Verification(False, checked, result.head, result.first_bad_seq, result.reason)
    return chain.Verification(True, checked, prev)
