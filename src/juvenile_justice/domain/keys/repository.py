"""Batches of protected rows, read and written back with compare-and-set (issue 3, rewrap).

Generic over the tables of :data:`juvenile_justice.domain.keys.service.PROTECTED_TABLES`; table and
column names come from that registry, never from input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from juvenile_justice import db


def _check_names(*names: str) -> None:
    for name in names:
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not an identifier: {name!r}")


async def count_rows(table: str) -> int:
    """How many rows ``table`` has."""
    _check_names(table)
    row = await db.fetch_one(f"SELECT COUNT(*) AS n FROM {table}")
    return int(row["n"]) if row else 0


async def rows_after(table: str, columns: Sequence[str], after_id: int, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` rows of ``table`` with id > ``after_id``, by id: ``id`` and ``columns``."""
    _check_names(table, *columns)
    return await db.fetch(
        f"SELECT id, {', '.join(columns)} FROM {table} WHERE id > {{}} ORDER BY id LIMIT {{}}",
        after_id,
        limit,
    )


async def compare_and_set(
    table: str, columns: Sequence[str], changes: Sequence[tuple[int, dict[str, Any], dict[str, Any]]]
) -> int:
    """Write ``new`` values of ``columns`` where the row still holds ``old`` ones; returns rows written.

    ``changes`` holds (id, old, new) with every column in both dicts. One statement per call; a row
    changed meanwhile by a request keeps the request's values (it is not counted).
    """
    _check_names(table, *columns)
    if not changes:
        return 0
    args: list[Any] = []
    for row_id, old, new in changes:
        args.append(row_id)
        for col in columns:
            args.extend((old[col], new[col]))
    width = 1 + 2 * len(columns)
    if db.is_postgres():
        one = "(" + ", ".join(["{}::int"] + ["{}::text"] * (width - 1)) + ")"
        names = ["id"] + [n for col in columns for n in (f"old_{col}", f"new_{col}")]
        sets = ", ".join(f"{col} = v.new_{col}" for col in columns)
        same = " AND ".join(f"t.{col} IS NOT DISTINCT FROM v.old_{col}" for col in columns)
        sql = (
            f"UPDATE {table} AS t SET {sets} FROM (VALUES {', '.join([one] * len(changes))}) "
            f"AS v({', '.join(names)}) WHERE t.id = v.id AND {same} RETURNING t.id"
        )
    else:
        one = "(" + ", ".join(["{}"] * width) + ")"
        sets = ", ".join(f"{col} = v.column{2 + 2 * i + 1}" for i, col in enumerate(columns))
        same = " AND ".join(f"{table}.{col} IS v.column{2 + 2 * i}" for i, col in enumerate(columns))
        sql = (
            f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([one] * len(changes))}) AS v "
            f"WHERE {table}.id = v.column1 AND {same} RETURNING {table}.id"
        )
    return len(await db.fetch(sql, *args))


async def newest_row_if_table(table: str, columns: Sequence[str]) -> dict[str, Any] | None:
    """The row of ``table`` with the highest id (``id`` and ``columns``); None when the table is empty or
    does not exist yet (a database before migrations)."""
    _check_names(table, *columns)
    if db.is_postgres():
        found = await db.fetch_one("SELECT to_regclass({}) IS NOT NULL AS present", table)
    else:
        found = await db.fetch_one(
            "SELECT COUNT(*) > 0 AS present FROM sqlite_master WHERE type = 'table' AND name = {}", table
        )
    if not found or not found["present"]:
        return None
    return await db.fetch_one(f"SELECT id, {', '.join(columns)} FROM {table} ORDER BY id DESC LIMIT 1")


async def sample_rows(table: str, columns: Sequence[str], count: int) -> list[dict[str, Any]]:
    """Up to ``count`` rows spread evenly over ``table``'s ids (oldest and newest included)."""
    _check_names(table, *columns)
    bounds = await db.fetch_one(f"SELECT MIN(id) AS low, MAX(id) AS high FROM {table}")
    if not bounds or bounds["low"] is None:
        return []
    low, high = int(bounds["low"]), int(bounds["high"])
    starts = sorted({low + (high - low) * k // max(count - 1, 1) for k in range(count)})
    rows: dict[int, dict[str, Any]] = {}
    for start in starts:
        row = await db.fetch_one(
            f"SELECT id, {', '.join(columns)} FROM {table} WHERE id >= {{}} ORDER BY id LIMIT 1", start
        )
        if row is not None:
            rows[int(row["id"])] = row
    return list(rows.values())
