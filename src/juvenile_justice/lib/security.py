"""Authentication primitives: Argon2id password hashes, opaque tokens, the principal, role guards.

Passwords are hashed with Argon2id (RFC 9106; OWASP parameters m=19 MiB, t=2, p=1) from
``cryptography``. Bearer tokens and browser sessions are random opaque strings; only their SHA-256
digest is stored, so a database reader cannot replay them, and every worker process sees the same
sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

ROLES = ("prosecutor", "judge", "aid_officer", "auditor", "admin")
"""API.md roles: 未检检察官, 少年法庭法官, 司法救助承办人, 审计员, administrator."""

CAPABILITIES = ("chief",)
"""Capabilities granted to a user on top of the role: ``chief`` (检察长 approval power)."""

_ARGON2 = {"length": 32, "iterations": 2, "lanes": 1, "memory_cost": 19 * 1024}


def _hash_password_sync(password: str) -> str:
    kdf = Argon2id(
        salt=secrets.token_bytes(16),
        length=_ARGON2["length"],
        iterations=_ARGON2["iterations"],
        lanes=_ARGON2["lanes"],
        memory_cost=_ARGON2["memory_cost"],
    )
    return kdf.derive_phc_encoded(password.encode("utf-8"))


def _verify_password_sync(password: str, encoded: str) -> bool:
    try:
        Argon2id.verify_phc_encoded(password.encode("utf-8"), encoded)
    except (InvalidKey, ValueError):
        return False
    return True


async def hash_password(password: str) -> str:
    """Argon2id PHC string for ``password`` (computed off the event loop, about 0.1 s)."""
    return await anyio.to_thread.run_sync(_hash_password_sync, password)


async def verify_password(password: str, encoded: str | None) -> bool:
    """True when ``password`` matches ``encoded``; with no stored hash, spends the same time and fails."""
    if encoded is None:
        await anyio.to_thread.run_sync(_verify_password_sync, password, _DUMMY_HASH)
        return False
    return await anyio.to_thread.run_sync(_verify_password_sync, password, encoded)


_DUMMY_HASH = _hash_password_sync(secrets.token_urlsafe(16))


def new_token() -> tuple[str, str]:
    """A fresh opaque token and its SHA-256 hex digest (the only form stored)."""
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    """SHA-256 hex digest of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated user of a request.

    Attributes:
        user_id: the user's id.
        username: log-in name.
        role: one of :data:`ROLES`.
        unit_id: id of the user's unit (单位).
        unit_name: the unit's name, e.g. 济宁市任城区人民检察院.
        unit_kind: ``procuratorate`` or ``court`` (or another organ kind).
        capabilities: granted capabilities such as ``chief``.
    """

    user_id: int
    username: str
    role: str
    unit_id: int
    unit_name: str
    unit_kind: str
    capabilities: frozenset[str]

    @property
    def is_chief(self) -> bool:
        """Holds the chief prosecutor's approval power (检察长)."""
        return "chief" in self.capabilities

    def __repr__(self) -> str:
        return f"Principal(user_id={self.user_id}, role={self.role!r}, unit_id={self.unit_id})"


def principal_from_row(row: dict[str, Any]) -> Principal:
    """Build a principal from a joined user/unit row."""
    caps = frozenset(c for c in (row.get("capabilities") or "").split(",") if c)
    return Principal(
        user_id=int(row["user_id"]),
        username=str(row["username"]),
        role=str(row["role"]),
        unit_id=int(row["unit_id"]),
        unit_name=str(row["unit_name"]),
        unit_kind=str(row["unit_kind"]),
        capabilities=caps,
    )
