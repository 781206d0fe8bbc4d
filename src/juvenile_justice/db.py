"""Database access shared by every repository: transactions, raw SQL, pool and migrations.

SQLite write transactions are ``BEGIN IMMEDIATE`` (stack-notes §4: a deferred transaction that reads
then writes fails with "database is locked" under concurrency); PostgreSQL uses its pool.
"""

from __future__ import annotations

import contextlib
import io
import sqlite3
from collections.abc import AsyncIterator, Sequence
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


async def execute_script(statements: Sequence[str]) -> None:
    """Run DDL statements one by one (used by migrations)."""
    db = engine()
    for statement in statements:
        await db.run_ddl(statement)


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
        _keepalive = sqlite3.connect(db.connection_kwargs["database"], check_same_thread=False)


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
        raise RuntimeError(f"migration failed: {result.message}")
    return await _applied_migrations() - before


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
