"""Cases repository: the only code that touches the cases tables.

Returns records (dataclasses), never raw rows. Personal fields (person name, ID number, phone and
address; step summaries) are sealed here before they reach SQL and opened on the way back
(:mod:`juvenile_justice.protection`); records hold plaintext, rows never do. ID numbers are found by
their blind index, never by decrypting a table. Every read goes through the sealing-aware predicates of
:mod:`juvenile_justice.domain.sealing.visibility` (R-SEAL-5): sealed persons, their decisions and wholly
sealed cases are left out, or flagged for the service to refuse. A stored value that fails its check raises
:class:`~juvenile_justice.lib.crypto.DecryptionError` (fail closed; the API answers 500 "integrity").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from juvenile_justice import db
from juvenile_justice import protection as pf
from juvenile_justice.domain.cases.tables import (
    CaseCharge,
    CaseFile,
    Decision,
    Person,
)
from juvenile_justice.domain.sealing import visibility


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """A case with its unit, charges and prosecutors."""

    id: int
    unit_id: int
    unit_name: str
    case_number: str
    case_type: str
    title: str
    offense_date: date
    received_on: date
    external_id: str | None
    created_by_id: int | None
    created_by: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    charges: tuple[tuple[str, str, int], ...]
    assigned: tuple[tuple[int, str], ...]
    seal_state: visibility.SealState = "none"
    """``sealed``: the whole case is sealed (refused); ``partial``: marked 含犯罪记录封存信息."""

    def prosecutor_ids(self) -> set[int]:
        """The case prosecutors: its creator and every assigned prosecutor."""
        ids = {uid for uid, _ in self.assigned}
        if self.created_by_id is not None:
            ids.add(self.created_by_id)
        return ids


@dataclass(frozen=True, slots=True)
class CaseListRecord:
    """A case in a list."""

    id: int
    case_number: str
    case_type: str
    title: str
    unit_name: str
    offense_date: date
    received_on: date
    version: int
    charges: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A person as stored."""

    id: int
    case_id: int
    role: str
    name: str
    id_number: str
    gender: str
    birth_date: date
    age_at_offense: int | None
    minor_at_offense: bool
    phone: str | None
    address: str | None
    spp_approval_document: str | None
    version: int
    sealed: bool = False
    """Withheld (R-SEAL-5): the person's records in this case are sealed, or the person accompanies a sealed
    juvenile (visibility.person_hidden); the service refuses their detail."""


@dataclass(frozen=True, slots=True)
class StepRecord:
    """A timeline entry."""

    id: int
    case_id: int
    kind: str
    occurred_on: date
    summary: str
    created_by: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A decision as stored."""

    id: int
    case_id: int
    person_id: int
    kind: str
    decision_date: date
    effective_date: date | None
    document_number: str
    sentence_kind: str | None
    sentence_months: int | None
    basis_article: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """List filters; ``None`` means no filter. ``text`` matches title or case number."""

    case_type: str | None = None
    text: str | None = None
    charge: str | None = None
    offense_from: date | None = None
    offense_to: date | None = None
    prosecutor_id: int | None = None


async def next_case_serial(unit_id: int, year: int) -> int:
    """The next case serial of a unit and year; atomic under concurrency (row lock on the counter)."""
    row = await db.fetch_one(
        "INSERT INTO case_counter (unit, year, last_value) VALUES ({}, {}, 1) ON CONFLICT (unit, year) "
        "DO UPDATE SET last_value = case_counter.last_value + 1 RETURNING last_value",
        unit_id,
        year,
    )
    assert row is not None
    return int(row["last_value"])


async def insert_case(values: dict[str, Any]) -> int:
    """Insert a case row; returns its id."""
    rows = await CaseFile.insert(CaseFile(**values)).returning(CaseFile.id)
    return int(rows[0]["id"])


async def insert_charges(case_id: int, charges: list[tuple[str, str, int]]) -> None:
    """Insert the charges of a case in order."""
    await CaseCharge.insert(
        *[
            CaseCharge(case_file=case_id, position=i, name=n, article=a, chapter=c)
            for i, (n, a, c) in enumerate(charges)
        ]
    )


async def replace_charges(case_id: int, charges: list[tuple[str, str, int]]) -> None:
    """Replace the charges of a case."""
    await CaseCharge.delete().where(CaseCharge.case_file == case_id)
    await insert_charges(case_id, charges)


async def update_case(case_id: int, version: int, values: dict[str, Any], now: datetime) -> bool:
    """Optimistic update: applies only when the stored version is ``version``; bumps it. False if stale."""
    sets = ", ".join(f"{col} = {{}}" for col in values)
    args = [*values.values(), now, case_id, version]
    prefix = f"{sets}, " if sets else ""
    rows = await db.fetch(
        f"UPDATE case_file SET {prefix}updated_at = {{}}, version = version + 1 "
        "WHERE id = {} AND version = {} RETURNING id",
        *args,
    )
    return bool(rows)


async def case_by_id(case_id: int) -> CaseRecord | None:
    """A case with its unit, charges and prosecutors."""
    if not 1 <= case_id <= db.MAX_ID:
        return None
    row = await db.fetch_one(
        f"SELECT c.*, n.name AS unit_name, u.username AS creator, {visibility.case_seal_state('c')} AS seal_state "
        "FROM case_file c "
        "JOIN unit n ON n.id = c.unit LEFT JOIN app_user u ON u.id = c.created_by WHERE c.id = {}",
        case_id,
    )
    if row is None:
        return None
    charges = (
        await CaseCharge.select(CaseCharge.name, CaseCharge.article, CaseCharge.chapter)
        .where(CaseCharge.case_file == case_id)
        .order_by(CaseCharge.position)
    )
    assigned = await db.fetch(
        "SELECT u.id, u.username FROM case_assignment a JOIN app_user u ON u.id = a.account "
        "WHERE a.case_file = {} ORDER BY a.id",
        case_id,
    )
    return CaseRecord(
        id=row["id"],
        unit_id=row["unit"],
        unit_name=row["unit_name"],
        case_number=row["case_number"],
        case_type=row["case_type"],
        title=row["title"],
        offense_date=_d(row["offense_date"]),
        received_on=_d(row["received_on"]),
        external_id=row["external_id"],
        created_by_id=row["created_by"],
        created_by=row["creator"],
        version=row["version"],
        created_at=_ts(row["created_at"]),
        updated_at=_ts(row["updated_at"]),
        charges=tuple((c["name"], c["article"], c["chapter"]) for c in charges),
        assigned=tuple((a["id"], a["username"]) for a in assigned),
        seal_state=row["seal_state"],
    )


def _d(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _ts(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    from datetime import UTC

    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def _contains(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with LIKE's wildcards escaped."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def list_cases(unit_id: int, f: CaseFilter, limit: int, before_id: int | None) -> list[CaseListRecord]:
    """Cases of one unit, newest first (id descending), at most ``limit``, ids below ``before_id``; wholly
    sealed cases are left out (R-SEAL-5)."""
    where = ["c.unit = {}", visibility.case_visible("c")]
    args: list[Any] = [unit_id]
    if before_id is not None:
        where.append("c.id < {}")
        args.append(before_id)
    if f.case_type:
        where.append("c.case_type = {}")
        args.append(f.case_type)
    if f.text:
        pattern = _contains(f.text)
        where.append("(c.title LIKE {} ESCAPE '\\' OR c.case_number LIKE {} ESCAPE '\\')")
        args += [pattern, pattern]
    if f.charge:
        where.append("EXISTS (SELECT 1 FROM case_charge g WHERE g.case_file = c.id AND g.name LIKE {} ESCAPE '\\')")
        args.append(_contains(f.charge))
    if f.offense_from:
        where.append("c.offense_date >= {}")
        args.append(f.offense_from)
    if f.offense_to:
        where.append("c.offense_date <= {}")
        args.append(f.offense_to)
    if f.prosecutor_id is not None:
        where.append(
            "(c.created_by = {} OR EXISTS (SELECT 1 FROM case_assignment a "
            "WHERE a.case_file = c.id AND a.account = {}))"
        )
        args += [f.prosecutor_id, f.prosecutor_id]
    rows = await db.fetch(
        "SELECT c.id, c.case_number, c.case_type, c.title, c.offense_date, c.received_on, c.version, "
        "n.name AS unit_name FROM case_file c JOIN unit n ON n.id = c.unit WHERE "
        + " AND ".join(where)
        + " ORDER BY c.id DESC LIMIT {}",
        *args,
        limit,
    )
    ids = [r["id"] for r in rows]
    charges: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for c in (
            await CaseCharge.select(CaseCharge.case_file, CaseCharge.name)
            .where(CaseCharge.case_file.is_in(ids))
            .order_by(CaseCharge.case_file)
            .order_by(CaseCharge.position)
        ):
            charges[c["case_file"]].append(c["name"])
    return [
        CaseListRecord(
            id=r["id"],
            case_number=r["case_number"],
            case_type=r["case_type"],
            title=r["title"],
            unit_name=r["unit_name"],
            offense_date=_d(r["offense_date"]),
            received_on=_d(r["received_on"]),
            version=r["version"],
            charges=tuple(charges[r["id"]]),
        )
        for r in rows
    ]


async def case_unit_by_external(external_id: str) -> tuple[int, int] | None:
    """(case id, unit id) of the imported case with this external id, or None."""
    row = await CaseFile.select(CaseFile.id, CaseFile.unit).where(CaseFile.external_id == external_id).first()
    return (int(row["id"]), int(row["unit"])) if row else None


async def insert_assignment(case_id: int, user_id: int, now: datetime) -> bool:
    """Assign a prosecutor to a case; False when already assigned (also under concurrency)."""
    rows = await db.fetch(
        "INSERT INTO case_assignment (case_file, account, assigned_at) VALUES ({}, {}, {}) "
        "ON CONFLICT (case_file, account) DO NOTHING RETURNING id",
        case_id,
        user_id,
        now,
    )
    return bool(rows)


def _person(row: dict[str, Any]) -> PersonRecord:
    """The record of a stored person row, its sealed fields opened (raises DecryptionError)."""
    pid = row["id"]
    cell = pf.case_row(row["case_file"], pid)
    return PersonRecord(
        id=pid,
        case_id=row["case_file"],
        role=row["role"],
        name=pf.open_required("person", "name", cell, row["name"]),
        id_number=pf.open_required("person", "id_number", cell, row["id_number"]),
        gender=row["gender"],
        birth_date=_d(row["birth_date"]),
        age_at_offense=row["age_at_offense"],
        minor_at_offense=bool(row["minor_at_offense"]),
        phone=pf.open_optional("person", "phone", cell, row["phone"]),
        address=pf.open_optional("person", "address", cell, row["address"]),
        spp_approval_document=row["spp_approval_document"],
        version=row["version"],
        sealed=bool(row.get("record_sealed", False)),
    )


_PERSON_SEALED = ("name", "id_number", "phone", "address")


def _sealed_person(person_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """The stored row of a person: sealed fields, blind index and per-case digest of the ID number."""
    row = {"id": person_id, **values}
    cell = pf.case_row(values["case_file"], person_id)
    for column in _PERSON_SEALED:
        row[column] = pf.seal("person", column, cell, values.get(column))
    row["id_number_index"] = pf.id_number_index(values["id_number"])
    row["id_number_digest"] = pf.id_number_digest(values["case_file"], values["id_number"])
    return row


async def _insert_rows(table: str, rows: list[dict[str, Any]]) -> None:
    """``INSERT`` rows with the same keys (ids included) in one statement."""
    if not rows:
        return
    columns = list(rows[0])
    placeholders = "(" + ", ".join("{}" for _ in columns) + ")"
    await db.fetch(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join(placeholders for _ in rows),
        *[r[c] for r in rows for c in columns],
    )


async def insert_person(values: dict[str, Any]) -> int:
    """Insert a person (plaintext ``values`` as :func:`service.person_row` builds); returns its id."""
    async with db.transaction():
        [person_id] = await db.reserve_ids("person", 1)
        await _insert_rows("person", [_sealed_person(person_id, values)])
    return person_id


async def person_exists(case_id: int, id_number: str, role: str) -> bool:
    """True when a person with this ID number has this role in the case (by keyed digest)."""
    digests = pf.id_number_digests(case_id, id_number)
    marks = ", ".join("{}" for _ in digests)
    row = await db.fetch_one(
        f"SELECT 1 AS hit FROM person WHERE case_file = {{}} AND role = {{}} AND id_number_digest IN ({marks}) LIMIT 1",
        case_id,
        role,
        *digests,
    )
    return row is not None


async def unit_of_person(person_id: int) -> int | None:
    """The unit owning the person's case, without opening any sealed field (the access log's record unit)."""
    row = await db.fetch_one(
        "SELECT case_file.unit AS unit FROM person JOIN case_file ON case_file.id = person.case_file "
        "WHERE person.id = {}",
        person_id,
    )
    return int(row["unit"]) if row else None


async def unit_of_case(case_id: int) -> int | None:
    """The unit owning the case."""
    row = await db.fetch_one("SELECT unit FROM case_file WHERE id = {}", case_id)
    return int(row["unit"]) if row else None


async def person_by_id(person_id: int) -> PersonRecord | None:
    """One person, with ``sealed`` set when their records in the case are sealed (R-SEAL-5)."""
    if not 1 <= person_id <= db.MAX_ID:
        return None
    row = await db.fetch_one(
        f"SELECT p.*, {visibility.person_hidden('p')} AS record_sealed FROM person p WHERE p.id = {{}}", person_id
    )
    return _person(row) if row else None


async def persons_of_case(case_id: int, *, include_sealed: bool = False) -> list[PersonRecord]:
    """The persons of a case, in the order added; sealed persons only when ``include_sealed`` (the
    sealing workflow's own snapshot, never an answer)."""
    hide = "" if include_sealed else f" AND {visibility.person_visible('p')}"
    rows = await db.fetch(
        f"SELECT p.*, {visibility.person_hidden('p')} AS record_sealed FROM person p WHERE p.case_file = {{}}{hide} "
        "ORDER BY p.id",
        case_id,
    )
    return [_person(r) for r in rows]


async def person_names(case_id: int) -> list[str]:
    """The full names of a case's persons (only the name column is opened: free-text checks need no more)."""
    rows = await db.fetch("SELECT id, case_file, name FROM person WHERE case_file = {} ORDER BY id", case_id)
    return [pf.open_required("person", "name", pf.case_row(r["case_file"], r["id"]), r["name"]) for r in rows]


async def update_person(person_id: int, case_id: int, version: int, values: dict[str, Any]) -> bool:
    """Optimistic update of a person of case ``case_id`` (plaintext ``values``); False when the version is stale."""
    cell = pf.case_row(case_id, person_id)
    stored = {
        col: pf.seal("person", col, cell, value) if col in _PERSON_SEALED else value for col, value in values.items()
    }
    sets = "".join(f"{col} = {{}}, " for col in stored)
    rows = await db.fetch(
        f"UPDATE person SET {sets}version = version + 1 WHERE id = {{}} AND case_file = {{}} AND version = {{}} "
        "RETURNING id",
        *stored.values(),
        person_id,
        case_id,
        version,
    )
    return bool(rows)


async def update_ages(case_id: int, ages: list[tuple[int, int | None, bool]]) -> None:
    """Store recomputed ages at the offence: (person id, age, minor)."""
    for person_id, age, minor in ages:
        await Person.update({Person.age_at_offense: age, Person.minor_at_offense: minor}).where(Person.id == person_id)


LOOKUP_LIMIT = 500
"""At most this many persons are returned by one ID-number lookup."""


async def _rows_with_id_number(unit_ids: list[int], id_number: str, *, include_sealed: bool) -> list[dict[str, Any]]:
    """Person rows (with the case number) whose ID number is this (normalised) one, in the cases of
    ``unit_ids``, at most ``LOOKUP_LIMIT``; sealed persons only when ``include_sealed``.

    The blind index narrows the units' persons to a few candidates (16 bits: about R / 65,536 of R
    rows share an index value); only each candidate's ID number is opened, and compared in constant time.
    """
    indexes = pf.id_number_indexes(id_number)
    marks = ", ".join("{}" for _ in indexes)
    units = ", ".join("{}" for _ in unit_ids)
    hide = "" if include_sealed else f" AND {visibility.person_visible('p')} AND {visibility.case_visible('c')}"
    rows = await db.fetch(
        "SELECT p.*, c.case_number FROM person p JOIN case_file c ON c.id = p.case_file "
        f"WHERE p.id_number_index IN ({marks}) AND c.unit IN ({units}){hide} ORDER BY p.id",
        *indexes,
        *unit_ids,
    )
    return _matching(rows, id_number, LOOKUP_LIMIT)


def _matching(rows: list[dict[str, Any]], id_number: str, limit: int) -> list[dict[str, Any]]:
    """The candidate person rows whose opened ID number is ``id_number`` (constant-time comparison), at
    most ``limit``."""
    hits: list[dict[str, Any]] = []
    for r in rows:
        cell = pf.case_row(r["case_file"], r["id"])
        if pf.same_id_number(pf.open_required("person", "id_number", cell, r["id_number"]), id_number):
            hits.append(r)
            if len(hits) == limit:
                break
    return hits


async def persons_by_id_number(unit_id: int, id_number: str) -> list[tuple[PersonRecord, str]]:
    """Persons with this (normalised) ID number in the cases of one unit, with their case numbers; only
    the persons that match are opened in full. Sealed persons are left out (R-SEAL-5: the sealed-status
    lookup answers for them)."""
    rows = await _rows_with_id_number([unit_id], id_number, include_sealed=False)
    return [(_person(r), r["case_number"]) for r in rows]


async def person_and_case_ids_by_id_number(unit_ids: list[int], id_number: str) -> list[tuple[int, int]]:
    """(person id, case id) of the persons with this ID number in the cases of ``unit_ids``, one query for
    all the units, opening nothing but the candidates' ID numbers (the auditors' search)."""
    if not unit_ids:
        return []
    rows = await _rows_with_id_number(unit_ids, id_number, include_sealed=True)
    return [(int(r["id"]), int(r["case_file"])) for r in rows]


def _sealed_step(step_id: int, values: dict[str, Any]) -> dict[str, Any]:
    cell = pf.case_row(values["case_file"], step_id)
    return {"id": step_id, **values, "summary": pf.seal("case_step", "summary", cell, values["summary"])}


async def insert_step(values: dict[str, Any]) -> int:
    """Insert a timeline step (plaintext ``values``); returns its id."""
    async with db.transaction():
        [step_id] = await db.reserve_ids("case_step", 1)
        await _insert_rows("case_step", [_sealed_step(step_id, values)])
    return step_id


async def steps_of_case(case_id: int, *, include_sealed: bool = False) -> list[StepRecord]:
    """The timeline of a case, oldest first; steps recorded before a seal in the case only when
    ``include_sealed`` (the sealing workflow's own snapshot, never an answer)."""
    hide = "" if include_sealed else f" AND NOT {visibility.recorded_before_seal('s.case_file', 's.created_at')}"
    rows = await db.fetch(
        "SELECT s.*, u.username FROM case_step s LEFT JOIN app_user u ON u.id = s.created_by "
        f"WHERE s.case_file = {{}}{hide} ORDER BY s.occurred_on, s.id",
        case_id,
    )
    return [
        StepRecord(
            id=r["id"],
            case_id=r["case_file"],
            kind=r["kind"],
            occurred_on=_d(r["occurred_on"]),
            summary=pf.open_required("case_step", "summary", pf.case_row(r["case_file"], r["id"]), r["summary"]),
            created_by=r["username"],
            created_at=_ts(r["created_at"]),
        )
        for r in rows
    ]


def _decision(r: dict[str, Any]) -> DecisionRecord:
    return DecisionRecord(
        id=r["id"],
        case_id=r["case_file"],
        person_id=r["person"],
        kind=r["kind"],
        decision_date=_d(r["decision_date"]),
        effective_date=_d(r["effective_date"]) if r["effective_date"] else None,
        document_number=r["document_number"],
        sentence_kind=r["sentence_kind"],
        sentence_months=r["sentence_months"],
        basis_article=r["basis_article"],
        created_at=_ts(r["created_at"]),
    )


async def insert_decision(values: dict[str, Any]) -> DecisionRecord:
    """Insert a decision and return it."""
    rows = await Decision.insert(Decision(**values)).returning(Decision.id)
    return _decision({**values, "id": rows[0]["id"]})


async def insert_many(table: str, rows: list[dict[str, Any]]) -> None:
    """Insert rows (all with the same keys) into ``case_step`` or ``decision`` in one statement.

    Step summaries are sealed (each bound to its reserved row id).
    """
    if not rows:
        return
    if table == "case_step":
        async with db.transaction():
            ids = await db.reserve_ids("case_step", len(rows))
            await _insert_rows("case_step", [_sealed_step(i, r) for i, r in zip(ids, rows, strict=True)])
        return
    classes = {"decision": Decision}
    cls = classes[table]
    await cls.insert(*[cls(**r) for r in rows])


async def decision_exists(case_id: int, person_id: int, kind: str, document_number: str) -> bool:
    """True when this decision (person, kind, document number) is recorded in the case."""
    return bool(
        await Decision.exists().where(
            (Decision.case_file == case_id)
            & (Decision.person == person_id)
            & (Decision.kind == kind)
            & (Decision.document_number == document_number)
        )
    )


async def decisions_of_case(case_id: int, *, include_sealed: bool = False) -> list[DecisionRecord]:
    """The decisions of a case by date; those about sealed persons only when ``include_sealed`` (the
    sealing workflow's own snapshot, never an answer)."""
    hide = "" if include_sealed else f" AND {visibility.person_visible('p')}"
    rows = await db.fetch(
        f"SELECT d.* FROM decision d JOIN person p ON p.id = d.person WHERE d.case_file = {{}}{hide} "
        "ORDER BY d.decision_date, d.id",
        case_id,
    )
    return [_decision(r) for r in rows]


async def decision_by_id(decision_id: int) -> DecisionRecord | None:
    """One decision (whoever it is about: the caller checks the person's seal)."""
    if not 1 <= decision_id <= db.MAX_ID:
        return None
    row = await db.fetch_one("SELECT * FROM decision WHERE id = {}", decision_id)
    return _decision(row) if row else None


async def has_unsealed_conviction(id_number: str) -> bool:
    """True when a person with this (normalised) ID number, in any unit's cases and not sealed, has a
    judgment recorded (a criminal record that no certificate may deny, R-SEAL-8). Only the blind index's
    candidates with a judgment are opened."""
    indexes = pf.id_number_indexes(id_number)
    marks = ", ".join("{}" for _ in indexes)
    rows = await db.fetch(
        "SELECT p.id, p.case_file, p.id_number FROM person p "
        f"WHERE p.id_number_index IN ({marks}) AND p.role = 'suspect' AND {visibility.person_visible('p')} "
        "AND EXISTS (SELECT 1 FROM decision d WHERE d.person = p.id AND d.kind = 'judgment')",
        *indexes,
    )
    return bool(_matching(rows, id_number, 1))


FINAL_KINDS = ("judgment", "acquittal", "non_prosecution_relative", "non_prosecution_absolute",
               "non_prosecution_after_probation")  # fmt: skip
"""Decisions that end a person's case (and decide sealing)."""


async def has_final_decision(case_id: int) -> bool:
    """True when a judgment, acquittal or decision not to prosecute is recorded in the case."""
    marks = ", ".join("{}" for _ in FINAL_KINDS)
    row = await db.fetch_one(
        f"SELECT 1 AS hit FROM decision WHERE case_file = {{}} AND kind IN ({marks}) LIMIT 1", case_id, *FINAL_KINDS
    )
    return row is not None
