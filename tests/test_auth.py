"""Authentication: tokens, throttling of failed log-ins, sessions (API.md "Authentication")."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from helpers import PASSWORD, PROSECUTORATE, make_user
from juvenile_justice import db
from juvenile_justice.domain.accounts import service as accounts


async def token(client: httpx.AsyncClient, username: str, password: str, **headers: str) -> httpx.Response:
    return await client.post("/api/auth/token", json={"username": username, "password": password}, headers=headers)


async def test_token_and_me(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    r = await token(client, "PRO1 ", PASSWORD)
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["role"] == "prosecutor" and body["expires_in"] == 28800
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {
        "username": "pro1",
        "role": "prosecutor",
        "unit": "济宁市任城区人民检察院",
        "unit_kind": "procuratorate",
        "capabilities": [],
    }
    # the token itself is never stored: only its digest
    rows = await db.fetch("SELECT token_digest FROM auth_token")
    assert body["access_token"] not in str(rows)


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nonsense", "Basic cHJvMTpwdw==", "bearer " + "x" * 500])
async def test_missing_or_bad_token_is_401(client: httpx.AsyncClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    r = await client.get("/api/cases", headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 401


async def test_wrong_password_and_unknown_user_look_alike(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    wrong = await token(client, "pro1", "not-the-password")
    unknown = await token(client, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_five_failures_then_429_even_with_right_password(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    for _ in range(5):
        assert (await token(client, "pro1", "wrong-password")).status_code == 401
    r = await token(client, "pro1", PASSWORD)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    # not bypassable with client-supplied headers, nor with a different spelling of the name
    assert (await token(client, "pro1", PASSWORD, **{"X-Forwarded-For": "10.9.8.7"})).status_code == 429
    assert (await token(client, " Pro1", PASSWORD, **{"X-Real-IP": "10.1.1.1"})).status_code == 429
    # other users are not affected
    await make_user("pro2", "prosecutor")
    assert (await token(client, "pro2", PASSWORD)).status_code == 200


async def test_counter_is_shared_by_every_worker(client: httpx.AsyncClient) -> None:
    """The count lives in the database: a second application instance (another worker) agrees."""
    from juvenile_justice.app import create_app

    await make_user("pro1", "prosecutor")
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()), base_url="http://worker2")
    async with other:
        for i in range(5):
            c = client if i % 2 else other
            assert (await token(c, "pro1", "wrong-password")).status_code == 401
        assert (await token(other, "pro1", PASSWORD)).status_code == 429
        assert (await token(client, "pro1", PASSWORD)).status_code == 429


async def test_concurrent_failures_cannot_exceed_the_limit(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    results = await asyncio.gather(*[token(client, "pro1", "wrong-password") for _ in range(12)])
    codes = sorted(r.status_code for r in results)
    assert codes.count(401) <= 5 and codes.count(429) >= 7


async def test_window_is_fifteen_minutes(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    for _ in range(5):
        await token(client, "pro1", "wrong-password")
    assert (await token(client, "pro1", PASSWORD)).status_code == 429
    past = accounts.now_utc() - timedelta(minutes=16)
    await db.fetch("UPDATE login_attempt SET attempted_at = {}", past)
    assert (await token(client, "pro1", PASSWORD)).status_code == 200


async def test_success_resets_the_count(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    for _ in range(4):
        await token(client, "pro1", "wrong-password")
    assert (await token(client, "pro1", PASSWORD)).status_code == 200
    for _ in range(4):
        await token(client, "pro1", "wrong-password")
    assert (await token(client, "pro1", PASSWORD)).status_code == 200


async def test_expired_and_revoked_tokens(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    t = (await token(client, "pro1", PASSWORD)).json()["access_token"]
    h = {"Authorization": f"Bearer {t}"}
    assert (await client.get("/api/me", headers=h)).status_code == 200
    await db.fetch("UPDATE auth_token SET expires_at = {}", accounts.now_utc() - timedelta(seconds=1))
    assert (await client.get("/api/me", headers=h)).status_code == 401
    t2 = (await token(client, "pro1", PASSWORD)).json()["access_token"]
    h2 = {"Authorization": f"Bearer {t2}"}
    assert (await client.post("/api/auth/logout", headers=h2)).status_code == 204
    assert (await client.get("/api/me", headers=h2)).status_code == 401


async def test_session_cookie_does_not_open_the_api(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    issued = await accounts.log_in("pro1", PASSWORD, "session")
    r = await client.get("/api/me", headers={"Cookie": f"jj_session={issued.token}"})
    assert r.status_code == 401
    page = await client.get("/cases", headers={"Cookie": f"jj_session={issued.token}"})
    assert page.status_code == 200 and "案件列表" in page.text


async def test_bearer_token_does_not_open_pages(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    t = (await token(client, "pro1", PASSWORD)).json()["access_token"]
    r = await client.get("/cases", headers={"Authorization": f"Bearer {t}", "Cookie": f"jj_session={t}"})
    assert r.status_code in (302, 303, 307) and r.headers["location"] == "/login?next=%2Fcases"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/cases/7", "/cases/7"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/login", "/"),
        (None, "/"),
    ],
)
def test_next_after_login_stays_on_this_site(target: str | None, expected: str) -> None:
    from juvenile_justice.domain.accounts.pages import safe_next

    assert safe_next(target) == expected


async def test_login_form_needs_csrf_and_sets_session(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    no_csrf = await client.post("/login", data={"username": "pro1", "password": PASSWORD})
    assert no_csrf.status_code == 403
    form = await client.get("/login")
    csrf = form.text.split('name="_csrf_token" value="')[1].split('"')[0]
    r = await client.post("/login", data={"username": "pro1", "password": PASSWORD, "_csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "jj_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    bad = await client.post("/login", data={"username": "pro1", "password": "nope", "_csrf_token": csrf})
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text


async def test_users_and_units_validation() -> None:
    from juvenile_justice.lib.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="password"):
        await accounts.add_user("pro9", role="prosecutor", unit="济宁市任城区人民检察院", password="short")
    with pytest.raises(ValidationFailed, match="role"):
        await accounts.add_user("pro9", role="boss", unit="济宁市任城区人民检察院", password=PASSWORD)
    with pytest.raises(ValidationFailed, match="unit"):
        await accounts.add_user("pro9", role="prosecutor", unit="某某公司", password=PASSWORD)
    with pytest.raises(ValidationFailed, match="capability"):
        await accounts.add_user(
            "judge9",
            role="judge",
            unit="济宁市任城区人民法院",
            password=PASSWORD,
            capabilities=frozenset({"chief"}),
        )
    await make_user("pro9", "prosecutor")
    with pytest.raises(ValidationFailed, match="taken"):
        await make_user("PRO9", "prosecutor")
    court = await accounts.ensure_unit("济宁市任城区人民法院")
    assert court.kind == "court"
    await accounts.ensure_unit("济宁市中级人民法院")
    unit = await accounts.set_unit("济宁市任城区人民法院", parent="济宁市中级人民法院", province_code="370000")
    assert unit.parent_id is not None and unit.province_code == "370000"
    with pytest.raises(ValidationFailed, match="below itself"):
        await accounts.set_unit("济宁市中级人民法院", parent="济宁市任城区人民法院")
    with pytest.raises(ValidationFailed, match="province"):
        await accounts.set_unit("济宁市中级人民法院", province_code="37")


async def test_roles_fit_their_unit_and_prefixes_are_unique() -> None:
    from juvenile_justice.lib.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="procuratorate"):
        await accounts.add_user("pro9", role="prosecutor", unit="济宁市任城区人民法院", password=PASSWORD)
    with pytest.raises(ValidationFailed, match="court"):
        await accounts.add_user("judge9", role="judge", unit="济宁市任城区人民检察院", password=PASSWORD)
    assert await accounts_repo_unit("济宁市任城区人民法院") is None  # nothing half-written
    await accounts.add_user("aud9", role="auditor", unit="济宁市人民检察院", password=PASSWORD)
    await accounts.ensure_unit("济宁市任城区人民检察院")
    await accounts.ensure_unit("曲阜市人民检察院")
    await accounts.ensure_unit("济宁市中级人民法院")
    await accounts.set_unit("济宁市任城区人民检察院", doc_prefix="任检未")
    with pytest.raises(ValidationFailed, match="prefix"):
        await accounts.set_unit("曲阜市人民检察院", doc_prefix="任检未")
    with pytest.raises(ValidationFailed, match="court"):
        await accounts.set_unit("曲阜市人民检察院", parent="济宁市中级人民法院")


async def accounts_repo_unit(name: str) -> object:
    from juvenile_justice.domain.accounts import repository

    return await repository.unit_by_name(name)


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("prosecutor", "/cases"),
        ("aid_officer", "/cases"),
        ("judge", "/sealed-status"),
        ("auditor", "/audit"),
        ("admin", "/account"),
    ],
)
async def test_home_page_fits_the_role(client: httpx.AsyncClient, role: str, home: str) -> None:
    await make_user("u1", role)
    issued = await accounts.log_in("u1", PASSWORD, "session")
    cookie = {"Cookie": f"jj_session={issued.token}"}
    r = await client.get("/", headers=cookie)
    assert r.status_code in (302, 303) and r.headers["location"] == home
    account = await client.get("/account", headers=cookie)
    assert account.status_code == 200 and "u1" in account.text


@pytest.mark.parametrize("name", ["13800138000", "138-0013-8000", "u.175.2333.8808"])
async def test_a_user_name_is_never_a_phone_number(name: str) -> None:
    """User names are logged in clear: a mobile number (also split by separators) is refused."""
    from juvenile_justice.lib.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="phone"):
        await accounts.add_user(name, role="prosecutor", unit=PROSECUTORATE, password=PASSWORD)
