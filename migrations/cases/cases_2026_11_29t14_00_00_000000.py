"""cases 0004: sealed case data bound to its case; stricter database guards (issue 3).

1. Every sealed value of ``person`` and ``case_step`` is re-sealed with the row part of its associated
   data changed from ``"<row id>"`` to ``"<case id>/<row id>"`` (``protection.case_row``): a row moved to
   another case by writing to the database no longer opens. Values are opened under their old binding
   first, so a value that fails its check stops the migration (nothing is re-sealed blindly).
2. The guards of 0003 only looked at the ``SkUB`` prefix. They now require the shape of an envelope
   (base64 alphabet, padding only at the end, length a multiple of 4, at least 48 characters) and the
   shapes of the blind index (``8 hex:4 hex``) and of the digest (``8 hex:32 hex``), so plaintext with a
   ``SkUB`` prefix, or an ID number in an index column, is refused.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from juvenile_justice import db
from juvenile_justice import protection as pf
from juvenile_justice.domain.keys import repository as keys_repo

ID = "2026-11-29T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "bind sealed case data to its case; stricter seal guards"

_TABLES = (("person", ("name", "id_number", "phone", "address")), ("case_step", ("summary",)))


def _envelope_sqlite(col: str) -> str:
    return (
        f"(substr({col}, 1, 4) = 'SkUB' AND length({col}) >= 48 AND length({col}) % 4 = 0 "
        f"AND {col} NOT GLOB '*[^A-Za-z0-9+/=]*' AND instr(rtrim({col}, '='), '=') = 0 "
        f"AND length({col}) - length(rtrim({col}, '=')) <= 2)"
    )


def _envelope_postgres(col: str) -> str:
    return f"({col} ~ '^SkUB[A-Za-z0-9+/]*={{0,2}}$' AND length({col}) >= 48 AND length({col}) % 4 = 0)"


def _hex_sqlite(col: str, tail: int) -> str:
    return (
        f"(length({col}) = {9 + tail} AND substr({col}, 9, 1) = ':' "
        f"AND replace({col}, ':', '') NOT GLOB '*[^0-9a-f]*' AND length(replace({col}, ':', '')) = {8 + tail})"
    )


def _hex_postgres(col: str, tail: int) -> str:
    return f"({col} ~ '^[0-9a-f]{{8}}:[0-9a-f]{{{tail}}}$')"


def _person_ok(envelope, hexed, prefix: str) -> str:
    return " AND ".join(
        [
            envelope(f"{prefix}name"),
            envelope(f"{prefix}id_number"),
            f"({prefix}phone IS NULL OR {envelope(prefix + 'phone')})",
            f"({prefix}address IS NULL OR {envelope(prefix + 'address')})",
            hexed(f"{prefix}id_number_index", 4),
            hexed(f"{prefix}id_number_digest", 32),
        ]
    )


_SQLITE = [
    "DROP TRIGGER person_sealed_insert",
    "DROP TRIGGER person_sealed_update",
    "DROP TRIGGER case_step_sealed_insert",
    "DROP TRIGGER case_step_sealed_update",
    *[
        f"CREATE TRIGGER person_sealed_{event.lower()} BEFORE {event} ON person "
        f"WHEN NOT ({_person_ok(_envelope_sqlite, _hex_sqlite, 'NEW.')}) IS 1 "
        "BEGIN SELECT RAISE(ABORT, 'person: personal fields must be sealed'); END"
        for event in ("INSERT", "UPDATE")
    ],
    *[
        f"CREATE TRIGGER case_step_sealed_{event.lower()} BEFORE {event} ON case_step "
        f"WHEN NOT ({_envelope_sqlite('NEW.summary')}) IS 1 "
        "BEGIN SELECT RAISE(ABORT, 'case_step: the summary must be sealed'); END"
        for event in ("INSERT", "UPDATE")
    ],
]
_POSTGRES = [
    "ALTER TABLE person DROP CONSTRAINT person_sealed",
    "ALTER TABLE case_step DROP CONSTRAINT case_step_sealed",
    f"ALTER TABLE person ADD CONSTRAINT person_sealed CHECK ({_person_ok(_envelope_postgres, _hex_postgres, '')})",
    f"ALTER TABLE case_step ADD CONSTRAINT case_step_sealed CHECK ({_envelope_postgres('summary')})",
]


async def _rebind(table: str, columns: tuple[str, ...]) -> None:
    after = 0
    while rows := await keys_repo.rows_after(table, (*columns, "case_file"), after, 1000):
        changes = []
        for row in rows:
            old = {c: row[c] for c in columns}
            new = dict(old)
            for col in columns:
                if row[col] is not None:
                    plain = pf.open_required(table, col, int(row["id"]), row[col])
                    new[col] = pf.seal(table, col, pf.case_row(row["case_file"], row["id"]), plain)
            changes.append((int(row["id"]), old, new))
        if await keys_repo.compare_and_set(table, columns, changes) != len(changes):
            raise RuntimeError(f"{table}: rows changed while they were re-sealed")
        after = int(rows[-1]["id"])


async def _run() -> None:
    for table, columns in _TABLES:
        await _rebind(table, columns)  # the old envelopes left in free space hold no plaintext
    await db.execute_script(_POSTGRES if db.is_postgres() else _SQLITE)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    manager.add_raw(_run)
    return manager
