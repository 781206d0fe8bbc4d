"""Pages over HTTP with a browser session: search before create, headers, field errors."""

from __future__ import annotations

from datetime import date

import httpx

from helpers import OTHER_PROCURATORATE, auth, make_user, resident_id, session

CASE = {
    "case_type": "juvenile_suspect",
    "title": "张某某盗窃案",
    "offense_date": "2021-03-02",
    "received_on": "2021-03-10",
    "charges": [{"name": "盗窃罪", "article": "264"}],
}


async def test_search_before_create_on_the_person_form(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    api = await auth(client, "pro1")
    first = (await client.post("/api/cases", json=CASE, headers=api)).json()
    second = (await client.post("/api/cases", json=CASE, headers=api)).json()
    number = resident_id(date(2005, 1, 2))
    person = {"role": "suspect", "name": "王五", "gender": "male", "id_number": number}
    assert (await client.post(f"/api/cases/{first['id']}/persons", json=person, headers=api)).status_code == 201
    headers, csrf = await session(client, "pro1")
    r = await client.post(
        f"/cases/{second['id']}/persons/new",
        data={"action": "lookup", "id_number": number, "_csrf_token": csrf},
        headers=headers,
    )
    assert r.status_code == 200
    assert first["case_number"] in r.text and "王某某" in r.text and "王五" not in r.text
    assert (await client.get(f"/api/cases/{second['id']}/persons", headers=api)).json()["items"] == []
    none = await client.post(
        f"/cases/{second['id']}/persons/new",
        data={"action": "lookup", "id_number": resident_id(date(2005, 1, 3)), "_csrf_token": csrf},
        headers=headers,
    )
    assert "没有该公民身份号码的记录" in none.text
    bad = await client.post(
        f"/cases/{second['id']}/persons/new",
        data={"action": "lookup", "id_number": "123", "_csrf_token": csrf},
        headers=headers,
    )
    assert bad.status_code == 422 and 'id="error-id_number"' in bad.text


async def test_other_units_lookup_finds_nothing(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    await make_user("pro_qf", "prosecutor", OTHER_PROCURATORATE)
    api = await auth(client, "pro1")
    case = (await client.post("/api/cases", json=CASE, headers=api)).json()
    number = resident_id(date(2005, 1, 2))
    person = {"role": "suspect", "name": "王五", "gender": "male", "id_number": number}
    await client.post(f"/api/cases/{case['id']}/persons", json=person, headers=api)
    other = await auth(client, "pro_qf")
    own = (await client.post("/api/cases", json=CASE, headers=other)).json()
    headers, csrf = await session(client, "pro_qf")
    r = await client.post(
        f"/cases/{own['id']}/persons/new",
        data={"action": "lookup", "id_number": number, "_csrf_token": csrf},
        headers=headers,
    )
    assert "没有该公民身份号码的记录" in r.text and case["case_number"] not in r.text


async def test_pages_are_not_cached_and_carry_security_headers(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    headers, _ = await session(client, "pro1")
    for path in ("/cases", "/login", "/api/me"):
        r = await client.get(path, headers=headers if path != "/api/me" else await auth(client, "pro1"))
        assert "no-store" in r.headers["cache-control"], path
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


async def test_new_case_form_reports_every_missing_field(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    headers, csrf = await session(client, "pro1")
    r = await client.post("/cases/new", data={"case_type": "juvenile_suspect", "_csrf_token": csrf}, headers=headers)
    assert r.status_code == 422
    for field in ("title", "offense_date", "charges"):
        assert f'id="error-{field}"' in r.text, field


async def test_decision_form_records_a_decision_and_reports_errors(client: httpx.AsyncClient) -> None:
    await make_user("pro1", "prosecutor")
    api = await auth(client, "pro1")
    case = (await client.post("/api/cases", json=CASE, headers=api)).json()
    person = {"role": "suspect", "name": "王五", "gender": "male", "id_number": resident_id(date(2005, 1, 2))}
    pid = (await client.post(f"/api/cases/{case['id']}/persons", json=person, headers=api)).json()["id"]
    headers, csrf = await session(client, "pro1")
    form = await client.get(f"/cases/{case['id']}/decisions/new", headers=headers)
    assert form.status_code == 200 and "王五" in form.text and "conditional_non_prosecution" not in form.text
    base = {
        "person_id": str(pid),
        "kind": "judgment",
        "decision_date": "2021-09-01",
        "_csrf_token": csrf,
        "document_number": "(2021)鲁0811刑初1号",
        "sentence_kind": "fixed_term",
        "sentence_months": "3",
    }
    bad = await client.post(f"/cases/{case['id']}/decisions/new", data=base, headers=headers)
    assert bad.status_code == 422 and 'id="error-sentence_months"' in bad.text and 'value="3"' in bad.text
    ok = await client.post(f"/cases/{case['id']}/decisions/new", data={**base, "sentence_months": "8"}, headers=headers)
    assert ok.status_code == 303
    decisions = (await client.get(f"/api/cases/{case['id']}/decisions", headers=api)).json()["items"]
    assert [(d["kind"], d["sentence_months"]) for d in decisions] == [("judgment", 8)]
    dup = await client.post(
        f"/cases/{case['id']}/decisions/new", data={**base, "sentence_months": "8"}, headers=headers
    )
    assert dup.status_code == 422 and 'id="error-kind"' in dup.text
