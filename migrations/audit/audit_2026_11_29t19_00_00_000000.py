"""audit 0003: index the access log's ``purpose`` (issue 5).

Entries about a document of a case name the case in ``purpose`` (``case:12``); the auditors' record
filter matches ``target`` or ``purpose``, and this index keeps that fast.
"""

from juvenile_justice.migration_helpers import raw_migration

ID = "2026-11-29T19:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "access log: purpose index"

_STATEMENTS = ["CREATE INDEX access_log_purpose ON access_log (purpose, seq)"]


async def forwards():
    return raw_migration(
        app_name="audit", migration_id=ID, description=DESCRIPTION, sqlite=_STATEMENTS, postgres=_STATEMENTS
    )
