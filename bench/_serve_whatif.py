"""``juvenile-justice serve`` with a bench-only SQLite prototype applied (``bench_case_list.py --whatif``).

``JJ_BENCH_WHATIF`` chooses the prototype; both patch this process only, then run the real command line
(nothing in ``src/`` changes):

* ``keeper`` — ``db.start`` also opens one plain SQLite connection and holds it until ``db.stop``: the
  connections Piccolo opens per query are then never the last one on the WAL database, so closing
  them does not checkpoint and delete the ``-wal``/``-shm`` files.
* ``shared-read`` — ``keeper`` plus: statements outside a transaction that start with ``SELECT`` run on
  one long-lived aiosqlite connection (per event loop) instead of a new connection each (Piccolo's
  SQLite engine opens a thread and a connection for every query outside a transaction). Autocommit
  mode: every statement reads the latest committed data. Transactions keep their own connections.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from typing import Any

from juvenile_justice import db
from juvenile_justice.settings import get_settings

MODE = os.environ.get("JJ_BENCH_WHATIF", "keeper")
_original_start, _original_stop = db.start, db.stop
_keeper: dict[str, Any] = {}
_shared: dict[int, Any] = {}


async def start() -> None:
    await _original_start()
    settings = get_settings()
    if not settings.is_postgres and "conn" not in _keeper:
        conn = sqlite3.connect(str(settings.sqlite_path), check_same_thread=False)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        _keeper["conn"] = conn


async def stop() -> None:
    shared = _shared.pop(id(asyncio.get_running_loop()), None)
    if shared is not None:
        await shared.close()
    conn = _keeper.pop("conn", None)
    if conn is not None:
        conn.close()
    await _original_stop()


def _install_shared_reads() -> None:
    import aiosqlite
    from piccolo.engine.sqlite import SQLiteEngine, dict_factory

    original = SQLiteEngine._run_in_new_connection

    async def run_in_new_connection(
        self: Any, query: str, args: Any = None, query_type: str = "generic", table: Any = None
    ) -> Any:
        if query.lstrip()[:6].upper() != "SELECT":
            return await original(self, query, args, query_type, table)
        key = id(asyncio.get_running_loop())
        conn = _shared.get(key)
        if conn is None:
            conn = await aiosqlite.connect(**self.connection_kwargs)
            conn.row_factory = dict_factory  # type: ignore[assignment]
            await conn.execute("PRAGMA foreign_keys = 1")
            _shared[key] = conn
        async with conn.execute(query, args or []) as cursor:
            return await cursor.fetchall()

    SQLiteEngine._run_in_new_connection = run_in_new_connection  # type: ignore[method-assign]


db.start = start
db.stop = stop
if MODE == "shared-read":
    _install_shared_reads()

if __name__ == "__main__":
    from juvenile_justice.cli import main

    main(sys.argv[1:])
