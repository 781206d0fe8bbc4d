"""cases 0002: unique persons per (case, ID number, role) and decisions per (case, person, kind, number).

The services check these before inserting; the indexes make the rule hold under concurrent requests on
PostgreSQL (READ COMMITTED), where a check-then-insert alone can let duplicates through.
"""

from juvenile_justice.migration_helpers import raw_migration

ID = "2026-11-29T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique persons and decisions"

_DDL = [
    "CREATE UNIQUE INDEX person_case_id_number_role ON person (case_file, id_number, role)",
    "CREATE UNIQUE INDEX decision_case_person_kind_number ON decision (case_file, person, kind, document_number)",
]


async def forwards():
    return raw_migration(app_name="cases", migration_id=ID, description=DESCRIPTION, sqlite=_DDL, postgres=_DDL)
