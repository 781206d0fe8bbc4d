"""Regression tests from the adversarial review: no input gives a 5xx, races give 409, free text carries
no ID numbers, every answer carries the security headers."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
import pytest

from helpers import PASSWORD, auth, make_user, resident_id

CASE = {
    "case_type": "juvenile_suspect",
    "title": "张某某盗窃案",
    "offense_date": "2021-03-02",
    "received_on": "2021-03-10",
    "charges": [{"name": "盗窃罪", "article": "264"}],
}


async def test_deeply_nested_json_is_400(client: httpx.AsyncClient) -> None:
    body = "[" * 1000 + "]" * 1000
    r = await client.post("/api/auth/token", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    await make_user("pro1", "prosecutor")
    r = await client.post(
        "/api/cases", content=body, headers={**await auth(client, "pro1"), "content-type": "application/json"}
    )
    assert r.status_code == 400


@pytest.mark.parametrize("path", ["/cases", "/cases/new", "/cases/1", "/cases/1/steps/new", "/api/cases"])
async def test_options_is_never_a_server_error(client: httpx.AsyncClient, path: str) -> None:
    r = await client.options(path)
    assert r.status_code < 500


@pytest.mark.parametrize("path", ["/static/%00", "/static/app.css%00.txt", "/cases/%00"])
async def test_nul_in_path_is_refused(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code in (400, 404) and r.headers["cache-control"] == "no-store"


async def test_error_answers_carry_security_headers(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    for r in (
        await client.get("/api/cases/999999", headers=h),
        await client.get("/api/cases"),
        await client.get("/cases/1", headers={"Cookie": "jj_session=nope"}),
        await client.post("/api/cases", json={}, headers=h),
    ):
        assert r.headers["cache-control"] == "no-store", r.status_code
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "张三盗窃案（370811200501021217）"),
        ("title", "FULLWIDTH"),
        ("title", "嫌疑人 370811 2005-0102 1217 盗窃案"),
        ("title", "嫌疑人370811\n200501021217盗窃案"),
        ("title", "编号ID370811200501021217abc"),
        ("title", "编号0370811200501021217"),
        ("title", "ARABIC"),
        ("title", "CHINESE"),
        ("title", "\u200b"),
        ("title", "张某某\u202e案窃盗"),
    ],
)
async def test_case_free_text_refuses_id_numbers_and_invisible_characters(
    client: httpx.AsyncClient, field: str, value: str
) -> None:
    await make_user("pro1", "prosecutor")
    number = resident_id(date(2005, 1, 2))
    fullwidth = "".join(chr(ord(ch) + 0xFEE0) for ch in number)  # ３７０８… as an input method may type it
    value = value.replace("FULLWIDTH", f"嫌疑人{fullwidth}盗窃案").replace("370811200501021217", number)
    value = value.replace("370811 2005-0102 1217", f"{number[:6]} {number[6:10]}-{number[10:14]} {number[14:]}")
    value = value.replace("370811\n200501021217", f"{number[:6]}\n{number[6:]}")
    value = value.replace("ARABIC", "".join(chr(0x660 + int(d)) if d.isdigit() else d for d in number))
    value = value.replace("CHINESE", number.translate(str.maketrans("0123456789", "〇一二三四五六七八九")))
    r = await client.post("/api/cases", json={**CASE, field: value}, headers=await auth(client, "pro1"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == field
    assert number not in r.text


async def test_step_summary_and_search_refuse_id_numbers(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case = (await client.post("/api/cases", json=CASE, headers=h)).json()
    number = resident_id(date(2005, 1, 2))
    step = {"kind": "讯问", "occurred_on": "2021-03-11", "summary": f"讯问犯罪嫌疑人（{number}）"}
    r = await client.post(f"/api/cases/{case['id']}/steps", json=step, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "summary"
    # an 18-digit number that is not a valid ID (wrong check digit) is ordinary text
    ok = {**step, "summary": f"卷宗编号 {number[:17]}{'0' if number[17] != '0' else '1'}"}
    assert (await client.post(f"/api/cases/{case['id']}/steps", json=ok, headers=h)).status_code == 201
    assert (await client.get("/api/cases", params={"q": number}, headers=h)).status_code == 422


async def test_person_name_refuses_invisible_characters(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case = (await client.post("/api/cases", json=CASE, headers=h)).json()
    person = {"role": "suspect", "name": "王\u200b五", "gender": "male", "id_number": resident_id(date(2005, 1, 2))}
    r = await client.post(f"/api/cases/{case['id']}/persons", json=person, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "name"


async def test_failures_after_a_success_still_count(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")

    async def attempt(password: str) -> int:
        r = await client.post("/api/auth/token", json={"username": "pro1", "password": password})
        return r.status_code

    for _ in range(4):
        assert await attempt("wrong-password") == 401
    from juvenile_justice.domain.accounts import repository as repo
    from juvenile_justice.domain.accounts.service import now_utc

    # a failure recorded after the successful attempt began must survive its clean-up
    success_id = await repo.insert_attempt("pro1", now_utc())
    later = await repo.insert_attempt("pro1", now_utc())
    await repo.clear_attempts("pro1", success_id)
    remaining = await repo.count_attempts_before("pro1", now_utc().replace(year=2000), later + 1)
    assert remaining == 1


async def test_concurrent_duplicates_give_one_201_and_409s(live_server: str) -> None:
    await make_user("pro1", "prosecutor")
    await make_user("pro2", "prosecutor")
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as c:
        t = (await c.post("/api/auth/token", json={"username": "pro1", "password": PASSWORD})).json()
        h = {"Authorization": f"Bearer {t['access_token']}"}
        case = (await c.post("/api/cases", json=CASE, headers=h)).json()
        url = f"/api/cases/{case['id']}"
        person = {"role": "suspect", "name": "王五", "gender": "male", "id_number": resident_id(date(2005, 1, 2))}
        for path, body in (
            ("/assignments", {"username": "pro2"}),
            ("/persons", person),
        ):
            results = await asyncio.gather(*[c.post(url + path, json=body, headers=h) for _ in range(12)])
            codes = sorted(r.status_code for r in results)
            assert codes == [201] + [409] * 11, (path, codes)
        pid = (await c.get(url + "/persons", headers=h)).json()["items"][0]["id"]
        decision = {
            "person_id": pid,
            "kind": "prosecuted",
            "decision_date": "2021-06-01",
            "document_number": "任检未刑诉〔2021〕1号",
        }
        results = await asyncio.gather(*[c.post(url + "/decisions", json=decision, headers=h) for _ in range(12)])
        assert sorted(r.status_code for r in results) == [201] + [409] * 11


async def test_free_text_refuses_full_names_of_the_case_persons(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case = (await client.post("/api/cases", json=CASE, headers=h)).json()
    person = {
        "role": "suspect",
        "name": "欧阳娜娜",
        "gender": "female",
        "id_number": resident_id(date(2005, 1, 2), male=False),
    }
    assert (await client.post(f"/api/cases/{case['id']}/persons", json=person, headers=h)).status_code == 201
    step = {"kind": "讯问", "occurred_on": "2021-03-11", "summary": "讯问欧阳娜娜，法定代理人到场。"}
    r = await client.post(f"/api/cases/{case['id']}/steps", json=step, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "summary" and "欧阳娜娜" not in r.text
    for disguised in (
        "讯问欧阳 娜娜。",
        "讯问欧阳-娜娜。",
        "讯问ＯＵ欧阳·娜娜。",
        "讯问欧阳\n娜娜。",
        "讯问欧\u034f阳娜\ufe0f娜。",
    ):
        r = await client.post(f"/api/cases/{case['id']}/steps", json={**step, "summary": disguised}, headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "summary", disguised
    masked = {**step, "summary": "讯问欧阳某某，法定代理人到场。"}
    assert (await client.post(f"/api/cases/{case['id']}/steps", json=masked, headers=h)).status_code == 201
    r = await client.patch(f"/api/cases/{case['id']}", json={"version": 1, "title": "欧阳娜娜盗窃案"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "title"
    # the document numbers of decisions and of the SPP approval are free text shown with the case too
    pid = (await client.get(f"/api/cases/{case['id']}/persons", headers=h)).json()["items"][0]["id"]
    decision = {
        "person_id": pid,
        "kind": "arrest_approved",
        "decision_date": "2021-04-01",
        "document_number": "欧阳娜娜号",
    }
    r = await client.post(f"/api/cases/{case['id']}/decisions", json=decision, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "document_number", r.text
    other = {**person, "role": "witness", "name": "李小四", "id_number": resident_id(date(1980, 1, 2), male=False)}
    for spp in ("欧阳娜娜", resident_id(date(1980, 1, 3)), "高检诉核 李小四"):
        r = await client.post(
            f"/api/cases/{case['id']}/persons", json={**other, "spp_approval_document": spp}, headers=h
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "spp_approval_document", (spp, r.text)


async def test_import_refuses_full_names_in_title_and_steps() -> None:
    import json

    from juvenile_justice.domain.accounts import service as accounts
    from juvenile_justice.domain.cases.importing import import_objects, read_jsonl

    await accounts.ensure_unit("济宁市任城区人民检察院")
    base = {
        "external_id": "n-1",
        "unit": "济宁市任城区人民检察院",
        "case_type": "juvenile_suspect",
        "title": "王某某盗窃案",
        "offense_date": "2021-02-14",
        "received_on": "2021-03-01",
        "charges": [{"name": "盗窃罪", "article": "264"}],
        "persons": [{"role": "suspect", "name": "王五", "gender": "male", "id_number": resident_id(date(2005, 1, 2))}],
        "steps": [{"kind": "受理", "occurred_on": "2021-03-01", "summary": "受理王五盗窃案。"}],
    }
    titled = {**base, "external_id": "n-2", "title": "王五盗窃案", "steps": []}
    report = await import_objects(read_jsonl([json.dumps(base), json.dumps(titled)]))
    assert report.created == 0
    assert [(e.line, e.field) for e in report.errors] == [(1, "steps.0.summary"), (2, "title")]
