"""Cases, persons, steps and decisions over HTTP (API.md "Cases, people, decisions")."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from helpers import COURT, OTHER_PROCURATORATE, auth, make_user, resident_id

CASE = {
    "case_type": "juvenile_suspect",
    "title": "张某某盗窃案",
    "offense_date": "2021-03-02",
    "received_on": "2021-03-10",
    "charges": [{"name": "盗窃罪", "article": "264"}],
}


@pytest.fixture
async def pro(client: httpx.AsyncClient) -> dict[str, str]:
    await make_user("pro1", "prosecutor")
    return await auth(client, "pro1")


async def new_case(client: httpx.AsyncClient, headers: dict[str, str], **over: object) -> dict:
    r = await client.post("/api/cases", json={**CASE, **over}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def person(birth: date, **over: object) -> dict:
    return {
        "role": "suspect",
        "name": "欧阳娜娜",
        "gender": "female",
        "id_number": resident_id(birth, male=False),
        **over,
    }


async def test_create_case_numbers_per_unit_and_year(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    a = await new_case(client, pro)
    b = await new_case(client, pro)
    c = await new_case(client, pro, received_on="2022-01-05", offense_date="2021-12-30")
    assert a["case_number"].endswith("〔2021〕1号") and b["case_number"].endswith("〔2021〕2号")
    assert c["case_number"].endswith("〔2022〕1号")
    assert a["version"] == 1 and a["case_prosecutor"] == "pro1"
    assert a["charges"] == [
        {"name": "盗窃罪", "article": "264", "chapter": 5, "chapter_title": a["charges"][0]["chapter_title"]}
    ]
    assert "侵犯财产罪" in a["charges"][0]["chapter_title"]


async def test_unit_must_be_own(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    r = await client.post("/api/cases", json={**CASE, "unit": OTHER_PROCURATORATE}, headers=pro)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "unit"


@pytest.mark.parametrize(
    ("charge", "field"),
    [
        ({"name": "盗窃罪", "article": "999"}, "charges.0"),
        ({"name": "抢劫罪", "article": "264"}, "charges.0"),
    ],
)
async def test_unknown_charge_is_refused(
    client: httpx.AsyncClient, pro: dict[str, str], charge: dict, field: str
) -> None:
    r = await client.post("/api/cases", json={**CASE, "charges": [charge]}, headers=pro)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("{not json", 400),
        ('{"case_type": "juvenile_suspect"}', 422),
        ('{"case_type": 5, "title": "x", "offense_date": "2021-01-01", "charges": []}', 422),
        ("[]", 422),
    ],
)
async def test_malformed_bodies(client: httpx.AsyncClient, pro: dict[str, str], body: str, status: int) -> None:
    r = await client.post("/api/cases", content=body, headers={**pro, "content-type": "application/json"})
    assert r.status_code == status, r.text
    problem = r.json()
    assert problem["status"] == status and problem["title"] and "detail" in problem


async def test_huge_strings_are_refused(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    r = await client.post("/api/cases", json={**CASE, "title": "某" * 100_000}, headers=pro)
    assert r.status_code in (413, 422)
    case = await new_case(client, pro)
    r = await client.post(
        f"/api/cases/{case['id']}/steps",
        json={"kind": "受理", "occurred_on": "2021-03-10", "summary": "x" * 100_000},
        headers=pro,
    )
    assert r.status_code in (413, 422)
    assert r.json()["status"] in (413, 422)


async def test_dates_are_checked(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    r = await client.post("/api/cases", json={**CASE, "received_on": "2021-01-01"}, headers=pro)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "received_on"
    r = await client.post("/api/cases", json={**CASE, "offense_date": "2999-01-01"}, headers=pro)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "offense_date"


async def test_other_units_cases_are_not_found(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    case = await new_case(client, pro)
    await make_user("pro_qf", "prosecutor", OTHER_PROCURATORATE)
    other = await auth(client, "pro_qf")
    assert (await client.get(f"/api/cases/{case['id']}", headers=other)).status_code == 404
    assert (await client.get(f"/api/cases/{case['id']}/persons", headers=other)).status_code == 404
    r = await client.post(
        f"/api/cases/{case['id']}/steps",
        json={"kind": "受理", "occurred_on": "2021-03-10", "summary": "受理"},
        headers=other,
    )
    assert r.status_code == 404
    assert (await client.get("/api/cases", headers=other)).json()["items"] == []
    assert (await client.get("/api/cases/999999", headers=pro)).status_code == 404


async def test_judge_cannot_read_cases(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    case = await new_case(client, pro)
    await make_user("judge1", "judge", COURT)
    judge = await auth(client, "judge1")
    assert (await client.get("/api/cases", headers=judge)).status_code == 403
    assert (await client.get(f"/api/cases/{case['id']}", headers=judge)).status_code == 403


async def test_list_pagination_and_filters(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    for i in range(7):
        await new_case(client, pro, title=f"王某某盗窃案{i}")
    await new_case(
        client,
        pro,
        title="李某某抢劫案",
        charges=[{"name": "抢劫罪", "article": "263"}],
        case_type="juvenile_victim",
    )
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/cases", params=params, headers=pro)).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 8 and seen == sorted(seen, reverse=True)
    robbery = (await client.get("/api/cases", params={"charge": "抢劫罪"}, headers=pro)).json()["items"]
    assert [c["title"] for c in robbery] == ["李某某抢劫案"]
    victims = (await client.get("/api/cases", params={"case_type": "juvenile_victim"}, headers=pro)).json()
    assert len(victims["items"]) == 1
    text = (await client.get("/api/cases", params={"q": "盗窃案3"}, headers=pro)).json()["items"]
    assert [c["title"] for c in text] == ["王某某盗窃案3"]
    percent = (await client.get("/api/cases", params={"q": "%"}, headers=pro)).json()["items"]
    assert percent == []
    for bad in ({"limit": 0}, {"limit": 501}, {"cursor": "nonsense!"}):
        r = await client.get("/api/cases", params=bad, headers=pro)
        assert r.status_code in (400, 422), bad


async def test_optimistic_locking(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    case = await new_case(client, pro)
    r = await client.patch(
        f"/api/cases/{case['id']}", json={"version": 1, "title": "张某某盗窃案（并案）"}, headers=pro
    )
    assert r.status_code == 200 and r.json()["version"] == 2
    stale = await client.patch(f"/api/cases/{case['id']}", json={"version": 1, "title": "x某某"}, headers=pro)
    assert stale.status_code == 409
    assert (await client.get(f"/api/cases/{case['id']}", headers=pro)).json()["title"] == "张某某盗窃案（并案）"


async def test_person_age_and_masking(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    case = await new_case(client, pro, offense_date="2021-05-10", received_on="2021-05-20")
    r = await client.post(f"/api/cases/{case['id']}/persons", json=person(date(2004, 5, 10)), headers=pro)
    assert r.status_code == 201, r.text
    body = r.json()
    # R-GEN-2: on the 17th... 18th birthday itself the person is still 16... 17
    assert body["age_at_offense"] == 16 and body["minor_at_offense"] is True
    assert body["display_name"] == "欧阳某某" and body["birth_date"] == "2004-05-10"
    adult = await client.post(
        f"/api/cases/{case['id']}/persons",
        json=person(date(2003, 5, 9), role="witness", name="李四"),
        headers=pro,
    )
    assert adult.json()["age_at_offense"] == 18 and adult.json()["minor_at_offense"] is False
    # a prosecutor of the unit who is not a case prosecutor sees masked data only
    await make_user("pro2", "prosecutor")
    other = await auth(client, "pro2")
    listed = (await client.get(f"/api/cases/{case['id']}/persons", headers=other)).json()["items"]
    assert all(p["name"] is None and p["id_number"] is None for p in listed)
    mine = (await client.get(f"/api/persons/{body['id']}", headers=pro)).json()
    assert mine["name"] == "欧阳娜娜" and mine["id_number"] == person(date(2004, 5, 10))["id_number"]


async def test_r_gen_2_turning_18_the_day_after(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    """DOB 2006-05-10: offence 2024-05-10 → 17 (juvenile); 2024-05-11 → 18 (adult)."""
    for offense, age in (("2024-05-10", 17), ("2024-05-11", 18)):
        case = await new_case(client, pro, offense_date=offense, received_on="2024-06-01")
        r = await client.post(f"/api/cases/{case['id']}/persons", json=person(date(2006, 5, 10)), headers=pro)
        assert r.json()["age_at_offense"] == age
        assert r.json()["minor_at_offense"] is (age < 18)


async def test_r_gen_1_age_12_13_needs_spp_approval(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    case = await new_case(client, pro, offense_date="2021-05-10", received_on="2021-05-20")
    thirteen = person(date(2008, 1, 1))
    r = await client.post(f"/api/cases/{case['id']}/persons", json=thirteen, headers=pro)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "spp_approval_document"
    ok = await client.post(
        f"/api/cases/{case['id']}/persons",
        json={**thirteen, "spp_approval_document": "高检核〔2021〕1号"},
        headers=pro,
    )
    assert ok.status_code == 201 and ok.json()["age_at_offense"] == 13
    eleven = await client.post(f"/api/cases/{case['id']}/persons", json=person(date(2010, 1, 1)), headers=pro)
    assert eleven.status_code == 422 and eleven.json()["errors"][0]["field"] == "id_number"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"id_number": "370811200401011235"}, "id_number"),  # wrong check digit
        ({"id_number": "37081120040101123"}, "id_number"),  # too short
        ({"id_number": resident_id(date(2004, 1, 1), region="990101", male=False)}, "id_number"),
        ({"gender": "male"}, "gender"),
        ({"phone": "call me maybe"}, "phone"),
        ({"role": "boss"}, "role"),
    ],
)
async def test_person_validation(client: httpx.AsyncClient, pro: dict[str, str], over: dict, field: str) -> None:
    case = await new_case(client, pro)
    r = await client.post(f"/api/cases/{case['id']}/persons", json=person(date(2004, 1, 1), **over), headers=pro)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field
    assert over.get("id_number", "@@") not in r.text  # the number itself is never echoed


async def test_lookup_by_id_number(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    case = await new_case(client, pro)
    p = person(date(2004, 1, 1))
    await client.post(f"/api/cases/{case['id']}/persons", json=p, headers=pro)
    r = await client.post("/api/persons/lookup", json={"id_number": p["id_number"].lower()}, headers=pro)
    assert r.status_code == 200
    hits = r.json()["items"]
    assert len(hits) == 1 and hits[0]["case_number"] == case["case_number"] and hits[0]["display_name"] == "欧阳某某"
    await make_user("pro_qf", "prosecutor", OTHER_PROCURATORATE)
    other = await auth(client, "pro_qf")
    assert (await client.post("/api/persons/lookup", json={"id_number": p["id_number"]}, headers=other)).json()[
        "items"
    ] == []
    bad = await client.post("/api/persons/lookup", json={"id_number": "123"}, headers=pro)
    assert bad.status_code == 422


async def test_steps_timeline(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    case = await new_case(client, pro)
    for day, kind in (("2021-04-01", "审查起诉"), ("2021-03-10", "受理")):
        r = await client.post(
            f"/api/cases/{case['id']}/steps",
            json={"kind": kind, "occurred_on": day, "summary": f"{kind}。"},
            headers=pro,
        )
        assert r.status_code == 201
    steps = (await client.get(f"/api/cases/{case['id']}/steps", headers=pro)).json()["items"]
    assert [s["kind"] for s in steps] == ["受理", "审查起诉"]
    early = await client.post(
        f"/api/cases/{case['id']}/steps",
        json={"kind": "受理", "occurred_on": "2020-01-01", "summary": "x"},
        headers=pro,
    )
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "occurred_on"


async def test_decisions(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    case = await new_case(client, pro)
    pid = (await client.post(f"/api/cases/{case['id']}/persons", json=person(date(2004, 1, 1)), headers=pro)).json()[
        "id"
    ]
    base = {"person_id": pid, "decision_date": "2021-06-01", "document_number": "任检未刑不诉〔2021〕1号"}
    r = await client.post(
        f"/api/cases/{case['id']}/decisions", json={**base, "kind": "non_prosecution_relative"}, headers=pro
    )
    assert r.status_code == 201, r.text
    sealing = r.json()["sealing"]  # the sealing area's evaluation (tests/test_sealing.py has the rules)
    assert sealing["eligible"] is True and sealing["task_id"] is not None and sealing["due_on"] == "2021-06-04"
    for kind in ("conditional_non_prosecution", "non_prosecution_after_probation"):
        r = await client.post(f"/api/cases/{case['id']}/decisions", json={**base, "kind": kind}, headers=pro)
        assert r.status_code == 409
    judgment = {**base, "kind": "judgment", "document_number": "(2021)鲁0811刑初1号"}
    assert (await client.post(f"/api/cases/{case['id']}/decisions", json=judgment, headers=pro)).status_code == 422
    r = await client.post(
        f"/api/cases/{case['id']}/decisions",
        json={**judgment, "sentence_kind": "fixed_term", "sentence_months": 3},
        headers=pro,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "sentence_months"
    r = await client.post(
        f"/api/cases/{case['id']}/decisions",
        json={**judgment, "sentence_kind": "fixed_term", "sentence_months": 8},
        headers=pro,
    )
    assert r.status_code == 201
    r = await client.post(
        f"/api/cases/{case['id']}/decisions",
        json={**base, "kind": "prosecuted", "person_id": 99999},
        headers=pro,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "person_id"
    r = await client.post(
        f"/api/cases/{case['id']}/decisions",
        json={**base, "kind": "prosecuted", "sentence_months": 1.5},
        headers=pro,
    )
    assert r.status_code == 422
    listed = (await client.get(f"/api/cases/{case['id']}/decisions", headers=pro)).json()["items"]
    assert [d["kind"] for d in listed] == ["non_prosecution_relative", "judgment"]


async def test_assignment_gives_write_access(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    case = await new_case(client, pro)
    await make_user("pro2", "prosecutor")
    pro2 = await auth(client, "pro2")
    step = {"kind": "讯问", "occurred_on": "2021-03-11", "summary": "讯问，法定代理人到场。"}
    assert (await client.post(f"/api/cases/{case['id']}/steps", json=step, headers=pro2)).status_code == 403
    r = await client.post(f"/api/cases/{case['id']}/assignments", json={"username": "pro2"}, headers=pro)
    assert r.status_code == 201
    assert (
        await client.post(f"/api/cases/{case['id']}/assignments", json={"username": "pro2"}, headers=pro)
    ).status_code == 409
    assert (await client.post(f"/api/cases/{case['id']}/steps", json=step, headers=pro2)).status_code == 201
    await make_user("pro_qf", "prosecutor", OTHER_PROCURATORATE)
    r = await client.post(f"/api/cases/{case['id']}/assignments", json={"username": "pro_qf"}, headers=pro)
    assert r.status_code == 422


async def test_parent_born_before_the_region_code_existed_is_accepted(
    client: httpx.AsyncClient, pro: dict[str, str]
) -> None:
    """Born 1978, ID issued later under 370811 (任城区, in use from 1983): a real number, accepted."""
    case = await new_case(client, pro)
    parent = {
        "role": "legal_representative",
        "name": "张大",
        "gender": "male",
        "id_number": resident_id(date(1978, 6, 1), region="370811"),
    }
    r = await client.post(f"/api/cases/{case['id']}/persons", json=parent, headers=pro)
    assert r.status_code == 201, r.text
    retired = {**parent, "id_number": resident_id(date(2015, 6, 1), region="370802"), "role": "victim"}
    r = await client.post(f"/api/cases/{case['id']}/persons", json=retired, headers=pro)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "id_number"
