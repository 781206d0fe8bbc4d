"""Bench-only prototypes of proposed fixes, applied by monkeypatching inside a bench worker process.

Nothing here changes ``src/``: each prototype patches module attributes of the running process only,
so that a proposal can be measured in the same run as the code as it is. ``--whatif`` in
``bench_import.py`` and ``bench_case_list.py`` uses them.

* :func:`sqlite_keeper` — hold one extra SQLite connection open. Piccolo's SQLite engine opens a
  connection per query (and per transaction) and closes it afterwards; when the closing connection is
  the last one on a WAL database, SQLite checkpoints the WAL and deletes the ``-wal``/``-shm`` files,
  so every write transaction pays a checkpoint and every query re-creates the WAL index.
* :func:`sqlite_single_pragma` — set ``PRAGMA foreign_keys`` once per connection, not before every
  statement of a transaction.
* :func:`savepoint_batches` — one transaction per batch of lines, one SAVEPOINT per line (a refused
  line still leaves nothing behind), instead of one transaction (BEGIN … COMMIT) per line.
* :func:`lean_repository` — keep what the importer wrote for the current line in memory (the case,
  its persons and decisions) and resolve units/prosecutors once, instead of reading them back from the
  database before every person and decision (``persons_of_case`` per person, ``person_by_id`` +
  ``decisions_of_case`` + a re-select per decision, ``case_by_id`` per case). The validation code of
  ``service.insert_*`` and ``rules`` runs unchanged.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from typing import Any


@contextlib.contextmanager
def sqlite_keeper() -> Iterator[None]:
    """Keep one connection to the configured SQLite file open (no-op on PostgreSQL)."""
    from juvenile_justice.settings import get_settings

    settings = get_settings()
    if settings.is_postgres:
        yield
        return
    conn = sqlite3.connect(str(settings.sqlite_path))
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()  # opens the WAL index
        yield
    finally:
        conn.close()


@contextlib.contextmanager
def sqlite_single_pragma() -> Iterator[None]:
    """Do not re-run ``PRAGMA foreign_keys = 1`` before every statement inside a transaction.

    Piccolo's ``SQLiteEngine._run_in_existing_connection`` executes the pragma before each statement
    (one more round trip to the aiosqlite thread per statement), although ``get_connection`` has set
    it when the transaction's connection was opened. No-op on PostgreSQL.
    """
    import sqlite3 as _sqlite3

    from piccolo.engine.sqlite import SQLiteEngine, dict_factory

    if _sqlite3.sqlite_version_info < (3, 35):  # older SQLite needs Piccolo's lastrowid path
        yield
        return
    original = SQLiteEngine._run_in_existing_connection

    async def run_in_existing_connection(
        self: Any, connection: Any, query: str, args: Any = None, query_type: str = "generic", table: Any = None
    ) -> Any:
        connection.row_factory = dict_factory
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()

    SQLiteEngine._run_in_existing_connection = run_in_existing_connection  # type: ignore[method-assign]
    try:
        yield
    finally:
        SQLiteEngine._run_in_existing_connection = original  # type: ignore[method-assign]


class _LineSavepoint:
    def __init__(self, tx: Any) -> None:
        self.tx = tx
        self.savepoint: Any = None

    async def __aenter__(self) -> Any:
        self.savepoint = await self.tx.savepoint()
        return self.tx

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc is None:
            await self.savepoint.release()
        else:
            await self.savepoint.rollback_to()
            await self.savepoint.release()
        return False


async def savepoint_batches(lines: list[dict[str, Any]], per_transaction: int) -> Any:
    """``import_objects`` over ``lines``, ``per_transaction`` lines per transaction, a savepoint per line."""
    from juvenile_justice import db
    from juvenile_justice.domain.cases.importing import ImportReport, import_objects

    original = db.transaction

    def transaction() -> Any:
        current = db.engine().current_transaction.get()
        return _LineSavepoint(current) if current is not None else original()

    total = ImportReport()
    db.transaction = transaction
    try:
        for start in range(0, len(lines), per_transaction):
            async with original():
                part = await import_objects(enumerate(lines[start : start + per_transaction], start=start + 1))
            total.created += part.created
            total.unchanged += part.unchanged
            total.errors += part.errors
    finally:
        db.transaction = original
    return total


@contextlib.contextmanager
def lean_repository() -> Iterator[None]:
    """Serve the importer's read-backs from memory (see the module docstring)."""
    from juvenile_justice.domain.accounts import repository as accounts_repo
    from juvenile_justice.domain.cases import repository as repo
    from juvenile_justice.domain.cases.tables import Decision

    saved = {
        name: getattr(repo, name)
        for name in (
            "insert_case",
            "insert_charges",
            "case_by_id",
            "insert_person",
            "persons_of_case",
            "person_by_id",
            "insert_decision",
            "decisions_of_case",
        )
    }
    saved_accounts = {name: getattr(accounts_repo, name) for name in ("unit_by_name", "unit_by_id", "user_by_username")}
    units_by_name: dict[str, Any] = {}
    units_by_id: dict[int, Any] = {}
    users: dict[str, Any] = {}
    usernames: dict[int, str] = {}
    cases: dict[int, dict[str, Any]] = {}
    charges: dict[int, list[tuple[str, str, int]]] = {}
    persons: dict[int, list[Any]] = {}
    persons_by_id: dict[int, Any] = {}
    decisions: dict[int, list[Any]] = {}

    async def unit_by_name(name: str) -> Any:
        if name not in units_by_name:
            units_by_name[name] = await saved_accounts["unit_by_name"](name)
        return units_by_name[name]

    async def unit_by_id(unit_id: int) -> Any:
        if unit_id not in units_by_id:
            units_by_id[unit_id] = await saved_accounts["unit_by_id"](unit_id)
        return units_by_id[unit_id]

    async def user_by_username(username: str) -> Any:
        if username not in users:
            users[username] = await saved_accounts["user_by_username"](username)
            if users[username] is not None:
                usernames[users[username].id] = username
        return users[username]

    async def insert_case(values: dict[str, Any]) -> int:
        case_id = await saved["insert_case"](values)
        cases[case_id] = dict(values)
        persons[case_id], decisions[case_id] = [], []
        return int(case_id)

    async def insert_charges(case_id: int, items: list[tuple[str, str, int]]) -> None:
        await saved["insert_charges"](case_id, items)
        charges[case_id] = list(items)

    async def case_by_id(case_id: int) -> Any:
        v = cases.get(case_id)
        creator = v and v["created_by"]
        if v is None or (creator is not None and creator not in usernames):
            return await saved["case_by_id"](case_id)
        unit = await unit_by_id(v["unit"])
        return repo.CaseRecord(
            id=case_id,
            unit_id=v["unit"],
            unit_name=unit.name,
            case_number=v["case_number"],
            case_type=v["case_type"],
            title=v["title"],
            offense_date=v["offense_date"],
            received_on=v["received_on"],
            external_id=v["external_id"],
            created_by_id=creator,
            created_by=usernames.get(creator) if creator is not None else None,
            version=v["version"],
            created_at=v["created_at"],
            updated_at=v["updated_at"],
            charges=tuple(charges.get(case_id, ())),
            assigned=(),
        )

    async def insert_person(values: dict[str, Any]) -> int:
        person_id = int(await saved["insert_person"](values))
        record = repo.PersonRecord(
            id=person_id,
            case_id=values["case_file"],
            role=values["role"],
            name=values["name"],
            id_number=values["id_number"],
            gender=values["gender"],
            birth_date=values["birth_date"],
            age_at_offense=values["age_at_offense"],
            minor_at_offense=bool(values["minor_at_offense"]),
            phone=values["phone"],
            address=values["address"],
            spp_approval_document=values["spp_approval_document"],
            version=values["version"],
        )
        if values["case_file"] in persons:
            persons[values["case_file"]].append(record)
            persons_by_id[person_id] = record
        return person_id

    async def persons_of_case(case_id: int) -> list[Any]:
        if case_id in persons:
            return list(persons[case_id])
        return list(await saved["persons_of_case"](case_id))

    async def person_by_id(person_id: int) -> Any:
        if person_id in persons_by_id:
            return persons_by_id[person_id]
        return await saved["person_by_id"](person_id)

    async def insert_decision(values: dict[str, Any]) -> Any:
        if values["case_file"] not in decisions:
            return await saved["insert_decision"](values)
        rows = await Decision.insert(Decision(**values)).returning(Decision.id)
        record = repo.DecisionRecord(
            id=int(rows[0]["id"]),
            case_id=values["case_file"],
            person_id=values["person"],
            kind=values["kind"],
            decision_date=values["decision_date"],
            effective_date=values["effective_date"],
            document_number=values["document_number"],
            sentence_kind=values["sentence_kind"],
            sentence_months=values["sentence_months"],
            basis_article=values["basis_article"],
            created_at=values["created_at"],
        )
        decisions[values["case_file"]].append(record)
        return replace(record)

    async def decisions_of_case(case_id: int) -> list[Any]:
        if case_id in decisions:
            return sorted(decisions[case_id], key=lambda d: (d.decision_date, d.id))
        return list(await saved["decisions_of_case"](case_id))

    patched = {
        "insert_case": insert_case,
        "insert_charges": insert_charges,
        "case_by_id": case_by_id,
        "insert_person": insert_person,
        "persons_of_case": persons_of_case,
        "person_by_id": person_by_id,
        "insert_decision": insert_decision,
        "decisions_of_case": decisions_of_case,
    }
    patched_accounts = {
        "unit_by_name": unit_by_name,
        "unit_by_id": unit_by_id,
        "user_by_username": user_by_username,
    }
    for name, fn in patched.items():
        setattr(repo, name, fn)
    for name, fn in patched_accounts.items():
        setattr(accounts_repo, name, fn)
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(repo, name, fn)
        for name, fn in saved_accounts.items():
            setattr(accounts_repo, name, fn)
