"""ASGI-level protections applied to every answer, including those built by exception handlers.

- Security headers and ``Cache-Control: no-store`` on every response: personal data must not survive a
  log-out in the browser's cache, and error pages show the user's name and unit too.
- Requests whose path contains a NUL byte are refused with 400 before routing (the static-file
  router would otherwise fail on them).
"""

from __future__ import annotations

import json
from typing import Any

from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Message, Receive, Scope, Send

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
]


async def add_security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: Litestar applies it to every message of every answer, error answers and
    router 404s included; replaces any header of the same name."""
    if message["type"] == "http.response.start":
        names = {name for name, _ in SECURITY_HEADERS}
        headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
        message["headers"] = [*headers, *SECURITY_HEADERS]


class RefuseNulPathMiddleware:
    """Refuses requests whose path contains a NUL byte (400) before any handler sees them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope.get("path", "") or b"\x00" in scope.get("raw_path", b"")):
            await _bad_path(send)
            return
        await self.app(scope, receive, send)


async def _bad_path(send: Send) -> None:
    body: dict[str, Any] = {"type": "about:blank", "title": "Bad Request", "status": 400, "detail": "invalid path"}
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(data)).encode())]
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 400,
        "headers": [*headers, *SECURITY_HEADERS],
    }
    body_event: HTTPResponseBodyEvent = {"type": "http.response.body", "body": data, "more_body": False}
    await send(start)
    await send(body_event)
