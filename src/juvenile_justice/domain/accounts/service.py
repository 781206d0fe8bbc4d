"""Accounts service: log-in with throttling, tokens and sessions, users and units.

Log-in throttling (API.md "Authentication"): after 5 failed attempts for one user name within 15
minutes every further attempt answers 429, the right password too. Attempts are rows in the
database, so every worker process agrees; nothing is keyed on client-supplied headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from juvenile_justice import db
from juvenile_justice.domain.accounts import repository as repo
from juvenile_justice.domain.accounts.tables import UNIT_KINDS
from juvenile_justice.domain.audit import service as audit
from juvenile_justice.lib.clock import now_utc
from juvenile_justice.lib.errors import NotAuthenticated, TooManyAttempts, ValidationFailed
from juvenile_justice.lib.phone_numbers import contains_mobile_number
from juvenile_justice.lib.security import (
    CAPABILITIES,
    ROLES,
    Principal,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)
from juvenile_justice.settings import get_settings

MAX_FAILURES = 5
"""Failed log-ins per user name allowed within :data:`FAILURE_WINDOW`."""
FAILURE_WINDOW = timedelta(minutes=15)

ROLE_UNIT_KINDS = {"prosecutor": "procuratorate", "aid_officer": "procuratorate", "judge": "court"}
"""The kind of unit each role works in (judicial aid here is the procuratorate's); auditors and
administrators may sit in any unit."""

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly issued token: ``token`` is shown once; ``expires_in`` in seconds."""

    token: str
    expires_in: int
    principal: Principal


def normalise_username(username: str) -> str:
    """User names are case-insensitive: stripped and lower-cased, at most 64 characters."""
    return username.strip().lower()[:64]


async def log_in(username: str, password: str, kind: str = "bearer") -> IssuedToken:
    """Check a user name and password and issue a token of ``kind`` (``bearer`` or ``session``).

    Raises:
        TooManyAttempts: 5 or more attempts for this user name in the last 15 minutes.
        NotAuthenticated: unknown user, inactive user or wrong password (one message for all).
    """
    name = normalise_username(username)
    if "\x00" in name:
        raise NotAuthenticated("user name or password is wrong")
    now = now_utc()
    async with db.transaction():  # attempts for one name are counted one at a time (no race between workers)
        await repo.lock_attempts(name)
        attempt_id = await repo.insert_attempt(name, now)
        earlier = await repo.count_attempts_before(name, now - FAILURE_WINDOW, attempt_id)
    if earlier >= MAX_FAILURES:
        known = await repo.user_by_username(name)
        if known is None:
            await _log_login(name, kind, "throttled")
        else:
            await _log_login(name, kind, "throttled", known.username, known.role, known.unit_id)
        raise TooManyAttempts(
            "too many failed log-ins for this user name; try again later",
            retry_after_seconds=int(FAILURE_WINDOW.total_seconds()),
        )
    user = await repo.user_by_username(name)
    ok = await verify_password(password, user.password_hash if user else None)
    if not ok or user is None or not user.active:
        if user is None:
            await _log_login(name, kind, "refused")
        else:  # the account's own unit, so that its auditors see guesses at its users' passwords
            await _log_login(name, kind, "refused", user.username, user.role, user.unit_id)
        raise NotAuthenticated("user name or password is wrong")
    await repo.clear_attempts(name, attempt_id)
    principal = await repo.principal_for_user(user.id)
    if principal is None:  # deactivated between the two reads
        await _log_login(name, kind, "refused", user.username)
        raise NotAuthenticated("user name or password is wrong")
    ttl = get_settings().token_ttl_seconds
    token, digest = new_token()
    await repo.insert_token(digest, user.id, kind, now, now + timedelta(seconds=ttl))
    await _log_login(name, kind, "allowed", principal.username, principal.role, principal.unit_id)
    return IssuedToken(token=token, expires_in=ttl, principal=principal)


async def _log_login(
    typed: str, kind: str, outcome: str, actor: str | None = None, role: str | None = None, unit: int | None = None
) -> None:
    """Write a log-in (``auth.login``, bearer or session) to the access log. The name typed is logged only
    as its keyed hash (it may be anything: a person's name, a password typed in the wrong box); the
    account's own user name is the actor when the name belongs to an account."""
    await audit.record(
        audit.Event(
            action="auth.login",
            outcome=outcome,
            actor=actor,
            role=role,
            unit=unit,
            target=f"username:{repo.username_key(typed)}",
            purpose=kind,
        )
    )


async def principal_for(token: str, kind: str) -> Principal | None:
    """The principal of a valid, unexpired token, or None."""
    if not token or len(token) > 200:
        return None
    return await repo.principal_for_token(token_digest(token), kind, now_utc())


async def log_out(token: str) -> None:
    """End a session or revoke a token."""
    await repo.delete_token(token_digest(token))


def infer_unit_kind(name: str) -> str:
    """The unit kind from its name: …检察院 → procuratorate, …法院 → court.

    Raises:
        ValidationFailed: the name ends in neither.
    """
    if name.endswith("检察院"):
        return "procuratorate"
    if name.endswith("法院"):
        return "court"
    if name.endswith("公安局") or name.endswith("分局"):
        return "public_security"
    raise ValidationFailed.one("unit", "cannot infer the unit kind: the name must end in 检察院 or 法院")


async def ensure_unit(name: str, kind: str | None = None) -> repo.UnitRecord:
    """The unit named ``name``, created (kind inferred from the name) when missing."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed.one("unit", "a unit name of 1 to 100 characters is required")
    existing = await repo.unit_by_name(name)
    if existing:
        return existing
    kind = kind or infer_unit_kind(name)
    if kind not in UNIT_KINDS:
        raise ValidationFailed.one("kind", f"must be one of {', '.join(UNIT_KINDS)}")
    unit = await repo.insert_unit(name, kind, now_utc())
    await audit.admin_action("units.add", f"unit:{unit.id}", f"kind:{kind}", unit.id)
    return unit


async def set_unit(
    name: str, *, parent: str | None = None, province_code: str | None = None, doc_prefix: str | None = None
) -> repo.UnitRecord:
    """Edit a unit (``juvenile-justice units set``).

    Args:
        name: the unit's name.
        parent: name of the parent unit (must exist; no cycles).
        province_code: 6-digit administrative code of the province, e.g. ``370000``.
        doc_prefix: document-number prefix, e.g. 任检未.

    Raises:
        ValidationFailed: unknown unit or parent, a cycle, a malformed code or prefix.
    """
    async with db.transaction():
        unit = await repo.unit_by_name(name)
        if unit is None:
            raise ValidationFailed.one("unit", "no such unit")
        values: dict[str, object] = {}
        if parent is not None:
            parent_unit = await repo.unit_by_name(parent)
            if parent_unit is None:
                raise ValidationFailed.one("parent", "no such unit")
            if parent_unit.id in await repo.subtree_ids(unit.id):
                raise ValidationFailed.one("parent", "a unit cannot be placed below itself")
            if parent_unit.kind != unit.kind:
                raise ValidationFailed.one(
                    "parent", f"a {unit.kind} goes below a {unit.kind}, not a {parent_unit.kind}"
                )
            values["parent"] = parent_unit.id
        if province_code is not None:
            if not re.fullmatch(r"\d{2}0000", province_code):
                raise ValidationFailed.one("province", "a province-level code ending in 0000, such as 370000")
            values["province_code"] = province_code
        if doc_prefix is not None:
            if not 1 <= len(doc_prefix) <= 20:
                raise ValidationFailed.one("doc_prefix", "1 to 20 characters")
            holder = await repo.unit_by_doc_prefix(doc_prefix)
            if holder is not None and holder.id != unit.id:
                raise ValidationFailed.one(
                    "doc_prefix", "already the prefix of another unit (case numbers would clash)"
                )
            values["doc_prefix"] = doc_prefix
        await repo.update_unit(unit.id, values)
        await audit.admin_action("units.set", f"unit:{unit.id}", ",".join(sorted(values)) or None, unit.id)
        updated = await repo.unit_by_id(unit.id)
        assert updated is not None
        return updated


async def add_user(
    username: str, *, role: str, unit: str, password: str, capabilities: frozenset[str] = frozenset()
) -> int:
    """Create a user (and the unit if missing); returns the user id.

    Raises:
        ValidationFailed: bad user name, role, capability or a short password; a duplicate user name.
    """
    name = normalise_username(username)
    if not USERNAME_RE.fullmatch(name):
        raise ValidationFailed.one("username", "2-64 characters: a-z, 0-9, '_', '.', '-'")
    if re.search(r"[0-9]{13}", name):  # user names are logged in clear: never an ID number
        raise ValidationFailed.one("username", "no run of 13 or more digits (an ID number is not a user name)")
    if contains_mobile_number(name):  # nor a phone number
        raise ValidationFailed.one("username", "not a mobile phone number (user names are logged in clear)")
    if role not in ROLES:
        raise ValidationFailed.one("role", f"must be one of {', '.join(ROLES)}")
    unknown = capabilities - set(CAPABILITIES)
    if unknown:
        raise ValidationFailed.one("capability", f"unknown capability: {', '.join(sorted(unknown))}")
    if "chief" in capabilities and role != "prosecutor":
        raise ValidationFailed.one("capability", "chief is granted to prosecutors only")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.one("password", f"at least {MIN_PASSWORD_LENGTH} characters")
    password_hash = await hash_password(password)
    async with db.transaction():
        if await repo.user_by_username(name):
            raise ValidationFailed.one("username", "this user name is taken")
        unit_record = await ensure_unit(unit)
        expected = ROLE_UNIT_KINDS.get(role)
        if expected is not None and unit_record.kind != expected:
            raise ValidationFailed.one("unit", f"a {role} belongs to a {expected}, not a {unit_record.kind}")
        user_id = await repo.insert_user(name, password_hash, role, unit_record.id, capabilities, now_utc())
        purpose = f"role:{role}" + (f",capabilities:{','.join(sorted(capabilities))}" if capabilities else "")
        await audit.admin_action("users.add", f"user:{name}", purpose, unit_record.id)
        return user_id


async def units() -> list[repo.UnitRecord]:
    """Every unit."""
    return await repo.all_units()


@dataclass(frozen=True, slots=True)
class UserSummary:
    """A user as listed to administrators (never the password hash)."""

    username: str
    role: str
    unit: str
    capabilities: frozenset[str]
    active: bool


async def list_users() -> list[UserSummary]:
    """Every user, by user name."""
    return [UserSummary(u.username, u.role, unit, u.capabilities, u.active) for u, unit in await repo.all_users()]


async def _existing(username: str) -> repo.UserRecord:
    user = await repo.user_by_username(normalise_username(username))
    if user is None:
        raise ValidationFailed.one("username", "no such user")
    return user


async def set_password(username: str, password: str) -> None:
    """Replace a user's password; every session and token of the user ends.

    Raises:
        ValidationFailed: unknown user or a short password.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.one("password", f"at least {MIN_PASSWORD_LENGTH} characters")
    password_hash = await hash_password(password)
    async with db.transaction():
        user = await _existing(username)
        await repo.set_password(user.id, password_hash)
        await audit.admin_action("users.set_password", f"user:{user.username}", None, user.unit_id)


async def set_active(username: str, active: bool) -> None:
    """Enable or disable a user (a disabled user cannot log in; their sessions and tokens end).

    Raises:
        ValidationFailed: unknown user.
    """
    async with db.transaction():
        user = await _existing(username)
        await repo.set_active(user.id, active)
        await audit.admin_action(
            "users.enable" if active else "users.disable", f"user:{user.username}", None, user.unit_id
        )
