"""Documents repository: counters, issued documents and their copies (raw SQL, both engines).

``issued_document.content`` and ``document_copy.pdf`` are sealed here (protection.py) before they reach
SQL and opened on the way back. The content's row binding is the document's identity (id, unit, kind,
number, verification code, date, case, what it replaces: :func:`document_binding`) and the PDF's is the
document id with the copy's hash (:func:`copy_binding`), so a row whose metadata was rewritten in the
database (an ``INSERT OR REPLACE`` slips past SQLite's triggers) or forged without the keys no longer opens:
verification and reads treat it as not valid. Nothing here decides who may do what: that is the
service's job.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from juvenile_justice import db
from juvenile_justice import protection as pf
from juvenile_justice.domain.sealing import visibility

TABLE = "issued_document"
COPY_TABLE = "document_copy"

_COLUMNS = (
    "d.id, d.unit, d.kind, d.type_code, d.year, d.serial, d.number, d.verification_code, d.case_file, "
    "d.issued_on, d.issued_at, d.issued_by, d.replaces, d.sealed, u.name AS unit_name, a.username AS issuer, "
    "(SELECT n.id FROM issued_document n WHERE n.replaces = d.id) AS replaced_by, "
    "c.pdf_hash, c.pages, c.size_bytes, c.rendered_at"
)
_FROM = (
    "FROM issued_document d JOIN unit u ON u.id = d.unit LEFT JOIN app_user a ON a.id = d.issued_by "
    "LEFT JOIN document_copy c ON c.id = d.id"
)


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """An issued document as stored, without its content (see :func:`content_of`)."""

    id: int
    unit_id: int
    unit_name: str
    kind: str
    type_code: str
    year: int
    serial: int
    number: str
    verification_code: str
    case_id: int | None
    issued_on: date
    issued_at: datetime
    issued_by: str | None
    replaces: int | None
    replaced_by: int | None
    sealed: bool
    pdf_hash: str | None
    pages: int | None
    size_bytes: int | None
    rendered_at: datetime | None


def document_binding(row: Mapping[str, Any]) -> str:
    """The associated-data row of a document's sealed content: every column that identifies it."""
    issued_on = row["issued_on"]
    day = issued_on.isoformat() if isinstance(issued_on, date) else str(issued_on)
    parts = [row["id"], row["unit"], row["kind"], row["type_code"], row["year"], row["serial"], row["number"],
             row["verification_code"], day, row["case_file"], row["replaces"], int(bool(row["sealed"]))]  # fmt: skip
    return "doc:" + "|".join("" if x is None else str(x) for x in parts)


BINDING_COLUMNS = ("unit", "kind", "type_code", "year", "serial", "number", "verification_code", "issued_on",
                   "case_file", "replaces", "sealed")  # fmt: skip
"""The columns :func:`document_binding` reads besides ``id``."""


def copy_binding(row: Mapping[str, Any]) -> str:
    """The associated-data row of a stored PDF: the document id and the copy's hash."""
    return f"copy:{row['id']}|{row['pdf_hash']}"


def _d(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _ts(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _record(r: dict[str, Any]) -> DocumentRecord:
    return DocumentRecord(
        id=int(r["id"]),
        unit_id=int(r["unit"]),
        unit_name=str(r["unit_name"]),
        kind=str(r["kind"]),
        type_code=str(r["type_code"]),
        year=int(r["year"]),
        serial=int(r["serial"]),
        number=str(r["number"]),
        verification_code=str(r["verification_code"]),
        case_id=int(r["case_file"]) if r["case_file"] is not None else None,
        issued_on=_d(r["issued_on"]),
        issued_at=_ts(r["issued_at"]),
        issued_by=r["issuer"],
        replaces=int(r["replaces"]) if r["replaces"] is not None else None,
        replaced_by=int(r["replaced_by"]) if r["replaced_by"] is not None else None,
        sealed=bool(r["sealed"]),
        pdf_hash=r["pdf_hash"],
        pages=int(r["pages"]) if r["pages"] is not None else None,
        size_bytes=int(r["size_bytes"]) if r["size_bytes"] is not None else None,
        rendered_at=_ts(r["rendered_at"]) if r["rendered_at"] is not None else None,
    )


async def next_serial(unit_id: int, type_code: str, year: int) -> int:
    """The next serial of (unit, type code, year). Call inside the transaction that records the document:
    the counter row stays locked until it commits (concurrent issuers queue; no duplicate) and a rollback
    gives the serial back (no gap).

    Raises:
        CounterMismatch: the counter is not one above the last serial issued (it was changed outside the
            service): nothing is issued.
    """
    row = await db.fetch_one(
        "INSERT INTO document_counter (unit, type_code, year, last_value) VALUES ({}, {}, {}, 1) "
        "ON CONFLICT (unit, type_code, year) DO UPDATE SET last_value = document_counter.last_value + 1 "
        "RETURNING last_value",
        unit_id,
        type_code,
        year,
    )
    assert row is not None
    value = int(row["last_value"])
    last = await db.fetch_one(
        "SELECT MAX(serial) AS last FROM issued_document WHERE unit = {} AND type_code = {} AND year = {}",
        unit_id,
        type_code,
        year,
    )
    issued = int(last["last"]) if last and last["last"] is not None else 0
    if value != issued + 1:  # the counter was moved behind the guards: never a duplicate, never a gap
        raise CounterMismatch(unit_id, type_code, year, value, issued)
    return value


class CounterMismatch(RuntimeError):
    """A number counter disagrees with the serials issued (changed outside the service)."""

    def __init__(self, unit_id: int, type_code: str, year: int, value: int, issued: int) -> None:
        super().__init__(f"document counter of unit {unit_id}, {type_code}, {year} is {value}; last issued {issued}")


async def insert_document(values: dict[str, Any], content: dict[str, Any]) -> int:
    """Insert an issued document with its content snapshot (sealed); returns its id. Call inside a
    transaction (the id is reserved first so that the content is bound to it)."""
    [doc_id] = await db.reserve_ids(TABLE, 1)
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    row = {"id": doc_id, **values}
    row["content"] = pf.seal(TABLE, "content", document_binding(row), text)
    columns = ", ".join(row)
    marks = ", ".join("{}" for _ in row)
    await db.fetch(f"INSERT INTO {TABLE} ({columns}) VALUES ({marks})", *row.values())
    return doc_id


async def document_by_id(doc_id: int) -> DocumentRecord | None:
    """The document with this id, or None."""
    if not 0 < doc_id <= db.MAX_ID:
        return None
    row = await db.fetch_one(f"SELECT {_COLUMNS} {_FROM} WHERE d.id = {{}}", doc_id)
    return _record(row) if row else None


async def document_by_code(code: str) -> DocumentRecord | None:
    """The document with this verification code, or None."""
    row = await db.fetch_one(f"SELECT {_COLUMNS} {_FROM} WHERE d.verification_code = {{}}", code)
    return _record(row) if row else None


async def documents_of_case(case_id: int) -> list[DocumentRecord]:
    """The documents issued about a case, newest first."""
    rows = await db.fetch(f"SELECT {_COLUMNS} {_FROM} WHERE d.case_file = {{}} ORDER BY d.id DESC", case_id)
    return [_record(r) for r in rows]


async def documents_of_unit(unit_id: int, kind: str, limit: int, before_id: int | None) -> list[DocumentRecord]:
    """A unit's documents of one kind, newest first (``before_id`` continues a page)."""
    where, args = "d.unit = {} AND d.kind = {}", [unit_id, kind]
    if before_id is not None:
        where += " AND d.id < {}"
        args.append(min(before_id, db.MAX_ID))
    rows = await db.fetch(f"SELECT {_COLUMNS} {_FROM} WHERE {where} ORDER BY d.id DESC LIMIT {{}}", *args, limit)
    return [_record(r) for r in rows]


async def successor_of(doc_id: int) -> int | None:
    """The id of the document that replaced ``doc_id`` (a reissue), or None."""
    row = await db.fetch_one("SELECT id FROM issued_document WHERE replaces = {}", doc_id)
    return int(row["id"]) if row else None


async def unit_of_document(doc_id: int) -> int | None:
    """The unit that issued a document (the access log's record unit), or None."""
    if not 0 < doc_id <= db.MAX_ID:
        return None
    row = await db.fetch_one("SELECT unit FROM issued_document WHERE id = {}", doc_id)
    return int(row["unit"]) if row else None


async def content_of(doc_id: int) -> dict[str, Any]:
    """The opened content snapshot of a document.

    Raises:
        DecryptionError: the stored value fails its check, or the document's identity columns were
            changed (integrity).
        LookupError: no such document.
    """
    row = await db.fetch_one(
        f"SELECT id, {', '.join(BINDING_COLUMNS)}, content FROM issued_document WHERE id = {{}}", doc_id
    )
    if row is None:
        raise LookupError(doc_id)
    value = json.loads(pf.open_required(TABLE, "content", document_binding(row), row["content"]))
    if not isinstance(value, dict):
        raise ValueError("document content is not an object")
    return value


async def insert_copy(doc_id: int, pdf: bytes, pdf_hash: str, pages: int, now: datetime) -> bool:
    """Store the rendered copy of a document; False when a copy was stored first (by a concurrent render)."""
    binding = copy_binding({"id": doc_id, "pdf_hash": pdf_hash})
    sealed = pf.seal(COPY_TABLE, "pdf", binding, base64.b64encode(pdf).decode("ascii"))
    rows = await db.fetch(
        "INSERT INTO document_copy (id, pdf, pdf_hash, pages, size_bytes, rendered_at) "
        "VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (id) DO NOTHING RETURNING id",
        doc_id,
        sealed,
        pdf_hash,
        pages,
        len(pdf),
        now,
    )
    return bool(rows)


async def pdf_of(doc_id: int) -> bytes | None:
    """The stored PDF of a document, opened; None when it has not been rendered yet.

    Raises:
        DecryptionError: the stored value fails its check (integrity).
    """
    row = await db.fetch_one("SELECT id, pdf_hash, pdf FROM document_copy WHERE id = {}", doc_id)
    if row is None:
        return None
    return base64.b64decode(pf.open_required(COPY_TABLE, "pdf", copy_binding(row), row["pdf"]), validate=True)


async def unrendered_ids(limit: int, issued_before: datetime) -> list[int]:
    """Documents issued before ``issued_before`` without a stored copy, oldest first (the retry queue)."""
    rows = await db.fetch(
        "SELECT d.id FROM issued_document d LEFT JOIN document_copy c ON c.id = d.id "
        "WHERE c.id IS NULL AND d.issued_at < {} ORDER BY d.id LIMIT {}",
        issued_before,
        limit,
    )
    return [int(r["id"]) for r in rows]


async def predates_seal(doc_id: int) -> bool:
    """True when the document is about a case and was issued before a seal in force in that case: it may
    name the sealed person, so it is withheld (R-SEAL-5; the sealed snapshot keeps what it said)."""
    row = await db.fetch_one(
        f"SELECT 1 AS hit FROM {TABLE} d WHERE d.id = {{}} AND d.case_file IS NOT NULL "
        f"AND {visibility.recorded_before_seal('d.case_file', 'd.issued_at')}",
        doc_id,
    )
    return row is not None
