"""Test set-up: one database engine per pytest run, chosen by ``JJ_TEST_DATABASE_URL``.

Unset: a fresh SQLite file in a temporary directory. ``postgresql://…``: that database, emptied first.
The environment is set before any application module is imported (settings are cached).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

_DATA_DIR = Path(tempfile.mkdtemp(prefix="jj-test-"))
os.environ["JJ_DATA_DIR"] = str(_DATA_DIR)
os.environ.pop("JJ_KEYS_FILE", None)
_PG_URL = os.environ.get("JJ_TEST_DATABASE_URL", "").strip()
if _PG_URL:
    os.environ["JJ_DATABASE_URL"] = _PG_URL
else:
    os.environ.pop("JJ_DATABASE_URL", None)
os.environ["PICCOLO_CONF"] = "juvenile_justice.db_conf"
os.environ["JJ_VERIFY_PER_MINUTE"] = "100000"  # the shared app is not throttled; test_documents checks the limit

import httpx  # noqa: E402
import structlog  # noqa: E402

from helpers import ENGINE, plaintext_leaks, truncate_all  # noqa: E402
from juvenile_justice import db  # noqa: E402
from juvenile_justice.lib.logging import configure_logging  # noqa: E402

# The in-process service's log goes to a file, so that the end-of-run scan reads every line it wrote.
APP_LOG = _DATA_DIR / "app.log"
configure_logging()
_app_log_file = APP_LOG.open("a", encoding="utf-8")
structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=_app_log_file))


def pytest_report_header() -> str:
    """Say which engine the run uses."""
    return f"juvenile-justice test database: {ENGINE}"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The run's JJ_DATA_DIR."""
    return _DATA_DIR


@pytest.fixture(scope="session", autouse=True)
async def database() -> AsyncIterator[None]:
    """An empty, migrated database for the run, and the pool opened on the session's loop."""
    from juvenile_justice.domain.keys.service import ensure_keyring

    await db.start()
    if db.is_postgres():
        await db.execute_script(["DROP SCHEMA public CASCADE", "CREATE SCHEMA public"])
    await ensure_keyring()
    await db.migrate()
    yield
    from juvenile_justice.domain.documents.service import RENDERER

    RENDERER.close()  # the app's lifespan does this when serving; in-process tests have no lifespan
    await db.stop()


def _stored_bytes() -> bytes:
    """The database as an attacker with the files or a dump would see it."""
    if ENGINE == "sqlite":
        from juvenile_justice.settings import get_settings

        path = get_settings().sqlite_path
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    return subprocess.run(["pg_dump", _PG_URL], capture_output=True, check=True, timeout=300).stdout


@pytest.fixture(scope="session", autouse=True)
def no_plaintext_left_behind(database: None) -> Iterator[None]:
    """After the whole run: no canary name or valid ID number in the database or the logs (issue 3)."""
    yield
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))
    _app_log_file.close()
    sources = {"database": _stored_bytes()}
    for log in sorted(_DATA_DIR.glob("*.log")):
        sources[log.name] = log.read_bytes()
    leaks = {name: found for name, data in sources.items() if (found := plaintext_leaks(data))}
    assert not leaks, f"plaintext personal data left behind: {leaks}"


@pytest.fixture(autouse=True)
async def clean_tables(database: None) -> None:
    """Every test starts with empty tables (truncation, so that HTTP tests are isolated too)."""
    await truncate_all()


@pytest.fixture(scope="session")
def app() -> object:
    """The Litestar application."""
    from juvenile_justice.app import create_app

    return create_app()


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process (same event loop; real HTTP semantics)."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """A real ``juvenile-justice serve`` process on a free port, sharing the test database."""
    from helpers import run_server

    with run_server() as url:
        yield url


@pytest.fixture
def private_database(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for a subprocess with its own empty database, data directory and keyring (a private
    PostgreSQL database on PostgreSQL runs, dropped afterwards)."""
    from urllib.parse import urlparse

    env = {k: v for k, v in os.environ.items() if k not in {"JJ_DATABASE_URL", "JJ_KEYS_FILE", "JJ_KEYRING"}}
    env["JJ_DATA_DIR"] = str(tmp_path)
    env.pop("JJ_CHECKPOINT_DIR", None)
    env.pop("JJ_CHECKPOINT_KEY", None)
    if ENGINE == "sqlite":
        yield env
        return
    url = urlparse(os.environ["JJ_DATABASE_URL"])
    name = f"jj_private_{os.getpid()}"
    admin = url._replace(path="/postgres").geturl()
    subprocess.run(
        ["psql", admin, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True, capture_output=True
    )
    subprocess.run(["psql", admin, "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    env["JJ_DATABASE_URL"] = url._replace(path=f"/{name}").geturl()
    try:
        yield env
    finally:
        subprocess.run(["psql", admin, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True)
