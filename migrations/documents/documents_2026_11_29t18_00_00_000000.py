"""documents 0001: issued documents, their stored copies and the gapless number counters (issue 5).

- ``document_counter``: the last serial per (unit, type code, year); taken with an upsert in the
  transaction that records the document, so a rolled-back issue gives its number back (no gap) and
  concurrent issues queue on the counter row (no duplicate). A counter only ever goes up by one: the
  database refuses any other change and any deletion.
- ``issued_document``: one row per issued document (number, verification code, who, when, what it
  replaces); ``content`` is the sealed snapshot of what the document says (rendering can be retried from
  it). Rows can never be deleted; an update may only re-seal ``content`` (``keys rewrap``).
- ``document_copy``: the rendered PDF (sealed, as base64 text) with its hash under the crypto suite;
  its ``id`` is the document's.
  Never deleted; an update may only re-seal ``pdf``. The hash is also written to the access log.
"""

from juvenile_justice.migration_helpers import raw_migration

ID = "2026-11-29T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "issued documents, copies, number counters"

_DOCUMENT_COLUMNS = (
    "id",
    "unit",
    "kind",
    "type_code",
    "year",
    "serial",
    "number",
    "verification_code",
    "case_file",
    "issued_on",
    "issued_at",
    "issued_by",
    "replaces",
    "sealed",
)
_COPY_COLUMNS = ("id", "pdf_hash", "pages", "size_bytes", "rendered_at")


def _ddl(serial: str, boolean_false: str) -> list[str]:
    return [
        """CREATE TABLE document_counter (
            unit INTEGER NOT NULL REFERENCES unit (id),
            type_code VARCHAR(20) NOT NULL,
            year INTEGER NOT NULL,
            last_value INTEGER NOT NULL,
            PRIMARY KEY (unit, type_code, year)
        )""",
        f"""CREATE TABLE issued_document (
            id {serial},
            unit INTEGER NOT NULL REFERENCES unit (id),
            kind VARCHAR(40) NOT NULL,
            type_code VARCHAR(20) NOT NULL,
            year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 9999),
            serial INTEGER NOT NULL CHECK (serial > 0),
            number VARCHAR(80) NOT NULL,
            verification_code VARCHAR(16) NOT NULL UNIQUE,
            case_file INTEGER NULL REFERENCES case_file (id),
            issued_on DATE NOT NULL,
            issued_at TIMESTAMPTZ NOT NULL,
            issued_by INTEGER NULL REFERENCES app_user (id),
            replaces INTEGER NULL UNIQUE REFERENCES issued_document (id),
            sealed BOOLEAN NOT NULL DEFAULT {boolean_false},
            content TEXT NOT NULL,
            UNIQUE (unit, type_code, year, serial)
        )""",
        "CREATE INDEX issued_document_case ON issued_document (case_file, id)",
        "CREATE INDEX issued_document_unit_kind ON issued_document (unit, kind, id)",
        """CREATE TABLE document_copy (
            id INTEGER PRIMARY KEY REFERENCES issued_document (id),
            pdf TEXT NOT NULL,
            pdf_hash VARCHAR(80) NOT NULL,
            pages INTEGER NOT NULL CHECK (pages > 0),
            size_bytes INTEGER NOT NULL CHECK (size_bytes > 0),
            rendered_at TIMESTAMPTZ NOT NULL
        )""",
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


def _changed_sqlite(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)


_SQLITE = [
    *_ddl("INTEGER PRIMARY KEY AUTOINCREMENT", "0"),
    *[
        f"CREATE TRIGGER issued_document_sealed_{event.lower()} BEFORE {event} ON issued_document "
        f"WHEN NOT ({_envelope_sqlite('NEW.content')}) IS 1 "
        "BEGIN SELECT RAISE(ABORT, 'issued_document: the content must be sealed'); END"
        for event in ("INSERT", "UPDATE")
    ],
    *[
        f"CREATE TRIGGER document_copy_sealed_{event.lower()} BEFORE {event} ON document_copy "
        f"WHEN NOT ({_envelope_sqlite('NEW.pdf')}) IS 1 "
        "BEGIN SELECT RAISE(ABORT, 'document_copy: the PDF must be sealed'); END"
        for event in ("INSERT", "UPDATE")
    ],
    "CREATE TRIGGER issued_document_immutable BEFORE UPDATE ON issued_document "
    f"WHEN {_changed_sqlite(_DOCUMENT_COLUMNS)} "
    "BEGIN SELECT RAISE(ABORT, 'issued_document: an issued document cannot be changed'); END",
    "CREATE TRIGGER issued_document_no_delete BEFORE DELETE ON issued_document "
    "BEGIN SELECT RAISE(ABORT, 'issued_document: an issued document cannot be deleted'); END",
    "CREATE TRIGGER document_copy_immutable BEFORE UPDATE ON document_copy "
    f"WHEN {_changed_sqlite(_COPY_COLUMNS)} "
    "BEGIN SELECT RAISE(ABORT, 'document_copy: a stored copy cannot be changed'); END",
    "CREATE TRIGGER document_copy_no_delete BEFORE DELETE ON document_copy "
    "BEGIN SELECT RAISE(ABORT, 'document_copy: a stored copy cannot be deleted'); END",
    "CREATE TRIGGER document_counter_step BEFORE UPDATE ON document_counter "
    "WHEN NEW.last_value IS NOT OLD.last_value + 1 OR NEW.unit IS NOT OLD.unit OR NEW.type_code IS NOT OLD.type_code "
    "OR NEW.year IS NOT OLD.year "
    "BEGIN SELECT RAISE(ABORT, 'document_counter: a counter only goes up by one and cannot be changed'); END",
    "CREATE TRIGGER document_counter_no_delete BEFORE DELETE ON document_counter "
    "BEGIN SELECT RAISE(ABORT, 'document_counter: a counter cannot be changed or deleted'); END",
    "CREATE TRIGGER document_counter_start BEFORE INSERT ON document_counter WHEN NEW.last_value IS NOT 1 "
    "BEGIN SELECT RAISE(ABORT, 'document_counter: a counter starts at one and cannot be changed'); END",
]

_POSTGRES = [
    *_ddl("SERIAL PRIMARY KEY", "false"),
    f"ALTER TABLE issued_document ADD CONSTRAINT issued_document_content_sealed CHECK {_envelope_postgres('content')}",
    f"ALTER TABLE document_copy ADD CONSTRAINT document_copy_pdf_sealed CHECK {_envelope_postgres('pdf')}",
    """CREATE FUNCTION document_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - TG_ARGV[0]) = (to_jsonb(OLD) - TG_ARGV[0]) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '%: an issued document and its copy cannot be changed or deleted', TG_TABLE_NAME;
    END $$""",
    "CREATE TRIGGER issued_document_immutable BEFORE UPDATE OR DELETE ON issued_document "
    "FOR EACH ROW EXECUTE FUNCTION document_refuse_change('content')",
    "CREATE TRIGGER issued_document_no_truncate BEFORE TRUNCATE ON issued_document "
    "FOR EACH STATEMENT EXECUTE FUNCTION document_refuse_change('content')",
    "CREATE TRIGGER document_copy_immutable BEFORE UPDATE OR DELETE ON document_copy "
    "FOR EACH ROW EXECUTE FUNCTION document_refuse_change('pdf')",
    "CREATE TRIGGER document_copy_no_truncate BEFORE TRUNCATE ON document_copy "
    "FOR EACH STATEMENT EXECUTE FUNCTION document_refuse_change('pdf')",
    """CREATE FUNCTION document_counter_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' AND NEW.last_value = 1 THEN
            RETURN NEW;
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.last_value = OLD.last_value + 1 AND NEW.unit = OLD.unit
           AND NEW.type_code = OLD.type_code AND NEW.year = OLD.year THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'document_counter: a counter only goes up by one and cannot be changed or deleted';
    END $$""",
    "CREATE TRIGGER document_counter_guard BEFORE INSERT OR UPDATE OR DELETE ON document_counter "
    "FOR EACH ROW EXECUTE FUNCTION document_counter_guard()",
    "CREATE TRIGGER document_counter_no_truncate BEFORE TRUNCATE ON document_counter "
    "FOR EACH STATEMENT EXECUTE FUNCTION document_counter_guard()",
]


async def forwards():
    return raw_migration(
        app_name="documents", migration_id=ID, description=DESCRIPTION, sqlite=_SQLITE, postgres=_POSTGRES
    )
