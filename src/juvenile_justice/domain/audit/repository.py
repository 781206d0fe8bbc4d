"""Access-log storage: the serialised append and ordered reads (the only code that touches access_log)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from juvenile_justice import db

APPEND_LOCK = 0x6A6A_A0D1
"""PostgreSQL advisory-lock key that serialises appends across every worker process."""

COLUMNS = ("seq", "at", "actor", "role", "unit", "action", "target", "purpose", "outcome", "request_id", "client")


async def lock_head() -> tuple[int, str] | None:
    """Take the append lock for the current transaction and return the head (seq, entry hash), if any.

    PostgreSQL: ``pg_advisory_xact_lock`` (held to commit or rollback). SQLite: the caller's
    ``BEGIN IMMEDIATE`` transaction already excludes every other writer.
    """
    if db.is_postgres():
        await db.fetch("SELECT pg_advisory_xact_lock({}) AS locked", APPEND_LOCK)
    row = await db.fetch_one("SELECT seq, entry_hash FROM access_log ORDER BY seq DESC LIMIT 1")
    return (int(row["seq"]), str(row["entry_hash"])) if row else None


async def insert(values: dict[str, Any]) -> None:
    """Insert one entry (``COLUMNS`` plus ``prev_hash`` and ``entry_hash``)."""
    columns = list(values)
    await db.fetch(
        f"INSERT INTO access_log ({', '.join(columns)}) VALUES ({', '.join('{}' for _ in columns)})",
        *values.values(),
    )


async def entries(after_seq: int = 0, batch: int = 5000) -> AsyncIterator[dict[str, Any]]:
    """Every entry after ``after_seq`` in storage order of ``seq``, read in batches."""
    while True:
        rows = await db.fetch(
            "SELECT * FROM access_log WHERE seq > {} ORDER BY seq LIMIT {}",
            after_seq,
            batch,
        )
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        after_seq = int(rows[-1]["seq"])
