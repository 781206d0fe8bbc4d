"""HTTP plumbing shared by every controller: role guards, problem details, error pages.

API routes (``/api/*``) take ``Authorization: Bearer <token>``; pages take the session cookie.
Every error becomes an RFC 9457 problem-details answer on the API and an error page or a redirect
to the log-in page in the browser. Nothing a client sends produces a 5xx.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import asyncpg
import msgspec
import structlog
from litestar import Request, Response
from litestar.background_tasks import BackgroundTask
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi import ResponseSpec
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from juvenile_justice.lib.crypto import DecryptionError, KeyringError
from juvenile_justice.lib.errors import DomainError, TooManyAttempts, field_error_from_msgspec
from juvenile_justice.lib.security import Principal

log = structlog.get_logger("juvenile_justice.http")


class ProblemFieldError(msgspec.Struct):
    """One invalid field of a 400/422 answer."""

    field: str
    message: str


class Problem(msgspec.Struct):
    """RFC 9457 problem details (API.md "Conventions"); more members may follow."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemFieldError] | None = None


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI ``responses=`` for the given error statuses, as problem details."""
    return {
        s: ResponseSpec(
            data_container=Problem,
            media_type="application/problem+json",
            description=HTTPStatus(s).phrase,
            generate_examples=False,
        )
        for s in statuses
    }


SESSION_COOKIE = "jj_session"
PROBLEM_JSON = "application/problem+json"

PUBLIC_PATHS = [
    r"^/api/auth/token$",
    r"^/api/verify/",
    r"^/schema",
    r"^/login$",
    r"^/static/",
    r"^/verify/",
    r"^/verify$",
    r"^/health$",
    r"^/favicon.ico$",
]


RefusalHook = Callable[[Principal, str, str, int], Awaitable[None]]
REFUSAL_HOOKS: list[RefusalHook] = []
"""Called (after the answer is sent) with the principal, the route's action name, the target (the record
of the route's ``{..._id}`` parameter, else the path) and the status of every 403 or 404 answered to an
authenticated user: the app registers the access log's writer."""


def _route_action(request: Request[Any, Any, Any]) -> str:
    handler = request.scope.get("route_handler")
    operation = getattr(handler, "operation_id", None) if handler is not None else None
    name = operation if isinstance(operation, str) else getattr(getattr(handler, "fn", None), "__name__", "unknown")
    return "route." + re.sub(r"(?<!^)(?=[A-Z])", "_", str(name)).lower()


def _with_refusal_log(request: Request[Any, Any, Any], status: int, response: Response[Any]) -> Response[Any]:
    user = request.scope.get("user")
    if status in (403, 404) and isinstance(user, Principal) and REFUSAL_HOOKS:
        action, target = _route_action(request), _route_target(request)
        response.background = BackgroundTask(_run_refusal_hooks, user, action, target, status)
    return response


_PARAM_KINDS = {"seq": "access_log", "record_id": "sealed_record", "request_id": "query_request"}
"""Path parameters whose record kind is not their name without ``_id`` (the access log's target kinds)."""


def _route_target(request: Request[Any, Any, Any]) -> str:
    """What a refused request aimed at: ``person:17`` for a ``{person_id}`` route (the record's kind and
    id, as the access log names records), else the path."""
    params = request.scope.get("path_params") or {}
    for name, value in params.items():
        if isinstance(value, int) and 0 < value < 2**62 and (name.endswith("_id") or name == "seq"):
            kind = _PARAM_KINDS.get(name) or name.removesuffix("_id")
            return f"{kind}:{value}" if value <= 2**31 else f"{kind}:invalid"
    return re.sub(r"[0-9]{13,}", "#", request.url.path[:200])  # no ID number typed into a URL reaches the log


async def _run_refusal_hooks(user: Principal, action: str, path: str, status: int) -> None:
    for hook in REFUSAL_HOOKS:
        await hook(user, action, path, status)


def is_api(path: str) -> bool:
    """True for API paths (problem-details answers), False for pages."""
    return path.startswith("/api/")


def requires_roles(*roles: str) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """A guard allowing only the given roles (403 otherwise)."""
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")  # absent on OPTIONS, which skips authentication
        if user is None:
            raise NotAuthorizedException("authentication required")
        if not isinstance(user, Principal) or user.role not in allowed:
            raise PermissionDeniedException("您的角色不能使用此功能 / your role may not use this")

    guard.__name__ = "requires_" + "_or_".join(sorted(allowed))
    return guard


def principal(request: Request[Any, Any, Any]) -> Principal:
    """The authenticated principal of a request."""
    user = request.user
    assert isinstance(user, Principal)
    return user


def problem(status: int, title: str, detail: str, **extra: Any) -> Response[dict[str, Any]]:
    """A problem-details response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def _field_error(item: dict[str, Any]) -> dict[str, str]:
    message = str(item.get("message", "invalid"))
    if " - at `$" in message or message.startswith("Object "):
        error = field_error_from_msgspec(message)
        return {"field": error.field, "message": error.message}
    key = re.sub(r"\[(\d+)\]", r".\1", str(item.get("key") or "body"))
    return {"field": key, "message": message}


def _validation_problem(exc: ValidationException) -> Response[dict[str, Any]]:
    items = exc.extra if isinstance(exc.extra, list) else []
    errors = [_field_error(i) for i in items if isinstance(i, dict)]
    text = " ".join(e["message"] for e in errors) + " " + str(exc.detail)
    if "malformed" in text.lower() or ("JSON" in text and "decode" in text.lower()):
        return problem(
            400,
            "Bad Request",
            "the request body is not valid JSON",
            errors=errors or [{"field": "body", "message": "malformed JSON"}],
        )
    if not errors:
        errors = [{"field": "body", "message": str(exc.detail)}]
    return problem(
        422,
        "Unprocessable Content",
        "; ".join(f"{e['field']}: {e['message']}" for e in errors),
        errors=errors,
    )


def _page_error(request: Request[Any, Any, Any], status: int, title: str, detail: str) -> Response[Any]:
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(path="/login", query_params={"next": target} if request.method == "GET" else {})
    return Template(
        template_name="pages/error.html",
        status_code=status,
        context={"status": status, "title": title, "detail": detail, "user": request.scope.get("user")},
    )


def handle_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    """Domain errors → problem details (API) or an error page; refusals (403, 404) are logged."""
    if not is_api(request.url.path):
        return _with_refusal_log(request, exc.status, _page_error(request, exc.status, exc.title, exc.detail))
    response = Response(exc.problem(), status_code=exc.status, media_type=PROBLEM_JSON)
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
    if exc.status == 503:
        response.headers["Retry-After"] = "30"
    return _with_refusal_log(request, exc.status, response)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Framework exceptions (validation, 401, 403, 404, 405, ...) → problem details or pages."""
    status = exc.status_code
    if isinstance(exc, ValidationException) and is_api(request.url.path):
        return _validation_problem(exc)
    titles = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        405: "Method Not Allowed",
        413: "Content Too Large",
        415: "Unsupported Media Type",
        429: "Too Many Requests",
    }
    title = titles.get(status, "Error")
    detail = str(exc.detail) if exc.detail else title
    if status >= 500:
        log.error("http_error", status=status, path=request.url.path, error=type(exc).__name__)
        detail = "internal error"
    if not is_api(request.url.path):
        return _with_refusal_log(request, status, _page_error(request, status, title, detail))
    response = problem(status, title, detail)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="juvenile-justice"'
    return _with_refusal_log(request, status, response)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anything else is our own failure: logged by type only (no data), answered 500."""
    log.error("unhandled_error", path=request.url.path, error=type(exc).__name__)
    if not is_api(request.url.path):
        return _page_error(request, 500, "Internal Server Error", "internal error")
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "Internal Server Error", "internal error")


def handle_too_deep(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    """A body nested too deeply for the JSON decoder is bad input, like malformed JSON (400)."""
    if not is_api(request.url.path):
        return _page_error(request, 400, "Bad Request", "nested too deeply")
    return problem(
        400,
        "Bad Request",
        "the request body is nested too deeply",
        errors=[{"field": "body", "message": "nested too deeply"}],
    )


def handle_integrity(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A unique constraint lost to a concurrent request: the same answer as the service's own check (409)."""
    if _is_unique_violation(exc):
        if not is_api(request.url.path):
            return _page_error(request, 409, "Conflict", "already recorded")
        return problem(409, "Conflict", "已存在相同记录 / this was recorded already by a concurrent request")
    return handle_unexpected(request, exc)


def handle_decryption_failure(request: Request[Any, Any, Any], exc: DecryptionError) -> Response[Any]:
    """Stored data failed its authentication check: 500 "integrity" (API.md), logged; no stored bytes.

    The log event names the cell (table, column, row id), the reason and the key id, never a value.
    """
    user = request.scope.get("user")
    log.error(
        "decrypt_integrity_failure",
        path=request.url.path,
        table=exc.table,
        column=exc.column,
        row_id=str(exc.row_id) if exc.row_id is not None else None,
        reason=exc.reason,
        key_id=exc.key_id,
        actor=getattr(user, "username", None),
    )
    detail = "存储的数据未通过完整性校验，已记录 / stored data failed its integrity check; the event is logged"
    if not is_api(request.url.path):
        return _page_error(request, 500, "integrity", detail)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "integrity", detail)


def handle_keyring_failure(request: Request[Any, Any, Any], exc: KeyringError) -> Response[Any]:
    """The keys are unavailable (no primary key, unreadable keyring): 500, logged; nothing is answered."""
    log.error("keyring_unavailable", path=request.url.path, reason=str(exc))
    detail = "密钥不可用，已记录 / the encryption keys are unavailable; the event is logged"
    if not is_api(request.url.path):
        return _page_error(request, 500, "keyring", detail)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "keyring", detail)


def _is_unique_violation(exc: BaseException) -> bool:
    name = type(exc).__name__
    return name == "UniqueViolationError" or (name == "IntegrityError" and "UNIQUE" in str(exc).upper())


EXCEPTION_HANDLERS: dict[Any, Any] = {
    RecursionError: handle_too_deep,
    DecryptionError: handle_decryption_failure,
    KeyringError: handle_keyring_failure,
    sqlite3.IntegrityError: handle_integrity,
    asyncpg.exceptions.UniqueViolationError: handle_integrity,
    DomainError: handle_domain_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
