"""The Litestar application: routes, authentication, CSRF, templates, OpenAPI, error handling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, MediaType, get
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from juvenile_justice import __version__, db, protection
from juvenile_justice.domain.accounts.controllers import AuthController, MeController
from juvenile_justice.domain.accounts.middleware import TokenAuthenticationMiddleware
from juvenile_justice.domain.accounts.pages import AccountPages
from juvenile_justice.domain.cases.controllers import CaseController, PersonController
from juvenile_justice.domain.cases.pages import CasePages
from juvenile_justice.domain.keys.service import check_keyring_matches_database
from juvenile_justice.lib.asgi import RefuseNulPathMiddleware, add_security_headers
from juvenile_justice.lib.http import EXCEPTION_HANDLERS, PUBLIC_PATHS
from juvenile_justice.lib.logging import configure_logging
from juvenile_justice.paths import STATIC_DIR, TEMPLATES_DIR
from juvenile_justice.settings import get_settings

MAX_BODY_BYTES = 1024 * 1024
"""Request bodies above 1 MiB are refused with 413."""


@get("/health", include_in_schema=False, media_type=MediaType.JSON)
async def health() -> dict[str, str]:
    """Liveness: the process answers and the database is reachable."""
    await db.fetch("SELECT 1 AS ok")
    return {"status": "ok"}


@asynccontextmanager
async def lifespan(_: Litestar) -> AsyncIterator[None]:
    """Load the keys (self-test; a development keyring is made if none), open the database pool."""
    protection.field_crypto()
    await db.start()
    try:
        await check_keyring_matches_database()
        yield
    finally:
        await db.stop()


def create_app() -> Litestar:
    """Build the application from the current settings."""
    settings = get_settings()
    configure_logging()
    openapi = OpenAPIConfig(
        title="juvenile-justice",
        version=__version__,
        description="Case tracker for juvenile judicial protection (未成年人司法保护). Contract: API.md.",
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
    templates = TemplateConfig(directory=TEMPLATES_DIR, engine=JinjaTemplateEngine)
    handlers: list[Any] = [
        health,
        AuthController,
        MeController,
        CaseController,
        PersonController,
        AccountPages,
        CasePages,
        create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False),
    ]
    return Litestar(
        route_handlers=handlers,
        lifespan=[lifespan],
        before_send=[add_security_headers],
        middleware=[RefuseNulPathMiddleware, DefineMiddleware(TokenAuthenticationMiddleware, exclude=PUBLIC_PATHS)],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi,
        csrf_config=csrf,
        template_config=templates,
        request_max_body_size=MAX_BODY_BYTES,
        debug=False,
    )


app = create_app()
