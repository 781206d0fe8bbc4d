"""The auditors' signed access-log report (访问日志审计报告, issue 5), issued as a numbered document.

For a period and the auditors' filters, the report gives the counts (by outcome, by action, flagged),
lists the newest entries (at most :data:`LISTED`; the CSV export has them all), the result of a full
verification of the chain, and the newest signed checkpoint (one is signed for the current log first, so
the head hash printed is covered by a signature). Its figures are summed up in a statement (plain text,
printed on the report and in its metadata) signed with the checkpoint key: anyone holding the public key
(``audit public-key``) can check it (docs/operations.md "Access-log reports").
"""

from __future__ import annotations

import base64
import dataclasses
from datetime import date, timedelta
from typing import Any

from juvenile_justice.domain.accounts import repository as accounts
from juvenile_justice.domain.audit import checkpoints, queries
from juvenile_justice.domain.audit import service as audit
from juvenile_justice.domain.documents import repository as repo
from juvenile_justice.domain.documents import service
from juvenile_justice.lib import audit_chain as chain
from juvenile_justice.lib.clock import china_time, today_china
from juvenile_justice.lib.crypto import ed25519_sign
from juvenile_justice.lib.errors import NotFound, ValidationFailed
from juvenile_justice.lib.security import Principal

ACCESS_LOG_REPORT = service.register(
    service.DocumentKind("access_log_report", "访问日志审计报告", "审计", "access_log_report.html")
)
LISTED = 200
"""Entries listed on a report (the newest); the counts and the entries' digest cover all of them."""
SCAN_LIMIT = 200_000
"""A report covers at most this many entries (narrow the period or the filters beyond)."""
MAX_DAYS = 366

OUTCOME_LABELS = {"allowed": "允许", "refused": "拒绝", "failed": "失败"}
FILTER_LABELS = {
    "actor": "操作者",
    "record_id": "记录",
    "target": "对象",
    "unit": "单位",
    "outcome": "结果",
    "action": "操作",
}


def _period(start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed.one("to", "结束日期早于开始日期 / to is before from")
    if end > today_china():
        raise ValidationFailed.one("to", "不能晚于今天 / must not be after today (China Standard Time)")
    if (end - start).days >= MAX_DAYS:
        raise ValidationFailed.one("to", f"一份报告最多覆盖{MAX_DAYS}天 / a report covers at most {MAX_DAYS} days")


def _filter_lines(f: queries.Filters, unit_names: dict[int, str]) -> list[list[str]]:
    def shown(name: str, value: Any) -> str:
        if name == "outcome":
            return OUTCOME_LABELS.get(value, value)
        if name == "unit":
            return unit_names.get(value, str(value))
        return str(value)

    lines = [
        [label, shown(name, getattr(f, name))] for name, label in FILTER_LABELS.items() if getattr(f, name) is not None
    ]
    if f.flagged:
        lines.append(["异常标记", "仅含标记的记录"])
    return lines


def _statement(unit: str, start: date, end: date, f: queries.Filters, totals: dict[str, Any]) -> str:
    filters = " ".join(f"{name}={getattr(f, name)}" for name in FILTER_LABELS if getattr(f, name) is not None)
    lines = [
        "juvenile-justice access-log report v1",
        f"unit {unit}",
        f"period {start.isoformat()} {end.isoformat()}",
        f"filters {filters + (' flagged' if f.flagged else '') or '-'}",
        f"entries {totals['total']} allowed {totals['allowed']} refused {totals['refused']} failed {totals['failed']}",
        f"entries-digest {totals['digest']}",
        f"log-valid {'yes' if totals['valid'] else 'no'} size {totals['size']} head {totals['head']}",
        f"checkpoint {totals['checkpoint']}",
    ]
    return "\n".join(lines) + "\n"


async def _signed_checkpoint() -> tuple[str | None, str | None]:
    """A checkpoint of the current log (signed now when the log grew) and its text; and the reason when
    none could be signed (the log does not verify, or there is no key)."""
    problem = None
    try:
        await checkpoints.issue(force=True)
    except checkpoints.LogTampered as exc:
        problem = str(exc)
    except checkpoints.CheckpointKeyError as exc:
        problem = str(exc)
    found = await checkpoints.newest_own_signed()
    return (found[1] if found else None), problem


async def report_content(p: Principal, start: date, end: date, f: queries.Filters) -> dict[str, Any]:
    """The content of a report on the entries of ``start``–``end`` (whole days, China Standard Time)
    matching ``f`` in the auditor's scope.

    Raises:
        ValidationFailed: a malformed filter, a unit outside the scope, a period longer than
            :data:`MAX_DAYS` or ending before it starts, more than :data:`SCAN_LIMIT` entries (422).
    """
    _period(start, end)
    f = dataclasses.replace(
        f,
        since=queries.bound("from", start.isoformat(), end=False),
        until=queries.bound("to", end.isoformat(), end=True),
    )
    counts = {"allowed": 0, "refused": 0, "failed": 0}
    by_action: dict[str, int] = {}
    listed: list[dict[str, Any]] = []
    hashes: list[bytes] = []
    flagged = 0
    async for batch in await queries.matching(p, f):
        for e in batch:
            row = e.row
            counts[str(row["outcome"])] = counts.get(str(row["outcome"]), 0) + 1
            by_action[str(row["action"])] = by_action.get(str(row["action"]), 0) + 1
            flagged += bool(e.flags)
            hashes.append(str(row["entry_hash"]).encode("ascii"))
            if len(listed) < LISTED:
                listed.append(
                    {
                        "seq": int(row["seq"]),
                        "at": china_time(str(row["at"])),
                        "actor": row["actor"] or "",
                        "role": row["role"] or "",
                        "unit": e.unit_name or "",
                        "action": str(row["action"]),
                        "target": row["target"] or "",
                        "outcome": OUTCOME_LABELS.get(str(row["outcome"]), str(row["outcome"])),
                        "flags": list(e.flags),
                    }
                )
        if len(hashes) > SCAN_LIMIT:
            raise ValidationFailed.one(
                "to", f"超过{SCAN_LIMIT}条记录，请缩小期间或条件 / more than {SCAN_LIMIT} entries: narrow the period"
            )
    verification = await audit.verify()
    checkpoint_text, checkpoint_problem = await _signed_checkpoint()
    digest_fn = chain.suite_hash(audit.suite())
    total = sum(counts.values())
    totals = {
        **counts,
        "total": total,
        "digest": digest_fn(b"\n".join(reversed(hashes))).hex(),
        "valid": verification.ok,
        "size": verification.checked,
        "head": verification.head.hex(),
        "checkpoint": " ".join(checkpoint_text.split("\n")[3:5]) if checkpoint_text else "none",
    }
    statement = _statement(p.unit_name, start, end, f, totals)
    private, public = checkpoints.signing_key()
    signature = base64.b64encode(ed25519_sign(private, statement.encode("utf-8"))).decode("ascii")
    query = {name: getattr(f, name) for name in (*FILTER_LABELS, "flagged")}
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "query": query,
        "filters": _filter_lines(f, {u.id: u.name for u in await accounts.all_units()}),
        "counts": {**counts, "total": total, "flagged": flagged},
        "by_action": sorted(by_action.items(), key=lambda kv: (-kv[1], kv[0]))[:30],
        "entries": listed,
        "truncated": total > len(listed),
        "log_check": {
            "valid": verification.ok,
            "entries": verification.checked,
            "head_hash": verification.head.hex(),
            "first_bad_seq": verification.first_bad_seq,
            "reason": verification.reason,
        },
        "checkpoint": checkpoint_text,
        "checkpoint_problem": checkpoint_problem,
        "statement": statement,
        "signature": signature,
        "key_id": chain.key_id(public),
    }


async def _same_unit_auditor(p: Principal, doc: repo.DocumentRecord) -> None:
    if p.role != "auditor" or p.unit_id != doc.unit_id:
        raise NotFound("文书不存在 / no such document")


async def _rebuild(p: Principal, doc: repo.DocumentRecord, reason: str) -> tuple[dict[str, Any], bool]:
    old = await repo.content_of(doc.id)
    start, end = date.fromisoformat(old["period"]["from"]), date.fromisoformat(old["period"]["to"])
    return await report_content(p, start, end, queries.Filters(**old["query"])), False


service.READERS[ACCESS_LOG_REPORT.kind] = _same_unit_auditor
service.REBUILDERS[ACCESS_LOG_REPORT.kind] = _rebuild


async def signed_statement(doc: repo.DocumentRecord) -> tuple[str, str, str]:
    """The statement printed on a report, its signature (base64) and the signing key's id."""
    content = await repo.content_of(doc.id)
    return str(content["statement"]), str(content["signature"]), str(content["key_id"])


async def issue_report(p: Principal, start: date, end: date, f: queries.Filters) -> int:
    """Issue an access-log report of the auditor's unit and render it; returns the document's id.

    Raises:
        ValidationFailed: as :func:`report_content`. AuditUnavailable: the log cannot be written (503).
    """
    content = await report_content(p, start, end, f)
    doc_id = await service.issue(p, ACCESS_LOG_REPORT, content)
    await service.store_copy(p, doc_id)
    return doc_id


async def reports_of_unit(p: Principal, limit: int, before_id: int | None) -> list[repo.DocumentRecord]:
    """The unit's access-log reports, newest first."""
    return await repo.documents_of_unit(p.unit_id, ACCESS_LOG_REPORT.kind, limit, before_id)


def default_period(today: date) -> tuple[date, date]:
    """The report period proposed on the page: the last 30 days up to today."""
    return today - timedelta(days=29), today
