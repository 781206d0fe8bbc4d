"""Shapes of the auditors' API (API.md "Access log (auditors)"). Times are RFC 3339 in UTC (``…Z``)."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

Outcome = Literal["allowed", "refused", "failed"]
Flag = Literal["sealed_read_without_grant", "read_rate", "off_hours"]
HashKind = Literal["id_number", "search", "username"]


class AccessLogItem(Struct):
    """One entry. ``unit`` is the actor's unit name (``unit_id`` its id), ``record_unit`` the name of
    the unit owning ``target``; ``flags`` name the anomalies found (auditors' module docstring)."""

    seq: int
    at: str
    actor: str | None
    role: str | None
    unit: str | None
    unit_id: int | None
    action: str
    target: str | None
    purpose: str | None
    outcome: str
    entry_hash: str
    record_unit: str | None
    request_id: str | None
    client: str | None
    flags: list[Flag]


class AccessLogPage(Struct):
    """A page of entries, newest first; ``next_cursor`` is opaque, null on the last page."""

    items: list[AccessLogItem]
    next_cursor: str | None


class AccessLogDetail(AccessLogItem):
    """One entry with the hash before it and whether its own hash recomputes."""

    prev_hash: str = ""
    hash_matches: bool = False


class VerifyOut(Struct):
    """``GET /api/audit/verify``: ``valid``; ``entries`` checked; the head hash (hex); the first bad
    sequence number (null when valid) and why."""

    valid: bool
    entries: int
    head_hash: str
    first_bad_seq: int | None
    reason: str | None = None


class HashIn(Struct, forbid_unknown_fields=True):
    """``POST /api/audit/hash``: a value to look for in the log without the log holding it."""

    kind: HashKind
    value: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]


class HashOut(Struct):
    """The ``target`` values under which the log records the value (one per usable index key)."""

    targets: list[str]
