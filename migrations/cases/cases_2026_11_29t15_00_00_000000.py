"""cases 0005: the SQLite seal guards also refuse a NUL character (issue 3).

SQLite's ``length()``, ``substr()`` and ``GLOB`` read TEXT only up to the first NUL, so the guards of
0004 let ``<envelope-shaped prefix> NUL <plaintext>`` through. The guards now also require the value's
byte length (``CAST(… AS BLOB)``) to equal its length as text, which holds for ASCII without NUL only.
PostgreSQL cannot store NUL in text: nothing changes there.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from juvenile_justice import db

ID = "2026-11-29T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "seal guards refuse NUL (SQLite)"


def _ascii(col: str) -> str:
    return f"length(CAST({col} AS BLOB)) = length({col})"


def _envelope(col: str) -> str:
    return (
        f"({_ascii(col)} AND substr({col}, 1, 4) = 'SkUB' AND length({col}) >= 48 AND length({col}) % 4 = 0 "
        f"AND {col} NOT GLOB '*[^A-Za-z0-9+/=]*' AND instr(rtrim({col}, '='), '=') = 0 "
        f"AND length({col}) - length(rtrim({col}, '=')) <= 2)"
    )


def _hexed(col: str, tail: int) -> str:
    return (
        f"({_ascii(col)} AND length({col}) = {9 + tail} AND substr({col}, 9, 1) = ':' "
        f"AND replace({col}, ':', '') NOT GLOB '*[^0-9a-f]*' AND length(replace({col}, ':', '')) = {8 + tail})"
    )


_PERSON_OK = " AND ".join(
    [
        _envelope("NEW.name"),
        _envelope("NEW.id_number"),
        f"(NEW.phone IS NULL OR {_envelope('NEW.phone')})",
        f"(NEW.address IS NULL OR {_envelope('NEW.address')})",
        _hexed("NEW.id_number_index", 4),
        _hexed("NEW.id_number_digest", 32),
    ]
)

_SQLITE = [
    "DROP TRIGGER person_sealed_insert",
    "DROP TRIGGER person_sealed_update",
    "DROP TRIGGER case_step_sealed_insert",
    "DROP TRIGGER case_step_sealed_update",
    *[
        f"CREATE TRIGGER person_sealed_{event.lower()} BEFORE {event} ON person WHEN NOT ({_PERSON_OK}) IS 1 "
        "BEGIN SELECT RAISE(ABORT, 'person: personal fields must be sealed'); END"
        for event in ("INSERT", "UPDATE")
    ],
    *[
        f"CREATE TRIGGER case_step_sealed_{event.lower()} BEFORE {event} ON case_step "
        f"WHEN NOT ({_envelope('NEW.summary')}) IS 1 "
        "BEGIN SELECT RAISE(ABORT, 'case_step: the summary must be sealed'); END"
        for event in ("INSERT", "UPDATE")
    ],
]


async def _run() -> None:
    if not db.is_postgres():
        await db.execute_script(_SQLITE)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    manager.add_raw(_run)
    return manager
