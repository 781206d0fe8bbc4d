"""Fill or tamper with the access log of a private database (run as a subprocess by the tests, with
``JJ_DATA_DIR`` and ``JJ_DATABASE_URL`` set to a private database that ``migrate`` has created).

    fill OLD_DAYS COUNT_OLD COUNT_NEW   COUNT_OLD entries written OLD_DAYS ago, then COUNT_NEW now
    truncate N                          delete the last N entries (as the database owner could)
    rewrite SEQ                         change entry SEQ and recompute every hash after it (the attacker who
                                        can write the log and knows the algorithm)
    checkpoint DAYS_AGO                 sign a checkpoint of the log now, dated DAYS_AGO days ago (an old one)
    forge-anchor                        delete all but the last entry and write a retention anchor for it, as
                                        someone with the database file could (a prune that never happened)

Prints one JSON object: the log's size afterwards.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta

from juvenile_justice import db
from juvenile_justice.domain.audit import checkpoints
from juvenile_justice.domain.audit import service as audit
from juvenile_justice.lib import audit_chain as chain
from juvenile_justice.lib import merkle
from juvenile_justice.lib.clock import now_utc


async def _open_gates() -> None:
    if db.is_postgres():
        await db.execute_script(["ALTER TABLE access_log DISABLE TRIGGER USER"])
    else:
        await db.execute_script(["DROP TRIGGER access_log_no_update", "DROP TRIGGER access_log_no_delete"])


async def main(command: str, args: list[int]) -> dict[str, int]:
    await db.start()
    try:
        if command == "fill":
            days, old, new = args
            for i in range(old):
                at = now_utc() - timedelta(days=days, minutes=old - i)
                await audit.record(audit.Event("person.read", "allowed", "pro1", "prosecutor", 1, f"person:{i}"), at)
            for i in range(new):
                await audit.record(audit.Event("person.read", "allowed", "pro1", "prosecutor", 1, f"person:{i}"))
        elif command == "truncate":
            await _open_gates()
            async with db.transaction():
                head = await db.fetch_one("SELECT MAX(seq) AS seq FROM access_log")
                assert head is not None
                await db.fetch("DELETE FROM access_log WHERE seq > {}", int(head["seq"]) - args[0])
        elif command == "rewrite":
            await _open_gates()
            hash_fn = chain.suite_hash(audit.suite())
            async with db.transaction():
                rows = await db.fetch("SELECT * FROM access_log WHERE seq >= {} ORDER BY seq", args[0])
                prev = bytes.fromhex(str(rows[0]["prev_hash"]))
                for n, row in enumerate(rows):
                    fields = dict(audit.stored_entry(row).fields)
                    if n == 0:
                        fields["actor"] = "someone-else"
                    entry = chain.append(prev, int(row["seq"]), fields, hash_fn)
                    await db.fetch(
                        "UPDATE access_log SET actor = {}, prev_hash = {}, entry_hash = {} WHERE seq = {}",
                        fields["actor"],
                        prev.hex(),
                        entry.entry_hash.hex(),
                        row["seq"],
                    )
                    prev = entry.entry_hash
        elif command == "checkpoint":
            await checkpoints.issue(force=True, at=now_utc() - timedelta(days=args[0]))
        elif command == "forge-anchor":
            await _open_gates()
            hash_fn = chain.suite_hash(audit.suite())
            async with db.transaction():
                rows = await db.fetch("SELECT * FROM access_log ORDER BY seq")
                tree = merkle.CompactRange(hash_fn)
                for row in rows[:-1]:
                    e = audit.stored_entry(row)
                    tree.append(merkle.leaf_hash(chain.canonical(e.seq, e.fields), hash_fn))
                last = rows[-1]
                await db.fetch("DELETE FROM access_log WHERE seq < {}", last["seq"])
                await db.fetch(
                    "INSERT INTO access_log_anchor VALUES (1, {}, {}, {}, '2023-01-01', '2026-01-01T00:00:00.000000Z')",
                    last["seq"],
                    last["prev_hash"],
                    tree.encode(),
                )
        size = await db.fetch_one("SELECT COUNT(*) AS n FROM access_log")
        assert size is not None
        return {"size": int(size["n"])}
    finally:
        await db.stop()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], [int(a) for a in sys.argv[2:]]))))
