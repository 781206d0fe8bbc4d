"""Authentication middleware: bearer tokens on the API, the session cookie on pages (Litestar's own
``AbstractAuthenticationMiddleware``); sets ``request.user`` to a :class:`~juvenile_justice.lib.security.Principal`."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from juvenile_justice.domain.accounts import service as accounts
from juvenile_justice.lib.http import SESSION_COOKIE, is_api


class TokenAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Bearer token on ``/api/*``, session cookie on pages; sets ``request.user`` to a Principal."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        path = connection.scope["path"]
        if is_api(path):
            scheme, _, token = connection.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise NotAuthorizedException("a bearer token is required")
            principal = await accounts.principal_for(token.strip(), "bearer")
        else:
            token = connection.cookies.get(SESSION_COOKIE, "")
            principal = await accounts.principal_for(token, "session") if token else None
        if principal is None:
            raise NotAuthorizedException("the token is invalid or has expired")
        return AuthenticationResult(user=principal, auth=token)
