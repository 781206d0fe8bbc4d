"""cases 0001: cases, charges, assignments, persons, steps, decisions, case-number counters."""

from juvenile_justice.migration_helpers import raw_migration

ID = "2026-11-29T11:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "cases, charges, assignments, persons, steps, decisions, counters"

_CASE_TYPES = "('juvenile_suspect','juvenile_victim')"
_PERSON_ROLES = "('suspect','victim','guardian','legal_representative','appropriate_adult','relative','witness')"


def _ddl(serial: str) -> list[str]:
    return [
        f"""CREATE TABLE case_file (
            id {serial},
            unit INTEGER NOT NULL REFERENCES unit (id),
            case_number VARCHAR(60) NOT NULL,
            case_type VARCHAR(20) NOT NULL CHECK (case_type IN {_CASE_TYPES}),
            title VARCHAR(200) NOT NULL,
            offense_date DATE NOT NULL,
            received_on DATE NOT NULL,
            external_id VARCHAR(100) NULL UNIQUE,
            created_by INTEGER NULL REFERENCES app_user (id),
            version INTEGER NOT NULL DEFAULT 1,
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL,
            UNIQUE (unit, case_number)
        )""",
        "CREATE INDEX case_file_unit_id ON case_file (unit, id)",
        f"""CREATE TABLE case_charge (
            id {serial},
            case_file INTEGER NOT NULL REFERENCES case_file (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name VARCHAR(100) NOT NULL,
            article VARCHAR(10) NOT NULL,
            chapter INTEGER NOT NULL
        )""",
        "CREATE INDEX case_charge_case ON case_charge (case_file)",
        "CREATE INDEX case_charge_name ON case_charge (name)",
        f"""CREATE TABLE case_assignment (
            id {serial},
            case_file INTEGER NOT NULL REFERENCES case_file (id) ON DELETE CASCADE,
            account INTEGER NOT NULL REFERENCES app_user (id),
            assigned_at TIMESTAMPTZ NOT NULL,
            UNIQUE (case_file, account)
        )""",
        "CREATE INDEX case_assignment_account ON case_assignment (account)",
        f"""CREATE TABLE person (
            id {serial},
            case_file INTEGER NOT NULL REFERENCES case_file (id) ON DELETE CASCADE,
            role VARCHAR(30) NOT NULL CHECK (role IN {_PERSON_ROLES}),
            name TEXT NOT NULL,
            id_number TEXT NOT NULL,
            gender VARCHAR(6) NOT NULL CHECK (gender IN ('male','female')),
            birth_date DATE NOT NULL,
            age_at_offense INTEGER NULL,
            minor_at_offense BOOLEAN NOT NULL,
            phone TEXT NULL,
            address TEXT NULL,
            spp_approval_document VARCHAR(100) NULL,
            version INTEGER NOT NULL DEFAULT 1,
            created_at TIMESTAMPTZ NOT NULL
        )""",
        "CREATE INDEX person_case ON person (case_file)",
        "CREATE INDEX person_id_number ON person (id_number)",
        f"""CREATE TABLE case_step (
            id {serial},
            case_file INTEGER NOT NULL REFERENCES case_file (id) ON DELETE CASCADE,
            kind VARCHAR(50) NOT NULL,
            occurred_on DATE NOT NULL,
            summary TEXT NOT NULL,
            created_by INTEGER NULL REFERENCES app_user (id),
            created_at TIMESTAMPTZ NOT NULL
        )""",
        "CREATE INDEX case_step_case ON case_step (case_file, occurred_on)",
        f"""CREATE TABLE decision (
            id {serial},
            case_file INTEGER NOT NULL REFERENCES case_file (id) ON DELETE CASCADE,
            person INTEGER NOT NULL REFERENCES person (id) ON DELETE CASCADE,
            kind VARCHAR(40) NOT NULL,
            decision_date DATE NOT NULL,
            effective_date DATE NULL,
            document_number VARCHAR(100) NOT NULL,
            sentence_kind VARCHAR(30) NULL,
            sentence_months INTEGER NULL,
            basis_article VARCHAR(30) NULL,
            created_by INTEGER NULL REFERENCES app_user (id),
            created_at TIMESTAMPTZ NOT NULL
        )""",
        "CREATE INDEX decision_case ON decision (case_file)",
        "CREATE INDEX decision_person ON decision (person)",
        "CREATE INDEX decision_kind_date ON decision (kind, decision_date)",
        f"""CREATE TABLE case_counter (
            id {serial},
            unit INTEGER NOT NULL REFERENCES unit (id),
            year INTEGER NOT NULL,
            last_value INTEGER NOT NULL,
            UNIQUE (unit, year)
        )""",
    ]


async def forwards():
    return raw_migration(
        app_name="cases",
        migration_id=ID,
        description=DESCRIPTION,
        sqlite=_ddl("INTEGER PRIMARY KEY AUTOINCREMENT"),
        postgres=_ddl("SERIAL PRIMARY KEY"),
    )
