"""Request and response shapes of the accounts API."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct


class TokenRequest(Struct, forbid_unknown_fields=True):
    """``POST /api/auth/token``."""

    username: Annotated[str, Meta(min_length=1, max_length=200)]
    password: Annotated[str, Meta(min_length=1, max_length=1000)]


class TokenOut(Struct):
    """A bearer token; ``expires_in`` in seconds."""

    access_token: str
    token_type: Literal["bearer"]
    expires_in: int
    role: str


class MeOut(Struct):
    """The authenticated user."""

    username: str
    role: str
    unit: str
    unit_kind: str
    capabilities: list[str]


class UnitOut(Struct):
    """A unit (单位)."""

    id: int
    name: str
    kind: str
    parent_id: int | None
    province_code: str | None
    doc_prefix: str | None


class UnitList(Struct):
    """Every unit."""

    items: list[UnitOut]
    next_cursor: str | None = None
