"""HTTP API of the accounts area: tokens, the current user, units."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody

from juvenile_justice.domain.accounts import schemas as s
from juvenile_justice.domain.accounts import service
from juvenile_justice.lib.http import principal, problem_responses


class AuthController(Controller):
    """``/api/auth``: bearer tokens."""

    path = "/api/auth"
    tags = ["auth"]

    @post(
        "/token",
        operation_id="CreateToken",
        status_code=200,
        security=[{}],
        responses=problem_responses(400, 401, 422, 429),
    )
    async def create_token(self, data: JSONBody[s.TokenRequest]) -> s.TokenOut:
        """Exchange a user name and password for a bearer token (401 bad credentials, 429 throttled)."""
        issued = await service.log_in(data.username, data.password, "bearer")
        return s.TokenOut(
            access_token=issued.token,
            token_type="bearer",  # noqa: S106 - the token type, not a password
            expires_in=issued.expires_in,
            role=issued.principal.role,
        )

    @post("/logout", operation_id="RevokeToken", status_code=204, responses=problem_responses(401))
    async def revoke_token(self, request: Request[Any, Any, Any]) -> None:
        """Revoke the bearer token used for this call."""
        await service.log_out(str(request.auth))


class MeController(Controller):
    """``/api/me`` and ``/api/units``."""

    path = "/api"
    tags = ["accounts"]

    @get("/me", operation_id="GetMe", responses=problem_responses(401))
    async def me(self, request: Request[Any, Any, Any]) -> s.MeOut:
        """The authenticated user, role, unit and capabilities."""
        p = principal(request)
        return s.MeOut(
            username=p.username,
            role=p.role,
            unit=p.unit_name,
            unit_kind=p.unit_kind,
            capabilities=sorted(p.capabilities),
        )

    @get("/units", operation_id="ListUnits", responses=problem_responses(401))
    async def units(self) -> s.UnitList:
        """Every unit (names, kinds and the tree are public facts)."""
        return s.UnitList(
            items=[
                s.UnitOut(
                    id=u.id,
                    name=u.name,
                    kind=u.kind,
                    parent_id=u.parent_id,
                    province_code=u.province_code,
                    doc_prefix=u.doc_prefix,
                )
                for u in await service.units()
            ]
        )
