"""Piccolo tables of the accounts area (schema in migrations/accounts/)."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

UNIT_KINDS = ("procuratorate", "court", "public_security", "state_security", "justice_admin", "other")


class Unit(Table, tablename="unit"):
    """A unit (单位): a procuratorate or court, in a tree (city over county level)."""

    id = Serial(primary_key=True)
    name = Varchar(length=100, unique=True)
    kind = Varchar(length=20)
    parent: ForeignKey[Unit] = ForeignKey("self", null=True)
    province_code = Varchar(length=6, null=True)
    doc_prefix = Varchar(length=20, null=True)
    created_at = Timestamptz()


class AppUser(Table, tablename="app_user"):
    """A user with one role and one unit."""

    id = Serial(primary_key=True)
    username = Varchar(length=64, unique=True)
    password_hash = Text()
    role = Varchar(length=20)
    unit = ForeignKey(Unit)
    capabilities = Varchar(length=100, default="")
    active = Boolean(default=True)
    created_at = Timestamptz()


class AuthToken(Table, tablename="auth_token"):
    """A bearer token or browser session; only the SHA-256 digest is stored."""

    id = Serial(primary_key=True)
    token_digest = Varchar(length=64, unique=True)
    account = ForeignKey(AppUser)
    kind = Varchar(length=10)
    created_at = Timestamptz()
    expires_at = Timestamptz()


class LoginAttempt(Table, tablename="login_attempt"):
    """A log-in attempt not (yet) known to have succeeded; counted per user name for throttling.

    ``username`` holds a keyed hash of the name typed (repository ``_attempt_key``), never the text.
    """

    id = Serial(primary_key=True)
    username = Varchar(length=64)
    attempted_at = Timestamptz()
