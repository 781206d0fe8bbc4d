"""audit 0001: the access log, append-only (issue 4).

UPDATE and DELETE are refused by triggers on both engines; PostgreSQL also refuses TRUNCATE. The one
sanctioned deletion (pruning past the retention period, a later migration and command) will open a
gate inside its own transaction: on PostgreSQL the transaction-local setting ``jj.audit_prune``, on
SQLite a row in ``access_log_gate``.
"""

from juvenile_justice.migration_helpers import raw_migration

ID = "2026-11-29T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only access log"

_TABLE = """CREATE TABLE access_log (
    seq BIGINT PRIMARY KEY CHECK (seq > 0),
    at TEXT NOT NULL,
    actor TEXT NULL,
    role TEXT NULL,
    unit INTEGER NULL,
    action TEXT NOT NULL,
    target TEXT NULL,
    purpose TEXT NULL,
    outcome TEXT NOT NULL,
    request_id TEXT NULL,
    client TEXT NULL,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL
)"""

_SQLITE = [
    _TABLE,
    "CREATE TABLE access_log_gate (open INTEGER NOT NULL)",
    "CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log "
    "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END",
    "CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log "
    "WHEN (SELECT COUNT(*) FROM access_log_gate WHERE open = 1) = 0 "
    "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END",
]
_POSTGRES = [
    _TABLE,
    """CREATE FUNCTION access_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND current_setting('jj.audit_prune', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'access_log is append-only';
    END $$""",
    "CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log FOR EACH ROW EXECUTE FUNCTION access_log_refuse()",
    "CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log FOR EACH ROW EXECUTE FUNCTION access_log_refuse()",
    "CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse()",
]


async def forwards():
    return raw_migration(app_name="audit", migration_id=ID, description=DESCRIPTION, sqlite=_SQLITE, postgres=_POSTGRES)
