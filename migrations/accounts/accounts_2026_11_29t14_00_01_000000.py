"""accounts 0002: failed log-ins are counted under a keyed hash of the name typed, not the name itself.

Whatever was typed into the user-name box was stored in ``login_attempt.username`` in plaintext (it
may be a person's name or a mistyped password). The counts only matter for 15 minutes, so the old
rows are deleted rather than converted; the freed pages are vacuumed.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from juvenile_justice import db

ID = "2026-11-29T14:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "login attempts keyed by a hash of the user name"


async def _run() -> None:
    rows = await db.fetch("SELECT COUNT(*) AS n FROM login_attempt")
    await db.execute_script(["DELETE FROM login_attempt"])
    if rows and rows[0]["n"]:
        db.request_vacuum("login_attempt")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    manager.add_raw(_run)
    return manager
