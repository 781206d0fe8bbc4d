"""cases 0003: personal fields sealed (issue 3): person name, ID number, phone, address; step summaries.

Adds the ID number's blind index and per-case digest, seals every value that earlier versions stored
in plaintext (in batches, inside this migration's transaction), then makes the database refuse
anything but envelopes: triggers on SQLite, CHECK constraints on PostgreSQL. The plaintext index on
``person.id_number`` and the unique index that used it are dropped. After the migrations, the freed
pages are vacuumed away (SQLite ``VACUUM``, PostgreSQL ``VACUUM FULL`` of both tables) so that no
plaintext copy stays in the database files. Backups and PostgreSQL WAL archives taken before this
migration still hold plaintext: docs/operations.md ("Upgrading to sealed personal fields").

The table specs are frozen here as of this migration; later changes to the live registry do not alter
what this migration does.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from juvenile_justice import db
from juvenile_justice import protection as pf
from juvenile_justice.domain.keys.service import DerivedColumn, TableSpec, protect_table

ID = "2026-11-29T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "seal personal fields; blind index of ID numbers"

_PERSON = TableSpec(
    table="person",
    sealed=("name", "id_number", "phone", "address"),
    nullable=frozenset({"phone", "address"}),
    derived=(
        DerivedColumn("id_number_index", ("id_number",), lambda _row, p: pf.id_number_index(p["id_number"])),
        DerivedColumn(
            "id_number_digest",
            ("id_number",),
            lambda row, p: pf.id_number_digest(int(row["case_file"]), p["id_number"]),
        ),
    ),
    context=("case_file",),
)
_CASE_STEP = TableSpec(table="case_step", sealed=("summary",))

_BEFORE = [
    "DROP INDEX person_case_id_number_role",
    "DROP INDEX person_id_number",
    "ALTER TABLE person ADD COLUMN id_number_index TEXT NULL",
    "ALTER TABLE person ADD COLUMN id_number_digest TEXT NULL",
]
_INDEXES = [
    "CREATE INDEX person_id_number_index ON person (id_number_index)",
    "CREATE UNIQUE INDEX person_case_role_digest ON person (case_file, role, id_number_digest)",
]


def _sealed(col: str) -> str:
    return f"substr({col}, 1, 4) = 'SkUB'"


_PERSON_OK = (
    f"{_sealed('NEW.name')} AND {_sealed('NEW.id_number')} AND (NEW.phone IS NULL OR {_sealed('NEW.phone')}) "
    f"AND (NEW.address IS NULL OR {_sealed('NEW.address')}) "
    "AND NEW.id_number_index IS NOT NULL AND NEW.id_number_digest IS NOT NULL"
)
_STEP_OK = _sealed("NEW.summary")
_SQLITE_AFTER = [
    f"CREATE TRIGGER person_sealed_{event.lower()} BEFORE {event} ON person "
    f"WHEN NOT ({_PERSON_OK}) IS 1 BEGIN SELECT RAISE(ABORT, 'person: personal fields must be sealed'); END"
    for event in ("INSERT", "UPDATE")
] + [
    f"CREATE TRIGGER case_step_sealed_{event.lower()} BEFORE {event} ON case_step "
    f"WHEN NOT ({_STEP_OK}) IS 1 BEGIN SELECT RAISE(ABORT, 'case_step: the summary must be sealed'); END"
    for event in ("INSERT", "UPDATE")
]
_POSTGRES_AFTER = [
    "ALTER TABLE person ALTER COLUMN id_number_index SET NOT NULL",
    "ALTER TABLE person ALTER COLUMN id_number_digest SET NOT NULL",
    f"ALTER TABLE person ADD CONSTRAINT person_sealed CHECK ({_PERSON_OK.replace('NEW.', '')})",
    f"ALTER TABLE case_step ADD CONSTRAINT case_step_sealed CHECK ({_STEP_OK.replace('NEW.', '')})",
]


async def _run() -> None:
    await db.execute_script(_BEFORE)
    rewritten = 0
    for spec in (_PERSON, _CASE_STEP):
        report = await protect_table(spec, legacy=True)
        if report.failures or report.conflicts:
            problems = report.failures[:5] or [f"{report.conflicts} rows changed meanwhile"]
            raise RuntimeError(f"{spec.table}: values could not be sealed: {problems}")
        rewritten += report.rewritten
    await db.execute_script(_INDEXES + (_POSTGRES_AFTER if db.is_postgres() else _SQLITE_AFTER))
    if rewritten:
        db.request_vacuum("person", "case_step")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    manager.add_raw(_run)
    return manager
