"""Who is asking, from where: the request id and the client address of the current request.

:class:`RequestContextMiddleware` gives every HTTP request a fresh request id (answered in the
``X-Request-ID`` header, so a user's report can be matched with the access log) and works out the
client address. The address is the TCP peer's, unless the peer is one of the configured trusted
proxies (``JJ_TRUSTED_PROXIES``: comma-separated addresses or CIDR networks); then it is the right-most
address of ``X-Forwarded-For`` that is not itself a trusted proxy. A client cannot choose what is
logged as its address by sending the header itself (security.md A10).

Both values live in context variables, read by the access log (domain/audit/service.py) and the
structured logs; outside a request they are None.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from functools import lru_cache

import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

request_id: ContextVar[str | None] = ContextVar("jj_request_id", default=None)
client_address: ContextVar[str | None] = ContextVar("jj_client_address", default=None)


class ProxyConfigurationError(ValueError):
    """``JJ_TRUSTED_PROXIES`` holds something that is not an address or network."""


@lru_cache(maxsize=8)
def parse_trusted_proxies(text: str) -> tuple[Network, ...]:
    """Parse ``"10.0.0.1, 192.168.0.0/16, ::1"`` into networks.

    Raises:
        ProxyConfigurationError: an item that is not an IP address or CIDR network.
    """
    networks: list[Network] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ProxyConfigurationError(f"JJ_TRUSTED_PROXIES: {item!r} is not an address or network") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    text = text.split("%", 1)[0]  # an IPv6 zone id is the sender's free text: never logged
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: Iterable[Network]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_of(peer: str | None, forwarded_for: list[str], proxies: tuple[Network, ...]) -> str | None:
    """The client address: ``peer`` unless it is a trusted proxy, then the right-most untrusted hop of
    the ``X-Forwarded-For`` values (in header order). A malformed hop ends the walk at the last
    trusted address (nothing a client wrote is taken on trust)."""
    if peer is None:
        return None
    current = _address(peer)
    if current is None or not proxies or not _trusted(current, proxies):
        return str(current) if current is not None else "invalid"
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return str(current)
        current = address
        if not _trusted(current, proxies):
            return str(current)
    return str(current)


class RequestContextMiddleware:
    """Sets :data:`request_id` and :data:`client_address` for each HTTP request and answers the id in
    ``X-Request-ID``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from juvenile_justice.settings import get_settings  # settings are read after the environment is set

        rid = uuid.uuid4().hex
        peer = scope.get("client")
        forwarded = [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"x-forwarded-for"]
        proxies = parse_trusted_proxies(get_settings().trusted_proxies)
        rid_token = request_id.set(rid)
        client_token = client_address.set(client_of(peer[0] if peer else None, forwarded, proxies))
        log_tokens = structlog.contextvars.bind_contextvars(request_id=rid)  # in every log line of the request

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message["headers"] = [*headers, (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.reset_contextvars(**log_tokens)
            request_id.reset(rid_token)
            client_address.reset(client_token)
