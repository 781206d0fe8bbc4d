"""Configuration from ``JJ_*`` environment variables (API.md, "Configuration by environment").

Read once per process and cached; tests set the environment before the first call.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


class ConfigurationError(RuntimeError):
    """A ``JJ_*`` variable holds a value the service cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Process-wide settings.

    Attributes:
        data_dir: ``JJ_DATA_DIR`` (default ``./var``): SQLite file, development keyring, checkpoints.
        database_url: ``JJ_DATABASE_URL``; empty means the SQLite file ``data_dir/juvenile_justice.sqlite``.
        keys_file: ``JJ_KEYS_FILE``; keyring path (issue 3).
        crypto_suite: ``JJ_CRYPTO_SUITE``: ``aes`` (default) or ``sm``.
        checkpoint_dir: ``JJ_CHECKPOINT_DIR``; signed access-log checkpoints.
        redis_url: ``JJ_REDIS_URL``; optional shared store.
        token_ttl_seconds: lifetime of bearer tokens and browser sessions, seconds (``JJ_TOKEN_TTL``).
        cookie_secure: mark the session cookie ``Secure`` (``JJ_COOKIE_SECURE=1`` behind HTTPS).
        secret_key: CSRF signing secret shared by every worker (``JJ_SECRET_KEY``, else a file in data_dir).
    """

    data_dir: Path
    database_url: str
    keys_file: Path
    crypto_suite: str
    checkpoint_dir: Path
    redis_url: str | None
    token_ttl_seconds: int
    cookie_secure: bool
    secret_key: str

    @property
    def is_postgres(self) -> bool:
        """True when ``database_url`` selects PostgreSQL."""
        return self.database_url.startswith(("postgresql://", "postgres://"))

    @property
    def sqlite_path(self) -> Path:
        """The SQLite database file (only meaningful when not PostgreSQL)."""
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return self.data_dir / "juvenile_justice.sqlite"


def _secret_key(data_dir: Path) -> str:
    env = os.environ.get("JJ_SECRET_KEY")
    if env:
        if len(env) < 32:
            raise ConfigurationError("JJ_SECRET_KEY must be at least 32 characters")
        return env
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the environment once.

    Raises:
        ConfigurationError: an unknown crypto suite, an unsupported database URL or a short secret.
    """
    data_dir = Path(os.environ.get("JJ_DATA_DIR", "./var")).resolve()
    database_url = os.environ.get("JJ_DATABASE_URL", "").strip()
    if database_url and not database_url.startswith(("postgresql://", "postgres://", "sqlite:///")):
        raise ConfigurationError("JJ_DATABASE_URL must start with postgresql:// or sqlite:///")
    suite = os.environ.get("JJ_CRYPTO_SUITE", "aes").strip().lower()
    if suite not in {"aes", "sm"}:
        raise ConfigurationError("JJ_CRYPTO_SUITE must be 'aes' or 'sm'")
    ttl = int(os.environ.get("JJ_TOKEN_TTL", "28800"))
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        keys_file=Path(os.environ.get("JJ_KEYS_FILE", str(data_dir / "keyring.json"))),
        crypto_suite=suite,
        checkpoint_dir=Path(os.environ.get("JJ_CHECKPOINT_DIR", str(data_dir / "checkpoints"))),
        redis_url=os.environ.get("JJ_REDIS_URL") or None,
        token_ttl_seconds=ttl,
        cookie_secure=os.environ.get("JJ_COOKIE_SECURE", "0") in {"1", "true", "yes"},
        secret_key=_secret_key(data_dir),
    )
