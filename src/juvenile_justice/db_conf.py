"""Piccolo configuration module (``PICCOLO_CONF``): the engine and the app registry.

The engine follows ``JJ_DATABASE_URL`` (settings.py). The repository's top-level ``piccolo_conf.py``
re-exports this module so that the ``piccolo`` CLI works from the project root.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlparse

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from juvenile_justice.settings import get_settings

APPS = [
    "juvenile_justice.domain.accounts.piccolo_app",
    "juvenile_justice.domain.cases.piccolo_app",
    "juvenile_justice.domain.calendar.piccolo_app",
    "juvenile_justice.domain.audit.piccolo_app",
    "juvenile_justice.domain.documents.piccolo_app",
    "juvenile_justice.domain.sealing.piccolo_app",
]


class WALSQLiteEngine(SQLiteEngine):
    """SQLite in WAL mode with ``synchronous=NORMAL`` on every connection.

    In WAL mode NORMAL never corrupts the database; after a power loss (not a process crash) the last
    commits may be rolled back. It removes an fsync from every commit (the demo import runs about twice
    as fast). PostgreSQL is the engine for production.

    ``recursive_triggers`` is on, so that ``INSERT OR REPLACE`` runs the delete guards of append-only and
    immutable tables (without it SQLite deletes the replaced row silently).

    ``secure_delete`` is set on every connection (Debian's build has it on by default; others do not):
    deleted and overwritten records are zeroed, so an old value does not linger in free space.
    """

    async def get_connection(self) -> Any:
        connection = await super().get_connection()
        await connection.execute("PRAGMA synchronous = NORMAL")
        await connection.execute("PRAGMA secure_delete = ON")
        await connection.execute("PRAGMA recursive_triggers = ON")  # REPLACE then fires DELETE guards
        return connection


def build_engine() -> Engine:
    """The engine for the configured database (SQLite with a 30 s busy timeout, or PostgreSQL)."""
    settings = get_settings()
    if settings.is_postgres:
        url = urlparse(settings.database_url)
        config: dict[str, object] = {
            "host": url.hostname or "127.0.0.1",
            "port": url.port or 5432,
            "user": unquote(url.username or "postgres"),
            "database": (url.path or "/postgres").lstrip("/") or "postgres",
        }
        if url.password:
            config["password"] = unquote(url.password)
        return PostgresEngine(config=config)
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    return WALSQLiteEngine(path=str(path), timeout=30)


DB = build_engine()
APP_REGISTRY = AppRegistry(apps=APPS)
