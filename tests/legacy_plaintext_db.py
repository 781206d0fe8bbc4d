"""Build a database as version 0.1 left it (personal fields in plaintext), then migrate it.

Run as a subprocess with ``JJ_DATA_DIR`` (and ``JJ_DATABASE_URL`` for PostgreSQL) set to a private,
empty database. Prints one JSON object: what the migrated rows hold and what the repository reads.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, date, datetime

from juvenile_justice import db

LAST_PLAINTEXT_MIGRATION = "2026-11-29T12:00:00:000000"


async def main(names: list[str], id_numbers: list[str]) -> dict[str, object]:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    await db.start()
    try:
        for app in ("accounts", "calendar"):
            assert (await run_forwards(app)).success
        assert (await run_forwards("cases", migration_id=LAST_PLAINTEXT_MIGRATION)).success
        now = datetime.now(UTC)
        await db.fetch(
            "INSERT INTO unit (name, kind, doc_prefix, created_at) VALUES ({}, 'procuratorate', '任检', {})",
            "济宁市任城区人民检察院",
            now,
        )
        await db.fetch(
            "INSERT INTO case_file (unit, case_number, case_type, title, offense_date, received_on, version, "
            "created_at, updated_at) SELECT id, 'X1', 'juvenile_suspect', '某某案', {}, {}, 1, {}, {} FROM unit",
            date(2021, 3, 2),
            date(2021, 3, 10),
            now,
            now,
        )
        for i, (name, number) in enumerate(zip(names, id_numbers, strict=True)):
            await db.fetch(
                "INSERT INTO person (case_file, role, name, id_number, gender, birth_date, minor_at_offense, "
                "phone, address, version, created_at) SELECT id, 'suspect', {}, {}, 'male', {}, TRUE, {}, {}, 1, {} "
                "FROM case_file",
                name,
                number,
                date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
                f"1390000{i:04d}",
                f"{name}家住址",
                now,
            )
        await db.fetch(
            "INSERT INTO case_step (case_file, kind, occurred_on, summary, created_at) "
            "SELECT id, '讯问', {}, {}, {} FROM case_file",
            date(2021, 3, 11),
            f"讯问{names[0]}，身份证号{id_numbers[0]}。",
            now,
        )
        from juvenile_justice.domain.keys.service import ensure_keyring

        await ensure_keyring()  # as every command does before migrating: no sealed data yet, so a new keyring
        applied = await db.migrate()
        from juvenile_justice.domain.cases import repository as repo

        stored = await db.fetch("SELECT * FROM person ORDER BY id")
        steps = await db.fetch("SELECT id, summary FROM case_step")
        persons = await repo.persons_of_case(int(stored[0]["case_file"]))
        unit = (await db.fetch("SELECT id FROM unit"))[0]["id"]
        hits = await repo.persons_by_id_number(int(unit), id_numbers[-1])
        step_records = await repo.steps_of_case(int(stored[0]["case_file"]))
        return {
            "applied": applied,
            "stored": [{k: str(v) for k, v in row.items()} for row in stored],
            "stored_steps": [str(s["summary"]) for s in steps],
            "read": [[p.name, p.id_number, p.phone, p.address] for p in persons],
            "lookup": [h.name for h, _ in hits],
            "steps": [s.summary for s in step_records],
        }
    finally:
        await db.stop()


if __name__ == "__main__":
    names, numbers = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    print(json.dumps(asyncio.run(main(names, numbers)), ensure_ascii=False))
