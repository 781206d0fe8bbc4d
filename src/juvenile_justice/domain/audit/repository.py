"""Access-log storage: the serialised append and ordered reads (the only code that touches access_log)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from juvenile_justice import db

APPEND_LOCK = 0x6A6A_A0D1
"""PostgreSQL advisory-lock key that serialises appends across every worker process."""

COLUMNS = (
    "seq",
    "at",
    "actor",
    "role",
    "unit",
    "action",
    "target",
    "purpose",
    "outcome",
    "request_id",
    "client",
    "record_unit",
)
LATER_COLUMNS = frozenset({"record_unit"})
"""Columns added after the first version: hashed only when set (audit 0002)."""


async def log_id() -> str:
    """The log's identity, pinned in every checkpoint (audit 0002)."""
    row = await db.fetch_one("SELECT log_id FROM access_log_meta LIMIT 1")
    return str(row["log_id"]) if row else "jj-unknown"


async def head() -> tuple[int, str] | None:
    """The newest entry (seq, entry hash) without taking the append lock."""
    row = await db.fetch_one("SELECT seq, entry_hash FROM access_log ORDER BY seq DESC LIMIT 1")
    return (int(row["seq"]), str(row["entry_hash"])) if row else None


async def anchor() -> tuple[int, str, str] | None:
    """The current retention anchor (first kept seq, hash before it, encoded Merkle peaks), if pruned."""
    rows = await _safe_fetch("SELECT {cols} FROM access_log_anchor ORDER BY id DESC LIMIT 1", ANCHOR_COLUMNS)
    if not rows:
        return None
    row = rows[0]
    start = row["start_seq"]
    if not isinstance(start, int) or not isinstance(row["prev_hash"], str) or not isinstance(row["peaks"], str):
        return (0, "", "")  # malformed: verification fails on it (start 0 is no anchor a prune writes)
    return (start, row["prev_hash"], row["peaks"])


async def prune_entry_seq(start_seq: int) -> int | None:
    """The sequence number of the ``audit.prune`` entry that made the anchor at ``start_seq``, if any."""
    row = await db.fetch_one(
        "SELECT MIN(seq) AS seq FROM access_log WHERE action = 'audit.prune' AND outcome = 'allowed' "
        "AND target = {} AND seq >= {}",
        f"access_log:{start_seq}",
        start_seq,
    )
    return int(row["seq"]) if row and isinstance(row["seq"], int) else None


async def latest_at_up_to(seq: int) -> str | None:
    """The latest ``at`` stamp among the entries up to ``seq`` (what a prune to there would delete)."""
    row = await db.fetch_one("SELECT MAX(at) AS at FROM access_log WHERE seq <= {}", seq)
    return str(row["at"]) if row and row["at"] is not None else None


async def entry(seq: int) -> dict[str, Any] | None:
    """One entry by its sequence number."""
    rows = await _safe_fetch("SELECT {cols} FROM access_log WHERE seq = {}", ENTRY_COLUMNS, seq)
    return rows[0] if rows else None


class Malformed(str):
    """A stored value that is not what its column holds (text in an integer column, bytes that are not
    UTF-8): only a changed database file holds one. It fails the entry's hash check, never a read."""

    __slots__ = ()


INT_COLUMNS = frozenset({"seq", "unit", "record_unit", "start_seq", "id"})
ENTRY_COLUMNS = (*COLUMNS, "prev_hash", "entry_hash")
ANCHOR_COLUMNS = ("id", "start_seq", "prev_hash", "peaks", "pruned_before", "pruned_at")


def _decode(name: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            text = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return Malformed("")
    else:
        text = value if isinstance(value, str) else str(value)
        if name in INT_COLUMNS and isinstance(value, int) and not isinstance(value, bool):
            return value
    if name in INT_COLUMNS:
        return int(text) if re.fullmatch(r"-?[0-9]{1,19}", text) else Malformed(text[:40])
    return text


async def _safe_fetch(sql: str, columns: tuple[str, ...], *args: Any) -> list[dict[str, Any]]:
    """Rows read so that whatever a changed SQLite file holds comes back as a value or :class:`Malformed`,
    never as an exception (SQLite keeps any type in any column and text that is not UTF-8; PostgreSQL's
    types already guarantee both)."""
    if db.is_postgres():
        return await db.fetch(sql.replace("{cols}", ", ".join(columns)), *args)
    cols = ", ".join(f"CAST({c} AS BLOB) AS raw_{c}" for c in columns)  # other names: SQLite would let
    rows = await db.fetch(sql.replace("{cols}", cols), *args)  # WHERE and ORDER BY see the aliases
    return [{c: _decode(c, row[f"raw_{c}"]) for c in columns} for row in rows]


async def first_seq_at_or_after(at: str) -> int | None:
    """The first entry written at or after the stamp ``at`` (the first kept by a prune)."""
    row = await db.fetch_one("SELECT MIN(seq) AS seq FROM access_log WHERE at >= {}", at)
    return int(row["seq"]) if row and row["seq"] is not None else None


async def prune_below(start_seq: int, values: dict[str, Any]) -> int:
    """Delete the entries below ``start_seq`` and record the anchor ``values``, in the caller's
    transaction, through the one gate the append-only triggers leave open. Returns the number deleted."""
    if db.is_postgres():
        await db.fetch("SELECT set_config('jj.audit_prune', 'on', true) AS gate")
    else:
        await db.fetch("INSERT INTO access_log_gate (open) VALUES (1)")
    count = await db.fetch_one("SELECT COUNT(*) AS n FROM access_log WHERE seq < {}", start_seq)
    await db.fetch("DELETE FROM access_log WHERE seq < {}", start_seq)
    if db.is_postgres():
        await db.fetch("SELECT set_config('jj.audit_prune', 'off', true) AS gate")
    else:
        await db.fetch("DELETE FROM access_log_gate")
    last = await db.fetch_one("SELECT COALESCE(MAX(id), 0) AS id FROM access_log_anchor")
    values = {"id": int(last["id"]) + 1 if last else 1, **values}
    columns = list(values)
    await db.fetch(
        f"INSERT INTO access_log_anchor ({', '.join(columns)}) VALUES ({', '.join('{}' for _ in columns)})",
        *values.values(),
    )
    return int(count["n"]) if count else 0


async def search(where: list[str], args: list[Any], *, before_seq: int | None, limit: int) -> list[dict[str, Any]]:
    """Entries matching the SQL conditions ``where`` (placeholders ``{}`` bound to ``args``), newest
    first, below ``before_seq`` when given."""
    conditions = list(where)
    params = list(args)
    if before_seq is not None:
        conditions.append("seq < {}")
        params.append(before_seq)
    sql = "SELECT {cols} FROM access_log"
    if conditions:
        sql += " WHERE " + " AND ".join(f"({c})" for c in conditions)
    sql += " ORDER BY seq DESC LIMIT {}"
    return await _safe_fetch(sql, ENTRY_COLUMNS, *params, limit)


def _blob(expression: str) -> str:
    """``expression`` read as bytes on SQLite (whatever a changed file holds), as itself on PostgreSQL."""
    return expression if db.is_postgres() else f"CAST({expression} AS BLOB)"


async def reads_per_minute(
    actors: list[str], read_actions_like: list[str], first_at: str, last_at: str, threshold: int
) -> set[tuple[str, str]]:
    """(actor, minute ``YYYY-MM-DDTHH:MM``) pairs in which the actor made more than ``threshold``
    allowed reads, between the stamps ``first_at`` and ``last_at`` (whole minutes)."""
    if not actors:
        return set()
    marks = ", ".join("{}" for _ in actors)
    likes = " OR ".join("action LIKE {} ESCAPE '\\'" for _ in read_actions_like)
    rows = await db.fetch(
        f"SELECT {_blob('actor')} AS raw_actor, {_blob('SUBSTR(at, 1, 16)')} AS minute, COUNT(*) AS n FROM access_log "
        f"WHERE outcome = 'allowed' AND actor IN ({marks}) AND ({likes}) AND at >= {{}} AND at < {{}} "
        "GROUP BY actor, SUBSTR(at, 1, 16)",
        *actors,
        *read_actions_like,
        first_at[:16],
        last_at[:16] + "~",
    )

    def text(value: Any) -> str:
        return bytes(value).decode("utf-8", "replace") if isinstance(value, bytes | memoryview) else str(value)

    return {(text(r["raw_actor"]), text(r["minute"])) for r in rows if int(r["n"]) > threshold}


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
        rows = await _safe_fetch(
            "SELECT {cols} FROM access_log WHERE seq > {} ORDER BY seq LIMIT {}", ENTRY_COLUMNS, after_seq, batch
        )
        for row in rows:
            yield row
        if len(rows) < batch or not isinstance(rows[-1]["seq"], int) or isinstance(rows[-1]["seq"], Malformed):
            return
        after_seq = rows[-1]["seq"]


async def has_entry(action: str, target: str, purpose: str) -> bool:
    """True when the log holds an entry of ``action`` on ``target`` with exactly ``purpose`` (indexed by
    target)."""
    row = await db.fetch_one(
        "SELECT 1 AS ok FROM access_log WHERE target = {} AND action = {} AND purpose = {} LIMIT 1",
        target,
        action,
        purpose,
    )
    return row is not None
