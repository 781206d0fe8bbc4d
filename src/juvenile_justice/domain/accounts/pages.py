"""Browser pages of the accounts area: log-in and log-out (session cookie, CSRF-protected form)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.params import QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from juvenile_justice.domain.accounts import service
from juvenile_justice.lib.errors import NotAuthenticated, TooManyAttempts
from juvenile_justice.lib.http import SESSION_COOKIE, principal
from juvenile_justice.settings import get_settings

Form = URLEncodedBody[dict[str, str]]


CASE_ROLES = frozenset({"prosecutor", "aid_officer"})
ROLE_LABELS = {
    "prosecutor": "未检检察官",
    "judge": "少年法庭法官",
    "aid_officer": "司法救助承办人",
    "auditor": "审计员",
    "admin": "系统管理员",
}


def safe_next(value: str | None) -> str:
    """A local path to return to after log-in (never another site: no ``//`` or scheme); else ``/``."""
    if not value or len(value) >= 500 or not value.startswith("/") or value.startswith(("//", "/login")):
        return "/"
    return value if all(ch.isprintable() and ch != "\\" for ch in value) else "/"


class AccountPages(Controller):
    """``/login``, ``/logout`` and ``/``."""

    include_in_schema = False

    @get("/")
    async def home(self, request: Request[Any, Any, Any]) -> Redirect:
        """Home: the case list for roles that read cases, the access log for auditors, the sealed-status check
        for judges, else the account page."""
        role = principal(request).role
        if role == "judge":
            return Redirect(path="/sealed-status")
        return Redirect(path="/cases" if role in CASE_ROLES else "/audit" if role == "auditor" else "/account")

    @get("/account")
    async def account(self, request: Request[Any, Any, Any]) -> Template:
        """The signed-in user's account: role, unit, capabilities and what the role can do here."""
        return Template(template_name="pages/account.html", context={"user": principal(request), "roles": ROLE_LABELS})

    @get("/login")
    async def login_form(self, next_path: Annotated[str | None, QueryParameter(name="next")] = None) -> Template:
        """The log-in form; ``next`` is the page to return to."""
        return Template(
            template_name="pages/login.html",
            context={"error": None, "username": "", "next": safe_next(next_path)},
        )

    @post("/login", status_code=200)
    async def login(self, request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
        """Check the credentials (same throttling as the API) and start a browser session."""
        username = str(data.get("username", ""))[:200]
        target = safe_next(data.get("next"))
        try:
            issued = await service.log_in(username, str(data.get("password", ""))[:1000], "session")
        except TooManyAttempts:
            return Template(
                template_name="pages/login.html",
                status_code=429,
                context={"error": "登录失败次数过多，请15分钟后再试。", "username": username, "next": target},
            )
        except NotAuthenticated:
            return Template(
                template_name="pages/login.html",
                status_code=401,
                context={"error": "用户名或密码错误。", "username": username, "next": target},
            )
        settings = get_settings()
        return Redirect(
            path=target,
            status_code=303,
            cookies=[
                Cookie(
                    key=SESSION_COOKIE,
                    value=issued.token,
                    max_age=settings.token_ttl_seconds,
                    httponly=True,
                    samesite="lax",
                    secure=settings.cookie_secure,
                    path="/",
                )
            ],
        )

    @post("/logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        """End the browser session."""
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await service.log_out(token)
        return Redirect(
            path="/login",
            status_code=303,
            cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")],
        )
