"""sealing 0001: sealing tasks and sealed records (犯罪记录封存, issue 6; rules.md §5).

- ``sealing_task``: opened when a qualifying decision is recorded (R-SEAL-4): the person, the decision,
  the day the decision reached the procuratorate (``received_on``) and the deadline (``due_on``, three
  days later), with the eligibility trace as JSON. ``status`` is ``open`` until the record is sealed.
- ``sealed_record``: the single source of truth of the seal state (no second flag that could disagree,
  cf. the DAWSON leaks). A person's records in a case are sealed while a row with ``status = 'sealed'``
  exists for that person; ``unsealed`` rows keep the history (R-SEAL-11). ``content`` is the sealed
  snapshot of the records (an envelope under the crypto module), ``id_number`` the ID number (an
  envelope) and ``id_number_index`` its blind index (the sealed-status lookup). Rows are never deleted;
  what identifies a record never changes; the status goes from ``sealed`` to ``unsealed`` once; the
  notice document and the advisement date (R-SEAL-10) are set once.
"""

from juvenile_justice.migration_helpers import raw_migration

ID = "2026-11-29T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sealing tasks and sealed records"

_FIXED = (
    "id", "unit", "case_file", "person", "decision", "basis", "sealed_on", "sealed_at", "sealed_by",
    "eligibility", "ruleset_version",
)  # fmt: skip


def _ddl(serial: str) -> list[str]:
    return [
        f"""CREATE TABLE sealing_task (
            id {serial},
            unit INTEGER NOT NULL REFERENCES unit (id),
            case_file INTEGER NOT NULL REFERENCES case_file (id),
            person INTEGER NOT NULL REFERENCES person (id),
            decision INTEGER NOT NULL UNIQUE REFERENCES decision (id),
            basis VARCHAR(20) NOT NULL CHECK (basis IN ('judgment', 'non_prosecution', 'acquittal')),
            received_on DATE NOT NULL,
            due_on DATE NOT NULL,
            eligibility TEXT NOT NULL,
            status VARCHAR(10) NOT NULL CHECK (status IN ('open', 'done')),
            sealed_record INTEGER NULL,
            created_by INTEGER NULL REFERENCES app_user (id),
            created_at TIMESTAMPTZ NOT NULL
        )""",
        "CREATE INDEX sealing_task_due ON sealing_task (unit, status, due_on)",
        "CREATE INDEX sealing_task_person ON sealing_task (person)",
        f"""CREATE TABLE sealed_record (
            id {serial},
            unit INTEGER NOT NULL REFERENCES unit (id),
            case_file INTEGER NOT NULL REFERENCES case_file (id),
            person INTEGER NOT NULL REFERENCES person (id),
            decision INTEGER NOT NULL REFERENCES decision (id),
            basis VARCHAR(20) NOT NULL CHECK (basis IN ('judgment', 'non_prosecution', 'acquittal')),
            sealed_on DATE NOT NULL,
            sealed_at TIMESTAMPTZ NOT NULL,
            sealed_by INTEGER NULL REFERENCES app_user (id),
            advised_on DATE NULL,
            eligibility TEXT NOT NULL,
            ruleset_version VARCHAR(30) NOT NULL,
            id_number TEXT NOT NULL,
            id_number_index TEXT NOT NULL,
            content TEXT NOT NULL,
            notice_document INTEGER NULL REFERENCES issued_document (id),
            status VARCHAR(10) NOT NULL CHECK (status IN ('sealed', 'unsealed')),
            unsealed_on DATE NULL
        )""",
        "CREATE UNIQUE INDEX sealed_record_one_seal ON sealed_record (person) WHERE status = 'sealed'",
        "CREATE INDEX sealed_record_case ON sealed_record (case_file, status)",
        "CREATE INDEX sealed_record_index ON sealed_record (id_number_index, status)",
    ]


def _ascii(col: str) -> str:
    return f"length(CAST({col} AS BLOB)) = length({col})"


def _envelope_sqlite(col: str) -> str:
    return (
        f"({_ascii(col)} AND substr({col}, 1, 4) = 'SkUB' AND length({col}) >= 48 AND length({col}) % 4 = 0 "
        f"AND {col} NOT GLOB '*[^A-Za-z0-9+/=]*' AND instr(rtrim({col}, '='), '=') = 0 "
        f"AND length({col}) - length(rtrim({col}, '=')) <= 2)"
    )


def _envelope_postgres(col: str) -> str:
    return f"({col} ~ '^SkUB[A-Za-z0-9+/]*={{0,2}}$' AND length({col}) >= 48 AND length({col}) % 4 = 0)"


_CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FIXED)

_SQLITE = [
    *_ddl("INTEGER PRIMARY KEY AUTOINCREMENT"),
    *[
        f"CREATE TRIGGER sealed_record_envelopes_{event.lower()} BEFORE {event} ON sealed_record "
        f"WHEN NOT ({_envelope_sqlite('NEW.content')} AND {_envelope_sqlite('NEW.id_number')}) IS 1 "
        "BEGIN SELECT RAISE(ABORT, 'sealed_record: the content and the ID number must be sealed'); END"
        for event in ("INSERT", "UPDATE")
    ],
    "CREATE TRIGGER sealed_record_fixed BEFORE UPDATE ON sealed_record "
    f"WHEN {_CHANGED} OR (OLD.status = 'unsealed' AND NEW.status IS NOT 'unsealed') "
    "OR (OLD.notice_document IS NOT NULL AND NEW.notice_document IS NOT OLD.notice_document) "
    "OR (OLD.advised_on IS NOT NULL AND NEW.advised_on IS NOT OLD.advised_on) "
    "BEGIN SELECT RAISE(ABORT, 'sealed_record: a sealed record cannot be changed, only unsealed once'); END",
    "CREATE TRIGGER sealed_record_no_delete BEFORE DELETE ON sealed_record "
    "BEGIN SELECT RAISE(ABORT, 'sealed_record: a sealed record cannot be deleted'); END",
]

_POSTGRES = [
    *_ddl("SERIAL PRIMARY KEY"),
    "ALTER TABLE sealed_record ADD CONSTRAINT sealed_record_envelopes CHECK "
    f"({_envelope_postgres('content')} AND {_envelope_postgres('id_number')})",
    """CREATE FUNCTION sealed_record_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE'
           AND (to_jsonb(NEW) - ARRAY['status', 'unsealed_on', 'notice_document', 'content', 'id_number',
                                      'id_number_index', 'advised_on'])
             = (to_jsonb(OLD) - ARRAY['status', 'unsealed_on', 'notice_document', 'content', 'id_number',
                                      'id_number_index', 'advised_on'])
           AND NOT (OLD.status = 'unsealed' AND NEW.status <> 'unsealed')
           AND (OLD.notice_document IS NULL OR NEW.notice_document IS NOT DISTINCT FROM OLD.notice_document)
           AND (OLD.advised_on IS NULL OR NEW.advised_on IS NOT DISTINCT FROM OLD.advised_on) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'sealed_record: a sealed record cannot be changed, only unsealed once';
    END $$""",
    "CREATE TRIGGER sealed_record_guard BEFORE UPDATE OR DELETE ON sealed_record "
    "FOR EACH ROW EXECUTE FUNCTION sealed_record_guard()",
    "CREATE TRIGGER sealed_record_no_truncate BEFORE TRUNCATE ON sealed_record "
    "FOR EACH STATEMENT EXECUTE FUNCTION sealed_record_guard()",
]


async def forwards():
    return raw_migration(
        app_name="sealing", migration_id=ID, description=DESCRIPTION, sqlite=_SQLITE, postgres=_POSTGRES
    )
