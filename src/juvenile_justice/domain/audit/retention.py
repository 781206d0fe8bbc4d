"""Retention of the access log: ``audit prune``, the one sanctioned deletion (security.md A12).

Entries are kept at least :data:`MIN_RETENTION_DAYS` (180 days: CSL Art. 21(3) six months) and by default
:data:`DEFAULT_RETENTION_DAYS` (3 years). Pruning cuts at a signed checkpoint: it deletes the entries up to
the newest checkpoint issued before the cut-off day (China Standard Time), after checking that the log
still holds exactly what that checkpoint states, and records a retention anchor: the first kept entry,
the hash before it, and the Merkle peaks of everything deleted, so that what remains still verifies as a
chain and every later checkpoint still checks. Verifiers accept an anchor only when it is such a
checkpoint, signed at least 180 days before (checkpoints.py), so recent history cannot be deleted in the
guise of a prune. The prune (refused or not) is itself an entry of the log. A log that does not verify is
never pruned (the evidence would go with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from juvenile_justice import db
from juvenile_justice.domain.audit import checkpoints, service
from juvenile_justice.domain.audit import repository as repo
from juvenile_justice.lib import audit_chain as chain
from juvenile_justice.lib import merkle
from juvenile_justice.lib.clock import now_utc, today_china
from juvenile_justice.lib.errors import Conflict, ValidationFailed

MIN_RETENTION_DAYS = 180
DEFAULT_RETENTION_DAYS = 3 * 365


@dataclass(frozen=True, slots=True)
class PruneReport:
    """How many entries were deleted, and the first entry kept."""

    deleted: int
    start_seq: int


def _utc_stamp(day: date) -> str:
    moment = datetime.combine(day, time(0), tzinfo=UTC) - timedelta(hours=8)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def prune(before: date | None = None, *, today: date | None = None) -> PruneReport:
    """Delete the entries written before ``before`` (default: today minus 3 years).

    Raises:
        ValidationFailed: ``before`` is less than 180 days ago (field ``before``).
        Conflict: the log does not verify (nothing is deleted).
    """
    today = today or today_china()
    before = before or today - timedelta(days=DEFAULT_RETENTION_DAYS)
    if before.year < 2000:
        raise ValidationFailed.one("before", "日期无效 / a date from 2000 on")
    if before > today - timedelta(days=MIN_RETENTION_DAYS):
        await service.admin_action("audit.prune", "access_log", f"before:{before.isoformat()}", outcome="refused")
        raise ValidationFailed.one(
            "before",
            f"日志至少保存{MIN_RETENTION_DAYS}天 / entries are kept at least {MIN_RETENTION_DAYS} days: "
            f"the latest allowed date is {today - timedelta(days=MIN_RETENTION_DAYS)}",
        )
    hash_fn = chain.suite_hash(service.suite())
    async with db.transaction():
        head = await repo.lock_head()
        if head is None:
            await service.admin_action("audit.prune", "access_log", f"before:{before.isoformat()},deleted:0")
            return PruneReport(0, 1)
        anchor = await repo.anchor()
        current_start = anchor[0] if anchor else 1
        cutoff = datetime.strptime(_utc_stamp(before), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        try:
            signed = checkpoints.own_checkpoints(await repo.log_id())
        except checkpoints.CheckpointKeyError:
            signed = []
        candidates = [c for c in signed if c.issued_at < cutoff and current_start <= c.size < head[0]]
        boundary = None
        for c in sorted(candidates, key=lambda c: c.size, reverse=True):  # the newest whose entries are all old
            latest = await repo.latest_at_up_to(c.size)
            if latest is not None and latest < _utc_stamp(before):
                boundary = c
                break
        if boundary is None:  # pruning cuts at a checkpoint signed before the cut-off; there is none
            await service.admin_action("audit.prune", "access_log", f"before:{before.isoformat()},deleted:0")
            return PruneReport(0, current_start)
        start_seq = boundary.size + 1
        result = await service.verify()
        if not result.ok:
            raise Conflict(
                f"the access log fails verification at entry {result.first_bad_seq} ({result.reason}); "
                "nothing was pruned"
            )
        tree = merkle.CompactRange.decode(anchor[2], hash_fn) if anchor else merkle.CompactRange(hash_fn)
        prev = bytes.fromhex(anchor[1]) if anchor else chain.GENESIS
        async for row in repo.entries(after_seq=current_start - 1, batch=5000):
            if int(row["seq"]) >= start_seq:
                break
            entry = service.stored_entry(row)
            tree.append(merkle.leaf_hash(chain.canonical(entry.seq, entry.fields), hash_fn))
            prev = entry.entry_hash
        if tree.size != boundary.size or tree.root() != boundary.root or prev != boundary.head:
            raise Conflict(
                f"the access log does not match its checkpoint at {boundary.size} entries; nothing was pruned"
            )
        deleted = await repo.prune_below(
            start_seq,
            {
                "start_seq": start_seq,
                "prev_hash": prev.hex(),
                "peaks": tree.encode(),
                "pruned_before": before.isoformat(),
                "pruned_at": now_utc().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            },
        )
        await service.admin_action(
            "audit.prune", f"access_log:{start_seq}", f"before:{before.isoformat()},deleted:{deleted}"
        )
    return PruneReport(deleted, start_seq)
