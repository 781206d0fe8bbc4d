"""Configuration from ``JJ_*`` environment variables (API.md, "Configuration by environment").

Read once per process and cached; tests set the environment before the first call.
"""

from __future__ import annotations

import os
import re
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
        trusted_proxies: ``JJ_TRUSTED_PROXIES``, comma-separated addresses/CIDR networks of reverse proxies
            whose ``X-Forwarded-For`` is believed (lib/request_context.py); empty: none.
        checkpoint_key_file: ``JJ_CHECKPOINT_KEY`` (default ``data_dir/checkpoint-signing.key``): the Ed25519
            key that signs access-log checkpoints.
        checkpoint_interval_seconds: ``JJ_CHECKPOINT_INTERVAL`` (default 300 s): a checkpoint at least this often
            while the log grows.
        checkpoint_entries: ``JJ_CHECKPOINT_ENTRIES`` (default 10,000): a checkpoint after this many new entries.
        reads_per_minute_flag: ``JJ_AUDIT_READS_PER_MINUTE`` (default 30): more reads of records by one user in
            one minute are flagged for auditors.
        working_hours: ``JJ_WORKING_HOURS`` (default ``08:00-18:00``, China Standard Time): reads outside them,
            or on a non-working day, are flagged.
        app_db_role: ``JJ_APP_DB_ROLE``: the PostgreSQL role the service connects as; ``migrate`` grants it
            what it needs and no more (it cannot alter the access log, security.md A11).
        public_url: ``JJ_PUBLIC_URL`` (default ``http://127.0.0.1:8000``): the address the public reaches the
            service at; printed on every document, with its verification code, and encoded in its QR code.
        verify_per_minute: ``JJ_VERIFY_PER_MINUTE`` (default 30): verification-code checks answered per client
            address and minute (``/verify``, ``/api/verify``), in each worker process; more answer 429.
        sealed_query_deadline: ``JJ_SEALED_QUERY_DEADLINE``: ``3wd`` (default: 3 working days, 2022 sealing
            measures) or ``7d`` (7 days, SPP Rules 484) for deciding a lawful query of a sealed record (R-SEAL-7).
        unseal_comparator: ``JJ_UNSEAL_COMPARATOR``: ``>`` (default: a combined sentence over 60 months lifts a
            seal, 2022 sealing measures) or ``>=`` (60 months or more, SPP Rules 485(2)); R-SEAL-11.
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
    trusted_proxies: str = ""
    checkpoint_key_file: Path = Path("var/checkpoint-signing.key")
    checkpoint_interval_seconds: int = 300
    checkpoint_entries: int = 10_000
    reads_per_minute_flag: int = 30
    working_hours: tuple[int, int] = (8 * 60, 18 * 60)
    app_db_role: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    verify_per_minute: int = 30
    sealed_query_deadline: str = "3wd"
    unseal_comparator: str = ">"

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


def _positive_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number") from None
    if value < 1:
        raise ConfigurationError(f"{name} must be at least 1")
    return value


def _choice(name: str, choices: tuple[str, ...]) -> str:
    """The variable's value, one of ``choices`` (the first when unset)."""
    text = os.environ.get(name, "").strip()
    if not text:
        return choices[0]
    if text not in choices:
        raise ConfigurationError(f"{name} must be one of: {', '.join(choices)}")
    return text


def _working_hours(text: str) -> tuple[int, int]:
    """``"08:00-18:00"`` → minutes after midnight (480, 1080)."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if match:
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 < 24 and h2 <= 24 and m1 < 60 and m2 < 60 and start < end <= 24 * 60:
            return start, end
    raise ConfigurationError("JJ_WORKING_HOURS must look like 08:00-18:00")


def _app_db_role(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", text):
        raise ConfigurationError("JJ_APP_DB_ROLE must be a plain lower-case PostgreSQL role name")
    return text


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
        trusted_proxies=_trusted_proxies(os.environ.get("JJ_TRUSTED_PROXIES", "")),
        checkpoint_key_file=Path(os.environ.get("JJ_CHECKPOINT_KEY", str(data_dir / "checkpoint-signing.key"))),
        checkpoint_interval_seconds=_positive_int("JJ_CHECKPOINT_INTERVAL", 300),
        checkpoint_entries=_positive_int("JJ_CHECKPOINT_ENTRIES", 10_000),
        reads_per_minute_flag=_positive_int("JJ_AUDIT_READS_PER_MINUTE", 30),
        working_hours=_working_hours(os.environ.get("JJ_WORKING_HOURS", "08:00-18:00")),
        app_db_role=_app_db_role(os.environ.get("JJ_APP_DB_ROLE", "")),
        public_url=_public_url(os.environ.get("JJ_PUBLIC_URL", "http://127.0.0.1:8000")),
        verify_per_minute=_positive_int("JJ_VERIFY_PER_MINUTE", 30),
        sealed_query_deadline=_choice("JJ_SEALED_QUERY_DEADLINE", ("3wd", "7d")),
        unseal_comparator=_choice("JJ_UNSEAL_COMPARATOR", (">", ">=")),
    )


def _public_url(text: str) -> str:
    """``JJ_PUBLIC_URL`` without a trailing slash; http(s) with a host and no query or fragment."""
    from urllib.parse import urlsplit

    url = text.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError("JJ_PUBLIC_URL must be an http(s) address such as https://jj.example.gov.cn")
    return url


def _trusted_proxies(text: str) -> str:
    from juvenile_justice.lib.request_context import ProxyConfigurationError, parse_trusted_proxies

    try:
        parse_trusted_proxies(text)
    except ProxyConfigurationError as exc:
        raise ConfigurationError(str(exc)) from None
    return text
