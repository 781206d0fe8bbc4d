"""Accounts repository: the only code that touches the accounts tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from juvenile_justice import db
from juvenile_justice import protection as pf
from juvenile_justice.domain.accounts.tables import AppUser, AuthToken, LoginAttempt, Unit
from juvenile_justice.lib.security import Principal, principal_from_row


@dataclass(frozen=True, slots=True)
class UnitRecord:
    """A unit as stored."""

    id: int
    name: str
    kind: str
    parent_id: int | None
    province_code: str | None
    doc_prefix: str | None


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user as stored (``password_hash`` never leaves the accounts service)."""

    id: int
    username: str
    password_hash: str
    role: str
    unit_id: int
    capabilities: frozenset[str]
    active: bool


def _unit(row: dict[str, Any]) -> UnitRecord:
    return UnitRecord(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        parent_id=row["parent"],
        province_code=row["province_code"],
        doc_prefix=row["doc_prefix"],
    )


async def unit_by_name(name: str) -> UnitRecord | None:
    """The unit with this exact name."""
    row = await Unit.select().where(Unit.name == name).first()
    return _unit(row) if row else None


async def unit_by_doc_prefix(doc_prefix: str) -> UnitRecord | None:
    """The unit with this document prefix, if any."""
    row = await Unit.select().where(Unit.doc_prefix == doc_prefix).first()
    return _unit(row) if row else None


async def unit_by_id(unit_id: int) -> UnitRecord | None:
    """The unit with this id."""
    row = await Unit.select().where(Unit.id == unit_id).first()
    return _unit(row) if row else None


async def all_units() -> list[UnitRecord]:
    """Every unit, by id."""
    rows = await Unit.select().order_by(Unit.id)
    return [_unit(r) for r in rows]


async def insert_unit(
    name: str,
    kind: str,
    now: datetime,
    *,
    parent_id: int | None = None,
    province_code: str | None = None,
    doc_prefix: str | None = None,
) -> UnitRecord:
    """Insert a unit and return it."""
    rows = await Unit.insert(
        Unit(
            name=name,
            kind=kind,
            parent=parent_id,
            province_code=province_code,
            doc_prefix=doc_prefix,
            created_at=now,
        )
    ).returning(Unit.id)
    return UnitRecord(rows[0]["id"], name, kind, parent_id, province_code, doc_prefix)


async def update_unit(unit_id: int, values: dict[str, object]) -> None:
    """Update the given columns of a unit (keys: parent, province_code, doc_prefix)."""
    if values:
        await Unit.update(values).where(Unit.id == unit_id)  # type: ignore[arg-type]


async def subtree_ids(unit_id: int) -> list[int]:
    """The ids of ``unit_id`` and every unit below it (recursive CTE, both engines)."""
    rows = await db.fetch(
        "WITH RECURSIVE t(id) AS (SELECT id FROM unit WHERE id = {} "
        "UNION ALL SELECT u.id FROM unit u JOIN t ON u.parent = t.id) SELECT id FROM t",
        unit_id,
    )
    return [int(r["id"]) for r in rows]


async def user_by_username(username: str) -> UserRecord | None:
    """The user with this user name, or None."""
    row = await AppUser.select().where(AppUser.username == username).first()
    if row is None:
        return None
    return UserRecord(
        id=row["id"],
        username=row["username"],
        password_hash=row["password_hash"],
        role=row["role"],
        unit_id=row["unit"],
        capabilities=frozenset(c for c in row["capabilities"].split(",") if c),
        active=bool(row["active"]),
    )


async def insert_user(
    username: str, password_hash: str, role: str, unit_id: int, capabilities: frozenset[str], now: datetime
) -> int:
    """Insert a user; returns its id."""
    rows = await AppUser.insert(
        AppUser(
            username=username,
            password_hash=password_hash,
            role=role,
            unit=unit_id,
            capabilities=",".join(sorted(capabilities)),
            active=True,
            created_at=now,
        )
    ).returning(AppUser.id)
    return int(rows[0]["id"])


async def set_password(user_id: int, password_hash: str) -> None:
    """Replace a user's password hash and end every session and token of the user."""
    await AppUser.update({AppUser.password_hash: password_hash}).where(AppUser.id == user_id)
    await AuthToken.delete().where(AuthToken.account == user_id)


async def set_active(user_id: int, active: bool) -> None:
    """Enable or disable a user; disabling ends every session and token of the user."""
    await AppUser.update({AppUser.active: active}).where(AppUser.id == user_id)
    if not active:
        await AuthToken.delete().where(AuthToken.account == user_id)


async def all_users() -> list[tuple[UserRecord, str]]:
    """Every user with the name of their unit, by user name."""
    rows = await db.fetch(
        "SELECT u.*, n.name AS unit_name FROM app_user u JOIN unit n ON n.id = u.unit ORDER BY u.username"
    )
    return [
        (
            UserRecord(
                id=r["id"],
                username=r["username"],
                password_hash=r["password_hash"],
                role=r["role"],
                unit_id=r["unit"],
                capabilities=frozenset(c for c in r["capabilities"].split(",") if c),
                active=bool(r["active"]),
            ),
            r["unit_name"],
        )
        for r in rows
    ]


async def user_ids_by_usernames(usernames: list[str]) -> dict[str, int]:
    """Map of user name to id for the given names that exist."""
    if not usernames:
        return {}
    rows = await AppUser.select(AppUser.id, AppUser.username).where(AppUser.username.is_in(usernames))
    return {r["username"]: int(r["id"]) for r in rows}


_PRINCIPAL_SQL = (
    "SELECT u.id AS user_id, u.username, u.role, u.capabilities, n.id AS unit_id, n.name AS unit_name, "
    "n.kind AS unit_kind FROM app_user u JOIN unit n ON n.id = u.unit "
)


async def principal_for_user(user_id: int) -> Principal | None:
    """The principal of an active user."""
    row = await db.fetch_one(_PRINCIPAL_SQL + "WHERE u.id = {} AND u.active", user_id)
    return principal_from_row(row) if row else None


async def principal_for_token(digest: str, kind: str, now: datetime) -> Principal | None:
    """The principal whose unexpired token of ``kind`` has this digest."""
    row = await db.fetch_one(
        _PRINCIPAL_SQL + "JOIN auth_token t ON t.account = u.id "
        "WHERE t.token_digest = {} AND t.kind = {} AND t.expires_at > {} AND u.active",
        digest,
        kind,
        now,
    )
    return principal_from_row(row) if row else None


async def insert_token(digest: str, user_id: int, kind: str, now: datetime, expires_at: datetime) -> None:
    """Store a token digest."""
    await AuthToken.insert(
        AuthToken(token_digest=digest, account=user_id, kind=kind, created_at=now, expires_at=expires_at)
    )


async def delete_token(digest: str) -> None:
    """Forget a token (log-out)."""
    await AuthToken.delete().where(AuthToken.token_digest == digest)


async def delete_expired_tokens(now: datetime) -> None:
    """Remove expired tokens."""
    await AuthToken.delete().where(AuthToken.expires_at <= now)


def username_key(username: str) -> str:
    """The keyed hash of a typed user name, as failed log-ins store and log it (see :func:`_attempt_key`)."""
    return _attempt_key(username)


def username_keys(username: str) -> list[str]:
    """:func:`username_key` under every usable index key (auditors' searches across a key rotation)."""
    return pf.field_crypto().blind_indexes(username, label="login_attempt.username", bits=128)


def _attempt_key(username: str) -> str:
    """What ``login_attempt.username`` stores: a keyed 128-bit hash of the name typed, never the text.

    Anything can be typed into the user-name box (a person's name, a password by mistake), so the
    table holds ``HMAC(index key, name)`` (protection.py). After an index-key rotation the counts
    start again, which at worst gives 5 more guesses once.
    """
    return pf.field_crypto().blind_index(username, label="login_attempt.username", bits=128)


async def lock_attempts(username: str) -> None:
    """Serialise the log-in attempts of one user name until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock on the name's keyed hash, so that an attempt is
    counted only after every earlier one has committed (sequence order alone is not commit order).
    SQLite: the ``BEGIN IMMEDIATE`` transaction already excludes every other writer.
    """
    if db.is_postgres():
        await db.fetch("SELECT pg_advisory_xact_lock(hashtextextended({}, 7)) AS locked", _attempt_key(username))


async def insert_attempt(username: str, now: datetime) -> int:
    """Record a log-in attempt; returns its sequence id."""
    key = _attempt_key(username)
    rows = await LoginAttempt.insert(LoginAttempt(username=key, attempted_at=now)).returning(LoginAttempt.id)
    return int(rows[0]["id"])


async def count_attempts_before(username: str, since: datetime, before_id: int) -> int:
    """Attempts for ``username`` since ``since`` recorded before attempt ``before_id``."""
    key = _attempt_key(username)
    return int(
        await LoginAttempt.count().where(
            (LoginAttempt.username == key) & (LoginAttempt.attempted_at > since) & (LoginAttempt.id < before_id)
        )
    )


async def clear_attempts(username: str, up_to_id: int) -> None:
    """Forget the attempts of ``username`` up to the successful one (later attempts still count)."""
    key = _attempt_key(username)
    await LoginAttempt.delete().where((LoginAttempt.username == key) & (LoginAttempt.id <= up_to_id))


async def prune_attempts(before: datetime) -> None:
    """Forget attempts older than the throttling window."""
    await LoginAttempt.delete().where(LoginAttempt.attempted_at < before)
