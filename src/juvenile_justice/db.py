"""Database access shared by every repository: transactions, raw SQL, pool and migrations.

SQLite write transactions are ``BEGIN IMMEDIATE`` (stack-notes §4: a deferred transaction that reads
then writes fails with "database is locked" under concurrency); PostgreSQL uses its pool.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString

MAX_ID = 2**31 - 1
"""Ids are 4-byte integers (SERIAL) on PostgreSQL; a larger id in a request names nothing."""


def engine() -> Engine:
    """The configured Piccolo engine.

    Raises:
        RuntimeError: no engine could be found (misconfigured ``PICCOLO_CONF``).
    """
    found = engine_finder()
    if found is None:
        raise RuntimeError("no database engine configured")
    return found


def is_postgres() -> bool:
    """True when the engine is PostgreSQL."""
    return isinstance(engine(), PostgresEngine)


def transaction() -> Any:
    """One write transaction: ``async with transaction(): ...`` (nested calls join the outer one)."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run SQL with ``{}`` placeholders (Piccolo's QueryString) and return the rows as dicts."""
    rows = await engine().run_querystring(QueryString(sql, *args))
    return [dict(r) for r in rows or []]


async def fetch_one(sql: str, *args: Any) -> dict[str, Any] | None:
    """The first row of :func:`fetch`, or None."""
    rows = await fetch(sql, *args)
    return rows[0] if rows else None


async def insert_row(table: str, values: dict[str, Any]) -> int:
    """``INSERT`` one row of ``table`` (a plain identifier; keys are column names) and return its ``id``."""
    if not table.replace("_", "").isalnum():
        raise ValueError("insert_row takes a table name")
    columns = ", ".join(values)
    marks = ", ".join("{}" for _ in values)
    rows = await fetch(f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id", *values.values())
    return int(rows[0]["id"])


def as_date(value: Any) -> date:
    """A DATE column's value as a date (SQLite returns ISO text, PostgreSQL a date)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def as_timestamp(value: Any) -> datetime:
    """A TIMESTAMPTZ column's value as an aware datetime (SQLite returns ISO text; naive text is UTC)."""
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def execute_script(statements: Sequence[str]) -> None:
    """Run DDL statements one by one (used by migrations)."""
    db = engine()
    for statement in statements:
        await db.run_ddl(statement)


async def reserve_ids(table: str, count: int) -> list[int]:
    """``count`` new ids for rows of ``table`` (an id column of SERIAL / INTEGER PRIMARY KEY AUTOINCREMENT).

    Encrypted fields are bound to their row id, so it must be known before the insert. PostgreSQL
    draws from the table's sequence (never handed out twice). On SQLite the ids follow the larger of
    ``sqlite_sequence`` and ``MAX(id)``, so the caller must hold the write transaction until the
    rows are inserted (:func:`transaction` is ``BEGIN IMMEDIATE``: no other writer meanwhile).

    Raises:
        ValueError: ``table`` is not a plain identifier or ``count`` is not positive.
    """
    if not table.replace("_", "").isalnum() or count < 1:
        raise ValueError("reserve_ids takes a table name and a positive count")
    if is_postgres():
        rows = await fetch(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id FROM generate_series(1, {{}})", count
        )
        return [int(r["id"]) for r in rows]
    row = await fetch_one(
        f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0), "
        f"COALESCE((SELECT MAX(id) FROM {table}), 0)) AS last"
    )
    last = int(row["last"]) if row else 0
    return list(range(last + 1, last + 1 + count))


_keepalive: sqlite3.Connection | None = None


async def start() -> None:
    """Open the PostgreSQL pool; on SQLite, hold one idle connection for the life of the process.

    Piccolo's SQLite engine connects per transaction or query. When the last connection to a WAL
    database closes, SQLite checkpoints and deletes the WAL, which made every commit about 4 ms
    slower (bench/bench_import.py). An idle connection held open prevents that.
    """
    global _keepalive
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is None:
        await db.start_connection_pool(min_size=2, max_size=10)
    elif isinstance(db, SQLiteEngine) and _keepalive is None:
        path = db.connection_kwargs["database"]
        previous = os.umask(0o077)  # a new database file (and its WAL) is readable by its owner only
        try:
            _keepalive = sqlite3.connect(path, check_same_thread=False)
            _keepalive.execute("PRAGMA journal_mode=WAL")
        finally:
            os.umask(previous)


async def stop() -> None:
    """Close the PostgreSQL pool, or the idle SQLite connection."""
    global _keepalive
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is not None:
        await db.close_connection_pool()
    if _keepalive is not None:
        _keepalive.close()
        _keepalive = None


async def migrate() -> int:
    """Apply every pending Piccolo migration, in dependency order, quietly; returns how many ran.

    Raises:
        RuntimeError: a migration failed (the message names it).
    """
    from piccolo.apps.migrations.commands.forwards import run_forwards

    db = engine()
    if isinstance(db, SQLiteEngine):
        await db.run_ddl("PRAGMA journal_mode=WAL")
    before = await _applied_migrations()
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        result = await run_forwards("all")
    if not result.success:
        _vacuum_requests.clear()
        raise RuntimeError(f"migration failed: {result.message}")
    await _vacuum_requested()
    from juvenile_justice.settings import get_settings

    role = get_settings().app_db_role
    if role and is_postgres():
        await grant_app_role(role)
    return await _applied_migrations() - before


APPEND_ONLY_TABLES = ("access_log", "access_log_meta", "access_log_anchor")
"""Tables the service's database role may read and (``access_log`` only) append to, never change."""


async def grant_app_role(role: str) -> None:
    """Give the PostgreSQL role the service connects as what it needs and no more (security.md A11): it
    reads and writes the application's tables, appends to the access log, and can neither change, delete
    nor truncate the log, nor alter any table (it owns none; migrations and ``audit prune`` run as the
    owner). Run by ``migrate`` when ``JJ_APP_DB_ROLE`` is set, so tables added by later migrations are covered.

    Raises:
        RuntimeError: the role does not exist (create it first: ``CREATE ROLE … LOGIN``).
    """
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise RuntimeError("JJ_APP_DB_ROLE must be a plain lower-case role name")
    exists = await fetch("SELECT 1 AS ok FROM pg_roles WHERE rolname = {}", role)
    if not exists:
        raise RuntimeError(f"PostgreSQL role {role!r} does not exist: create it first (CREATE ROLE {role} LOGIN)")
    logs = ", ".join(APPEND_ONLY_TABLES)
    await execute_script(
        [
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
            f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {logs} FROM {role}",
            f"REVOKE INSERT ON access_log_meta, access_log_anchor FROM {role}",
            f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON migration FROM {role}",
        ]
    )


async def log_role_can_alter_log() -> bool:
    """True when the connected PostgreSQL role could change or delete access-log entries (it owns the
    table or holds UPDATE/DELETE/TRUNCATE on it); always False on SQLite (triggers only)."""
    if not is_postgres():
        return False
    row = await fetch_one(
        "SELECT pg_has_role(current_user, tableowner, 'USAGE') OR has_table_privilege('access_log', 'UPDATE') "
        "OR has_table_privilege('access_log', 'DELETE') OR has_table_privilege('access_log', 'TRUNCATE') AS alter "
        "FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'access_log'"
    )
    return bool(row and row["alter"])


_vacuum_requests: set[str] = set()


def request_vacuum(*tables: str) -> None:
    """Ask :func:`migrate` to vacuum ``tables`` once the migrations have committed.

    A migration that rewrites personal data in place calls this so that no old copy survives in
    the database files: SQLite runs ``VACUUM`` (rebuilds the file; free pages go) and truncates the
    WAL; PostgreSQL runs ``VACUUM FULL`` on each table (dead row versions go with the old files).
    """
    _vacuum_requests.update(tables)


async def _vacuum_requested() -> None:
    if not _vacuum_requests:
        return
    tables = sorted(_vacuum_requests)
    _vacuum_requests.clear()
    db = engine()
    if isinstance(db, SQLiteEngine):
        await db.run_ddl("VACUUM")
        await db.run_ddl("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        for table in tables:
            if not table.replace("_", "").isalnum():
                raise ValueError(f"not a table name: {table!r}")
            await db.run_ddl(f"VACUUM FULL {table}")


async def _applied_migrations() -> int:
    try:
        row = await fetch_one("SELECT COUNT(*) AS n FROM migration")
    except Exception:
        return 0
    return int(row["n"]) if row else 0


@contextlib.asynccontextmanager
async def lifespan_pool() -> AsyncIterator[None]:
    """Open the pool for the duration of a block (CLI commands)."""
    await start()
    try:
        yield
    finally:
        await stop()
