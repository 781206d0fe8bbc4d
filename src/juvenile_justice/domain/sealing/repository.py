"""Sealing repository: the only code that touches ``sealing_task`` and ``sealed_record``.

A sealed record's ``content`` (the snapshot of the person's records in the case) and ``id_number`` are
envelopes bound to the record's identity (:func:`record_binding`): a row whose person, case, decision or
unit is rewritten no longer opens. The ID number is found by its blind index (the same 16-bit index as
``person.id_number_index``); only the candidates' ID numbers are opened and compared in constant time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from juvenile_justice import db
from juvenile_justice import protection as pf
from juvenile_justice.domain.sealing import visibility

TABLE = "sealed_record"
BINDING_COLUMNS = ("unit", "case_file", "person", "decision", "basis")
"""The columns :func:`record_binding` reads besides ``id``."""
LOOKUP_LIMIT = 200
"""Sealed records returned by one sealed-status lookup at most."""


def record_binding(row: Mapping[str, Any]) -> str:
    """The associated-data row of a sealed record's envelopes: every column that identifies it."""
    return "seal:" + "|".join(str(row[c]) for c in ("id", *BINDING_COLUMNS))


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """A sealing task (封存任务): the decision that opened it, its deadline and its eligibility trace."""

    id: int
    unit_id: int
    case_id: int
    case_number: str
    person_id: int
    decision_id: int
    decision_kind: str
    document_number: str
    basis: str
    received_on: date
    due_on: date
    eligibility: dict[str, Any]
    status: str
    sealed_record_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SealedRecordRow:
    """A sealed record without its content (the status and the history)."""

    id: int
    unit_id: int
    unit_name: str
    case_id: int
    person_id: int
    decision_id: int
    basis: str
    sealed_on: date
    sealed_at: datetime
    sealed_by: str | None
    advised_on: date | None
    eligibility: dict[str, Any]
    ruleset_version: str
    notice_document_id: int | None
    status: str
    unsealed_on: date | None


_TASK_SELECT = (
    "SELECT t.*, c.case_number, d.kind AS decision_kind, d.document_number FROM sealing_task t "
    "JOIN case_file c ON c.id = t.case_file JOIN decision d ON d.id = t.decision "
)


def _task(r: dict[str, Any]) -> TaskRecord:
    return TaskRecord(
        id=r["id"],
        unit_id=r["unit"],
        case_id=r["case_file"],
        case_number=r["case_number"],
        person_id=r["person"],
        decision_id=r["decision"],
        decision_kind=r["decision_kind"],
        document_number=r["document_number"],
        basis=r["basis"],
        received_on=db.as_date(r["received_on"]),
        due_on=db.as_date(r["due_on"]),
        eligibility=json.loads(r["eligibility"]),
        status=r["status"],
        sealed_record_id=r["sealed_record"],
        created_at=db.as_timestamp(r["created_at"]),
    )


async def insert_task(values: dict[str, Any]) -> int:
    """Insert an open sealing task (``eligibility`` a trace dict); returns its id."""
    row = {**values, "eligibility": json.dumps(values["eligibility"], ensure_ascii=False), "status": "open"}
    return await db.insert_row("sealing_task", row)


async def tasks_of_decisions(decision_ids: list[int]) -> dict[int, TaskRecord]:
    """The sealing task of each decision that has one, by decision id."""
    if not decision_ids:
        return {}
    marks = ", ".join("{}" for _ in decision_ids)
    rows = await db.fetch(_TASK_SELECT + f"WHERE t.decision IN ({marks})", *decision_ids)
    return {int(r["decision"]): _task(r) for r in rows}


async def tasks_of_unit(unit_id: int, *, status: str | None, limit: int, before_id: int | None) -> list[TaskRecord]:
    """The unit's sealing tasks (``status`` ``open``/``done`` or all), the oldest deadline first for open
    ones, else newest first; ids below ``before_id`` (paging by id)."""
    where: list[str] = ["t.unit = {}"]
    args: list[Any] = [unit_id]
    if status is not None:
        where.append("t.status = {}")
        args.append(status)
    if before_id is not None:
        where.append("t.id < {}")
        args.append(before_id)
    rows = await db.fetch(_TASK_SELECT + "WHERE " + " AND ".join(where) + " ORDER BY t.id DESC LIMIT {}", *args, limit)
    return [_task(r) for r in rows]


async def open_tasks_of_person(person_id: int) -> list[int]:
    """Ids of the person's open sealing tasks."""
    rows = await db.fetch("SELECT id FROM sealing_task WHERE person = {} AND status = 'open'", person_id)
    return [int(r["id"]) for r in rows]


async def close_tasks(task_ids: list[int], record_id: int) -> None:
    """Mark tasks done by the sealed record ``record_id``."""
    for task_id in task_ids:
        await db.fetch(
            "UPDATE sealing_task SET status = 'done', sealed_record = {} WHERE id = {} AND status = 'open' "
            "RETURNING id",
            record_id,
            task_id,
        )


async def insert_record(values: dict[str, Any], id_number: str, content: dict[str, Any]) -> int:
    """Insert a sealed record (``eligibility`` a trace dict) with its ID number and content snapshot sealed
    under the crypto module; returns its id. Call inside a transaction (the id is reserved first)."""
    [record_id] = await db.reserve_ids(TABLE, 1)
    row: dict[str, Any] = {"id": record_id, **values}
    row["eligibility"] = json.dumps(values["eligibility"], ensure_ascii=False, sort_keys=True)
    binding = record_binding(row)
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    row["id_number"] = pf.seal(TABLE, "id_number", binding, id_number)
    row["id_number_index"] = pf.id_number_index(id_number)
    row["content"] = pf.seal(TABLE, "content", binding, text)
    row["status"] = "sealed"
    await db.insert_row(TABLE, row)
    return record_id


async def set_notice(record_id: int, document_id: int) -> None:
    """Link the sealing notice (犯罪记录封存通知书) to its record (once)."""
    await db.fetch("UPDATE sealed_record SET notice_document = {} WHERE id = {} RETURNING id", document_id, record_id)


_RECORD_SELECT = (
    "SELECT r.id, r.unit, r.case_file, r.person, r.decision, r.basis, r.sealed_on, r.sealed_at, r.advised_on, "
    f"r.eligibility, r.ruleset_version, r.notice_document, {visibility.in_force('r')} AS in_force, r.unsealed_on, "
    "n.name AS unit_name, u.username AS sealer FROM sealed_record r JOIN unit n ON n.id = r.unit "
    "LEFT JOIN app_user u ON u.id = r.sealed_by "
)
"""``status`` is derived from :func:`visibility.in_force`: a status flipped without its logged unsealing
still reads ``sealed`` (one meaning of the seal state everywhere)."""


def _record(r: dict[str, Any]) -> SealedRecordRow:
    return SealedRecordRow(
        id=r["id"],
        unit_id=r["unit"],
        unit_name=r["unit_name"],
        case_id=r["case_file"],
        person_id=r["person"],
        decision_id=r["decision"],
        basis=r["basis"],
        sealed_on=db.as_date(r["sealed_on"]),
        sealed_at=db.as_timestamp(r["sealed_at"]),
        sealed_by=r["sealer"],
        advised_on=db.as_date(r["advised_on"]) if r["advised_on"] else None,
        eligibility=json.loads(r["eligibility"]),
        ruleset_version=r["ruleset_version"],
        notice_document_id=r["notice_document"],
        status="sealed" if r["in_force"] else "unsealed",
        unsealed_on=db.as_date(r["unsealed_on"]) if r["unsealed_on"] else None,
    )


async def record_by_id(record_id: int) -> SealedRecordRow | None:
    """One sealed record (no content), or None."""
    if not 1 <= record_id <= db.MAX_ID:
        return None
    row = await db.fetch_one(_RECORD_SELECT + "WHERE r.id = {}", record_id)
    return _record(row) if row else None


async def unit_of_record(record_id: int) -> int | None:
    """The sealing unit of a record (the access log's record unit)."""
    if not 1 <= record_id <= db.MAX_ID:
        return None
    row = await db.fetch_one("SELECT unit FROM sealed_record WHERE id = {}", record_id)
    return int(row["unit"]) if row else None


async def records_by_id_number(id_number: str) -> list[SealedRecordRow]:
    """The records sealed now (any unit) of the person with this normalised ID number, oldest first, at
    most :data:`LOOKUP_LIMIT`: the blind index narrows to a few candidates, whose ID numbers alone are
    opened and compared in constant time.

    Raises:
        DecryptionError: a candidate's ID number fails its check (integrity).
    """
    indexes = pf.id_number_indexes(id_number)
    marks = ", ".join("{}" for _ in indexes)
    rows = await db.fetch(
        f"SELECT r.id, {', '.join('r.' + c for c in BINDING_COLUMNS)}, r.id_number FROM sealed_record r "
        f"WHERE r.id_number_index IN ({marks}) AND {visibility.in_force('r')} ORDER BY r.id",
        *indexes,
    )
    hits = [
        int(r["id"])
        for r in rows
        if pf.same_id_number(pf.open_required(TABLE, "id_number", record_binding(r), r["id_number"]), id_number)
    ][:LOOKUP_LIMIT]
    if not hits:
        return []
    marks = ", ".join("{}" for _ in hits)
    return [_record(r) for r in await db.fetch(_RECORD_SELECT + f"WHERE r.id IN ({marks}) ORDER BY r.id", *hits)]


async def content_of(record_id: int) -> dict[str, Any]:
    """The opened content snapshot of a sealed record (for a granted read or a certificate).

    Raises:
        DecryptionError: the stored value fails its check, or the record's identity was rewritten.
        LookupError: no such record.
    """
    row = await db.fetch_one(
        f"SELECT id, {', '.join(BINDING_COLUMNS)}, content FROM {TABLE} WHERE id = {{}}", record_id
    )
    if row is None:
        raise LookupError(record_id)
    value = json.loads(pf.open_required(TABLE, "content", record_binding(row), row["content"]))
    if not isinstance(value, dict):
        raise ValueError("sealed content is not an object")
    return value


async def unseal(record_id: int, on: date) -> bool:
    """Mark a sealed record ``unsealed`` from ``on`` (once); False when it was not sealed."""
    rows = await db.fetch(
        "UPDATE sealed_record SET status = 'unsealed', unsealed_on = {} WHERE id = {} AND status = 'sealed' "
        "RETURNING id",
        on,
        record_id,
    )
    return bool(rows)


async def records_of_person(person_id: int) -> int:
    """How many sealed records (in force or unsealed) a person has."""
    row = await db.fetch_one("SELECT COUNT(*) AS n FROM sealed_record WHERE person = {}", person_id)
    return int(row["n"]) if row else 0
