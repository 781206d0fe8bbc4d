"""The Litestar application: routes, authentication, CSRF, templates, OpenAPI, error handling."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from litestar import Litestar, MediaType, get
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from juvenile_justice import __version__, db, protection
from juvenile_justice.domain.accounts.controllers import AuthController, MeController
from juvenile_justice.domain.accounts.middleware import TokenAuthenticationMiddleware
from juvenile_justice.domain.accounts.pages import AccountPages
from juvenile_justice.domain.audit import checkpoints
from juvenile_justice.domain.audit import service as audit
from juvenile_justice.domain.audit.controllers import AuditController
from juvenile_justice.domain.audit.pages import AuditPages
from juvenile_justice.domain.cases.controllers import CaseController, PersonController
from juvenile_justice.domain.cases.pages import CasePages
from juvenile_justice.domain.documents import service as documents
from juvenile_justice.domain.documents.controllers import (
    AuditReportController,
    CaseDocumentController,
    DocumentController,
    VerifyController,
)
from juvenile_justice.domain.documents.pages import AuditReportPages, DocumentPages, VerifyPages
from juvenile_justice.domain.keys.service import check_keyring_matches_database
from juvenile_justice.domain.sealing.controllers import SealedRecordController, SealingController
from juvenile_justice.domain.sealing.pages import SealingPages
from juvenile_justice.lib import request_context
from juvenile_justice.lib.asgi import RefuseNulPathMiddleware, add_security_headers
from juvenile_justice.lib.clock import china_time
from juvenile_justice.lib.http import EXCEPTION_HANDLERS, PUBLIC_PATHS, REFUSAL_HOOKS
from juvenile_justice.lib.logging import configure_logging
from juvenile_justice.lib.request_context import RequestContextMiddleware
from juvenile_justice.paths import STATIC_DIR, TEMPLATES_DIR
from juvenile_justice.settings import get_settings

log = structlog.get_logger("juvenile_justice.app")

MAX_BODY_BYTES = 1024 * 1024
"""Request bodies above 1 MiB are refused with 413."""


@get("/health", include_in_schema=False, media_type=MediaType.JSON)
async def health() -> dict[str, str]:
    """Liveness: the process answers and the database is reachable."""
    await db.fetch("SELECT 1 AS ok")
    return {"status": "ok"}


@asynccontextmanager
async def lifespan(_: Litestar) -> AsyncIterator[None]:
    """Load the keys (self-test; a development keyring is made if none), open the database pool, and
    issue access-log checkpoints and retry failed document renders in the background while serving."""
    protection.field_crypto()
    await db.start()
    tasks: list[asyncio.Task[None]] = []
    try:
        await check_keyring_matches_database()
        if await db.log_role_can_alter_log():
            log.warning("access_log_alterable_by_service_role", advice="set JJ_APP_DB_ROLE; see docs/operations.md")
        tasks = [
            asyncio.create_task(checkpoints.run_forever()),
            asyncio.create_task(documents.render_pending_forever()),
        ]
        yield
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        documents.RENDERER.close()
        await db.stop()


def _is_verification(request: Any) -> bool:
    """The public verification routes, the only ones rate limited per client (JJ_VERIFY_PER_MINUTE)."""
    return str(request.url.path).startswith(("/verify", "/api/verify/"))


def _client(request: Any) -> str:
    """The client a rate limit counts: the address the access log records (trusted proxies resolved)."""
    return request_context.client_address.get() or (request.client.host if request.client else "unknown")


def _template_filters(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters["cst"] = china_time


def create_app() -> Litestar:
    """Build the application from the current settings."""
    settings = get_settings()
    configure_logging()
    if audit.refusal not in REFUSAL_HOOKS:
        REFUSAL_HOOKS.append(audit.refusal)
    openapi = OpenAPIConfig(
        title="juvenile-justice",
        version=__version__,
        description=(
            "Case tracker for juvenile judicial protection (未成年人司法保护). Every call but POST /api/auth/token "
            "and GET /api/verify/{code} takes `Authorization: Bearer <access_token>` from POST /api/auth/token; "
            "errors are RFC 9457 problem details naming the field."
        ),
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", description="POST /api/auth/token"),
            }
        ),
        security=[{"BearerToken": []}],
        path="/schema",
        use_handler_docstrings=True,
    )
    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name="jj_csrf",
        cookie_secure=settings.cookie_secure,
        cookie_httponly=True,
        exclude=["/api/", "/schema"],
    )
    rate_limit = RateLimitConfig(
        rate_limit=("minute", settings.verify_per_minute),
        check_throttle_handler=_is_verification,
        identifier_for_request=_client,
    )
    templates = TemplateConfig(directory=TEMPLATES_DIR, engine=JinjaTemplateEngine, engine_callback=_template_filters)
    handlers: list[Any] = [
        health,
        AuthController,
        MeController,
        CaseController,
        PersonController,
        AuditController,
        CaseDocumentController,
        DocumentController,
        VerifyController,
        AuditReportController,
        SealingController,
        SealedRecordController,
        AccountPages,
        CasePages,
        AuditPages,
        DocumentPages,
        AuditReportPages,
        VerifyPages,
        SealingPages,
        create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False),
    ]
    return Litestar(
        route_handlers=handlers,
        lifespan=[lifespan],
        before_send=[add_security_headers],
        middleware=[
            RequestContextMiddleware,
            RefuseNulPathMiddleware,
            rate_limit.middleware,
            DefineMiddleware(TokenAuthenticationMiddleware, exclude=PUBLIC_PATHS),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi,
        csrf_config=csrf,
        template_config=templates,
        request_max_body_size=MAX_BODY_BYTES,
        debug=False,
    )


app = create_app()
