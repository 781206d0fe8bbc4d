"""audit 0002: the auditors' view of the log, its identity, and the retention anchor (issue 4).

- ``access_log.record_unit``: the unit owning the entry's target, so that the auditors of that unit
  and the units above it see the entry (API.md "Units, users, roles"); indexes for the auditors' filters.
- ``access_log_meta``: the log's identity (``log_id``, random, pinned in every signed checkpoint).
- ``access_log_anchor``: written only by ``audit prune``: the first kept entry, the hash before it and
  the Merkle peaks of what was pruned, so that what remains still verifies (security.md A12).
  Its rows can be neither changed nor deleted.
"""

import uuid

from juvenile_justice.migration_helpers import raw_migration

ID = "2026-11-29T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "access log: record unit, log id, retention anchor"

_LOG_ID = "jj-" + uuid.uuid4().hex

_COMMON = [
    "ALTER TABLE access_log ADD COLUMN record_unit INTEGER NULL",
    "CREATE INDEX access_log_actor ON access_log (actor, seq)",
    "CREATE INDEX access_log_unit ON access_log (unit, seq)",
    "CREATE INDEX access_log_record_unit ON access_log (record_unit, seq)",
    "CREATE INDEX access_log_target ON access_log (target, seq)",
    "CREATE INDEX access_log_at ON access_log (at)",
    "CREATE TABLE access_log_meta (log_id TEXT NOT NULL)",
    f"INSERT INTO access_log_meta (log_id) VALUES ('{_LOG_ID}')",
    """CREATE TABLE access_log_anchor (
        id INTEGER PRIMARY KEY,
        start_seq BIGINT NOT NULL CHECK (start_seq > 1),
        prev_hash TEXT NOT NULL,
        peaks TEXT NOT NULL,
        pruned_before TEXT NOT NULL,
        pruned_at TEXT NOT NULL
    )""",
]

_SQLITE = [
    *_COMMON,
    "CREATE TRIGGER access_log_meta_fixed BEFORE UPDATE ON access_log_meta "
    "BEGIN SELECT RAISE(ABORT, 'access_log_meta is fixed'); END",
    "CREATE TRIGGER access_log_meta_kept BEFORE DELETE ON access_log_meta "
    "BEGIN SELECT RAISE(ABORT, 'access_log_meta is fixed'); END",
    "CREATE TRIGGER access_log_anchor_fixed BEFORE UPDATE ON access_log_anchor "
    "BEGIN SELECT RAISE(ABORT, 'access_log_anchor is append-only'); END",
    "CREATE TRIGGER access_log_anchor_kept BEFORE DELETE ON access_log_anchor "
    "BEGIN SELECT RAISE(ABORT, 'access_log_anchor is append-only'); END",
]
_POSTGRES = [
    *_COMMON,
    """CREATE FUNCTION access_log_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
    END $$""",
    "CREATE TRIGGER access_log_meta_fixed BEFORE UPDATE OR DELETE ON access_log_meta "
    "FOR EACH ROW EXECUTE FUNCTION access_log_fixed()",
    "CREATE TRIGGER access_log_meta_no_truncate BEFORE TRUNCATE ON access_log_meta "
    "FOR EACH STATEMENT EXECUTE FUNCTION access_log_fixed()",
    "CREATE TRIGGER access_log_anchor_fixed BEFORE UPDATE OR DELETE ON access_log_anchor "
    "FOR EACH ROW EXECUTE FUNCTION access_log_fixed()",
    "CREATE TRIGGER access_log_anchor_no_truncate BEFORE TRUNCATE ON access_log_anchor "
    "FOR EACH STATEMENT EXECUTE FUNCTION access_log_fixed()",
]


async def forwards():
    return raw_migration(app_name="audit", migration_id=ID, description=DESCRIPTION, sqlite=_SQLITE, postgres=_POSTGRES)
