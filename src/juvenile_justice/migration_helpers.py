"""Helpers for the hand-written, forward-only migrations under ``migrations/<area>/``.

Piccolo's auto-migrations are not reliable on SQLite (stack-notes, ecosystem §3.3), so every
migration runs explicit SQL for each engine inside Piccolo's migration bookkeeping.
"""

from __future__ import annotations

from collections.abc import Sequence

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from juvenile_justice import db


def raw_migration(
    *,
    app_name: str,
    migration_id: str,
    description: str,
    sqlite: Sequence[str],
    postgres: Sequence[str],
) -> MigrationManager:
    """A migration that runs ``sqlite`` or ``postgres`` statements, whichever engine is configured."""
    manager = MigrationManager(migration_id=migration_id, app_name=app_name, description=description)

    async def run() -> None:
        await db.execute_script(postgres if db.is_postgres() else sqlite)

    manager.add_raw(run)
    return manager
