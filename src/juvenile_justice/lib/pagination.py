"""Opaque list cursors (API.md "Lists are paginated": ``limit`` default 50, max 500)."""

from __future__ import annotations

import base64
import binascii

from juvenile_justice.db import MAX_ID
from juvenile_justice.lib.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def encode_cursor(last_id: int) -> str:
    """Cursor that continues after the row ``last_id``."""
    return base64.urlsafe_b64encode(f"v1:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The row id a cursor continues after, or None for the first page.

    Raises:
        ValidationFailed: the cursor was not made by :func:`encode_cursor`.
    """
    if cursor is None or cursor == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix != "v1" or not value.isdigit() or len(value) > 18 or int(value) > MAX_ID:
            raise ValueError(cursor)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed.one("cursor", "无效的分页标记 / not a cursor returned by this list") from None


def check_limit(limit: int | None) -> int:
    """The page size: ``DEFAULT_LIMIT`` when absent.

    Raises:
        ValidationFailed: outside 1..500.
    """
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.one("limit", f"应在1至{MAX_LIMIT}之间 / between 1 and {MAX_LIMIT}")
    return limit
