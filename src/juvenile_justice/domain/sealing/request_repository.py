"""Repository of lawful queries (``query_request``) and requests to lift a seal (``unseal_request``).

Neither holds sealed content: purposes, legal bases and reasons are free text checked like every other
(no ID numbers), and the requested record is named by id. Decisions update a ``pending`` row only (the
database refuses changing a decided request): two deciders racing each other cannot both win.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from juvenile_justice import db
from juvenile_justice.domain.sealing import visibility


def _d(value: Any) -> date | None:
    return None if value is None else db.as_date(value)


def _ts(value: Any) -> datetime | None:
    return None if value is None else db.as_timestamp(value)


@dataclass(frozen=True, slots=True)
class QueryRecord:
    """A lawful query of a sealed record (查询申请) and its decision."""

    id: int
    record_id: int
    record_unit_id: int
    requester_id: int
    requester: str
    requester_unit_id: int
    requesting_unit: str
    requesting_unit_type: str
    purpose: str
    legal_basis: str
    cited_regulation: str | None
    filed_on: date
    filed_at: datetime
    due_on: date
    status: str
    reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    valid_days: int | None
    valid_until: date | None
    decision_document_id: int | None


_QUERY_SELECT = (
    "SELECT q.*, a.username AS requester_name, b.username AS decider_name FROM query_request q "
    "JOIN app_user a ON a.id = q.requester LEFT JOIN app_user b ON b.id = q.decided_by "
)


def _query(r: dict[str, Any]) -> QueryRecord:
    return QueryRecord(
        id=r["id"],
        record_id=r["sealed_record"],
        record_unit_id=r["record_unit"],
        requester_id=r["requester"],
        requester=r["requester_name"],
        requester_unit_id=r["requester_unit"],
        requesting_unit=r["requesting_unit"],
        requesting_unit_type=r["requesting_unit_type"],
        purpose=r["purpose"],
        legal_basis=r["legal_basis"],
        cited_regulation=r["cited_regulation"],
        filed_on=db.as_date(r["filed_on"]),
        filed_at=db.as_timestamp(r["filed_at"]),
        due_on=db.as_date(r["due_on"]),
        status=r["status"],
        reason=r["reason"],
        decided_by=r["decider_name"],
        decided_at=_ts(r["decided_at"]),
        valid_days=r["valid_days"],
        valid_until=_d(r["valid_until"]),
        decision_document_id=r["decision_document"],
    )


async def insert_query(values: dict[str, Any]) -> int:
    """Insert a query request; returns its id."""
    return await db.insert_row("query_request", values)


async def query_by_id(request_id: int) -> QueryRecord | None:
    """One query request, or None."""
    if not 1 <= request_id <= db.MAX_ID:
        return None
    row = await db.fetch_one(_QUERY_SELECT + "WHERE q.id = {}", request_id)
    return _query(row) if row else None


async def decide_query(request_id: int, values: dict[str, Any]) -> bool:
    """Record the decision of a pending request; False when it was decided meanwhile."""
    sets = ", ".join(f"{c} = {{}}" for c in values)
    rows = await db.fetch(
        f"UPDATE query_request SET {sets} WHERE id = {{}} AND status = 'pending' RETURNING id",
        *values.values(),
        request_id,
    )
    return bool(rows)


async def queries_visible_to(
    user_id: int, unit_id: int, *, deciding: bool, status: str | None, limit: int, before_id: int | None
) -> list[QueryRecord]:
    """Requests the user filed, or (``deciding``) those about records sealed by ``unit_id``; newest first."""
    where = ["(q.requester = {} OR q.record_unit = {})" if deciding else "q.requester = {}"]
    args: list[Any] = [user_id, unit_id] if deciding else [user_id]
    if status is not None:
        where.append("q.status = {}")
        args.append(status)
    if before_id is not None:
        where.append("q.id < {}")
        args.append(before_id)
    rows = await db.fetch(_QUERY_SELECT + "WHERE " + " AND ".join(where) + " ORDER BY q.id DESC LIMIT {}", *args, limit)
    return [_query(r) for r in rows]


_APPROVAL_LOGGED = visibility.logged_after(
    "'sealed_record:' || q.sealed_record",
    "query_request.decide",
    "query_request.create",
    purpose="'approve:' || q.id",
    first_purpose="'request:' || q.id",
)
"""The approval's entry in the access log, after the request's own filing entry."""


async def active_grant(record_id: int, user_id: int, today: date) -> QueryRecord | None:
    """The approved, unexpired request of this user for this record (the latest), or None. An approval
    counts only with its decision document and the ``query_request.decide`` entry that the hash-chained
    access log holds for it: a row set to ``approved`` in the database grants nothing."""
    row = await db.fetch_one(
        _QUERY_SELECT + "WHERE q.sealed_record = {} AND q.requester = {} AND q.status = 'approved' "
        f"AND q.valid_until >= {{}} AND q.decision_document IS NOT NULL AND {_APPROVAL_LOGGED} "
        "ORDER BY q.valid_until DESC, q.id DESC LIMIT 1",
        record_id,
        user_id,
        today,
    )
    return _query(row) if row else None


# ------------------------------------------------------------------------------------- unsealing


@dataclass(frozen=True, slots=True)
class UnsealRecord:
    """A request to lift a seal (解除封存) on a ground of R-SEAL-11, and its decision."""

    id: int
    record_id: int
    record_unit_id: int
    rule: str
    reason: str
    combined_sentence_months: int
    new_offense_date: date | None
    judgment_document_number: str
    ground: dict[str, Any]
    requested_by: str
    requested_by_id: int
    requested_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None


_UNSEAL_SELECT = (
    "SELECT x.*, a.username AS requester_name, b.username AS decider_name FROM unseal_request x "
    "JOIN app_user a ON a.id = x.requested_by LEFT JOIN app_user b ON b.id = x.decided_by "
)


def _unseal(r: dict[str, Any]) -> UnsealRecord:
    return UnsealRecord(
        id=r["id"],
        record_id=r["sealed_record"],
        record_unit_id=r["record_unit"],
        rule=r["rule"],
        reason=r["reason"],
        combined_sentence_months=r["combined_sentence_months"],
        new_offense_date=_d(r["new_offense_date"]),
        judgment_document_number=r["judgment_document_number"],
        ground=json.loads(r["ground"]),
        requested_by=r["requester_name"],
        requested_by_id=r["requested_by"],
        requested_at=db.as_timestamp(r["requested_at"]),
        status=r["status"],
        decided_by=r["decider_name"],
        decided_at=_ts(r["decided_at"]),
        decision_reason=r["decision_reason"],
    )


async def insert_unseal(values: dict[str, Any]) -> int | None:
    """Insert a pending unseal request (``ground`` a trace dict); None when one is pending already."""
    row = {**values, "ground": json.dumps(values["ground"], ensure_ascii=False), "status": "pending"}
    columns = ", ".join(row)
    marks = ", ".join("{}" for _ in row)
    rows = await db.fetch(
        f"INSERT INTO unseal_request ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING RETURNING id", *row.values()
    )
    return int(rows[0]["id"]) if rows else None


async def unseal_by_id(request_id: int) -> UnsealRecord | None:
    """One unseal request, or None."""
    if not 1 <= request_id <= db.MAX_ID:
        return None
    row = await db.fetch_one(_UNSEAL_SELECT + "WHERE x.id = {}", request_id)
    return _unseal(row) if row else None


async def decide_unseal(request_id: int, values: dict[str, Any]) -> bool:
    """Record the decision of a pending unseal request; False when decided meanwhile."""
    sets = ", ".join(f"{c} = {{}}" for c in values)
    rows = await db.fetch(
        f"UPDATE unseal_request SET {sets} WHERE id = {{}} AND status = 'pending' RETURNING id",
        *values.values(),
        request_id,
    )
    return bool(rows)


async def unseals_of_unit(unit_id: int, *, status: str | None, limit: int) -> list[UnsealRecord]:
    """The unit's unseal requests, newest first."""
    where, args = "x.record_unit = {}", [unit_id]
    if status is not None:
        where += " AND x.status = {}"
        args.append(status)  # type: ignore[arg-type]
    rows = await db.fetch(_UNSEAL_SELECT + f"WHERE {where} ORDER BY x.id DESC LIMIT {{}}", *args, limit)
    return [_unseal(r) for r in rows]


async def requester_of_document(document_id: int) -> int | None:
    """The requester of the query whose decision document this is, or None."""
    row = await db.fetch_one("SELECT requester FROM query_request WHERE decision_document = {}", document_id)
    return int(row["requester"]) if row else None


async def unit_of_query(request_id: int) -> int | None:
    """The sealing unit of the record a query request is about (the access log's record unit)."""
    row = await db.fetch_one("SELECT record_unit FROM query_request WHERE id = {}", request_id)
    return int(row["record_unit"]) if row else None


async def unit_of_unseal(request_id: int) -> int | None:
    """The sealing unit of the record an unseal request is about."""
    row = await db.fetch_one("SELECT record_unit FROM unseal_request WHERE id = {}", request_id)
    return int(row["record_unit"]) if row else None
