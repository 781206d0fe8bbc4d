"""Structured JSON logs (structlog) that never carry personal data, keys or tokens.

Events name what happened and ids; a redaction processor drops values of keys that may hold personal
data or secrets, as a last line of defence.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

REDACTED_KEYS = frozenset(
    {
        "name",
        "id_number",
        "phone",
        "address",
        "password",
        "token",
        "access_token",
        "authorization",
        "cookie",
        "secret",
        "key",
        "summary",
        "title",
    }
)


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace values of sensitive keys with ``[redacted]``."""
    for key in list(event):
        if key.lower() in REDACTED_KEYS:
            event[key] = "[redacted]"
    return event


_configured = False


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr, once per process."""
    global _configured
    if _configured:
        return
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    _configured = True
