"""calendar 0001: loaded holiday calendars."""

from juvenile_justice.migration_helpers import raw_migration

ID = "2026-11-29T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "loaded holiday calendars"


def _ddl(serial: str) -> list[str]:
    return [
        f"""CREATE TABLE calendar_year (
            id {serial},
            year INTEGER NOT NULL UNIQUE,
            holidays TEXT NOT NULL,
            workdays TEXT NOT NULL,
            loaded_at TIMESTAMPTZ NOT NULL
        )"""
    ]


async def forwards():
    return raw_migration(
        app_name="calendar",
        migration_id=ID,
        description=DESCRIPTION,
        sqlite=_ddl("INTEGER PRIMARY KEY AUTOINCREMENT"),
        postgres=_ddl("SERIAL PRIMARY KEY"),
    )
