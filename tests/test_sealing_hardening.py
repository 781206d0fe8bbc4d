"""Sealing after a break-it round (issue 6): what a sealed juvenile's case still showed, what could be
sealed or unsealed that the law does not allow, and database rows that granted or unsealed on their own."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest

from helpers import PROSECUTORATE, auth, behind_the_guards, make_user, poppler, resident_id, squeeze
from juvenile_justice import db
from juvenile_justice.domain.accounts import service as accounts
from test_sealing import ADULT_ID, ADULT_NAME, JUVENILE_ID, JUVENILE_NAME, _case, _decide, _sealed_world, _suspect
from test_sealing_queries import COURT_QUERY, _judge

GUARDIAN = {"role": "legal_representative", "name": "诸葛大山", "gender": "male",
            "id_number": resident_id(date(1978, 4, 4), male=True, seq=81)}  # fmt: skip
STEP_TEXT = "诸葛某某在学校附近多次盗窃电动车电瓶。"


async def _partial(client: httpx.AsyncClient) -> tuple[dict[str, str], int, int, int]:
    """An adult and a juvenile (with a legal representative and a step) in one case; a summary issued;
    the juvenile sealed: (headers, case, summary document, adult)."""
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case_id = await _case(client, h, "上官某某等盗窃案")
    juvenile = await _suspect(client, h, case_id, JUVENILE_NAME, JUVENILE_ID)
    adult = await _suspect(client, h, case_id, ADULT_NAME, ADULT_ID, "male")
    assert (await client.post(f"/api/cases/{case_id}/persons", json=GUARDIAN, headers=h)).status_code == 201
    step = {"kind": "讯问", "occurred_on": "2021-03-11", "summary": STEP_TEXT}
    assert (await client.post(f"/api/cases/{case_id}/steps", json=step, headers=h)).status_code == 201
    decision_id = (await _decide(client, h, case_id, juvenile)).json()["id"]
    summary = (await client.post(f"/api/cases/{case_id}/documents", json={"kind": "case_summary"}, headers=h)).json()
    r = await client.post(f"/api/persons/{juvenile}/sealing", json={"decision_id": decision_id}, headers=h)
    assert r.status_code == 201, r.text
    return h, case_id, summary["id"], adult


async def test_a_partly_sealed_case_withholds_what_names_the_juvenile(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """The juvenile's legal representative, the steps and the summary recorded before the seal are withheld;
    what is recorded afterwards about the adult is not."""
    h, case_id, old_summary, adult = await _partial(client)
    r = await client.get(f"/api/cases/{case_id}/persons", headers=h)
    assert [x["id"] for x in r.json()["items"]] == [adult] and GUARDIAN["name"] not in r.text
    r = await client.get(f"/api/cases/{case_id}/steps", headers=h)
    assert r.json()["items"] == [] and STEP_TEXT not in r.text
    r = await client.get(f"/api/documents/{old_summary}/pdf", headers=h)
    assert r.status_code == 403 and r.json()["sealed"] is True
    r = await client.post("/api/persons/lookup", json={"id_number": GUARDIAN["id_number"]}, headers=h)
    assert r.json()["items"] == []
    later = {"kind": "审查起诉", "occurred_on": "2021-05-01", "summary": "对上官某某审查起诉。"}
    assert (await client.post(f"/api/cases/{case_id}/steps", json=later, headers=h)).status_code == 201
    r = await client.get(f"/api/cases/{case_id}/steps", headers=h)
    assert [x["kind"] for x in r.json()["items"]] == ["审查起诉"]
    new = (await client.post(f"/api/cases/{case_id}/documents", json={"kind": "case_summary"}, headers=h)).json()
    text = squeeze(
        poppler("pdftotext", (await client.get(f"/api/documents/{new['id']}/pdf", headers=h)).content, tmp_path)
    )
    assert ADULT_NAME in text and "对上官某某审查起诉" in text
    for hidden in (JUVENILE_NAME, GUARDIAN["name"], "电动车电瓶"):
        assert hidden not in text


async def test_a_relative_does_not_lead_into_a_wholly_sealed_case(client: httpx.AsyncClient) -> None:
    h, case_id, _, _ = await _sealed_world(client)
    assert (await client.post(f"/api/cases/{case_id}/persons", json=GUARDIAN, headers=h)).status_code == 403
    await behind_the_guards()  # nothing: the case is sealed, so the guardian could only have been added before
    r = await client.post("/api/persons/lookup", json={"id_number": GUARDIAN["id_number"]}, headers=h)
    assert r.json()["items"] == []


async def test_offence_dates_cannot_make_an_adult_a_minor(client: httpx.AsyncClient) -> None:
    """R-SEAL-2's several acts must include the case's offence date and lie before the decision."""
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case_id = await _case(client, h)
    adult = await _suspect(client, h, case_id, ADULT_NAME, ADULT_ID, "male")
    decision_id = (await _decide(client, h, case_id, adult, sentence_months=12)).json()["id"]
    for dates in (["2005-01-01"], ["2021-03-02", "2015-01-01"], ["2021-03-02", "2022-01-01"]):
        body = {"decision_id": decision_id, "offense_dates": dates}
        r = await client.post(f"/api/persons/{adult}/sealing", json=body, headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["field"].startswith("offense_dates"), r.text
    assert await db.fetch("SELECT id FROM sealed_record") == []


async def test_the_final_judgment_decides(client: httpx.AsyncClient) -> None:
    """A 10-year judgment cannot be sealed by recording a non-prosecution afterwards."""
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case_id = await _case(client, h)
    person_id = await _suspect(client, h, case_id, JUVENILE_NAME, JUVENILE_ID)
    await _decide(client, h, case_id, person_id, sentence_months=120)
    body = {"basis": "non_prosecution", "decision_date": "2021-10-01", "document_number": "任检未不诉〔2021〕9号"}
    r = await client.post(f"/api/persons/{person_id}/sealing", json=body, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "basis", r.text
    assert len(await db.fetch("SELECT id FROM decision")) == 1, "the refused call recorded nothing"


async def test_an_unsealed_record_stays_unsealed_and_bad_dates_are_422(client: httpx.AsyncClient) -> None:
    """R-SEAL-11: unsealing is final; a new offence before birth or before 12 is refused, never a 500."""
    h, _, person_id, record_id = await _sealed_world(client)  # born 2004-06-01
    body = {"rule": "new_offense", "reason": "新罪", "combined_sentence_months": 72,
            "judgment_document_number": "新判1号"}  # fmt: skip
    for day in ("1900-01-01", "2010-01-01"):
        r = await client.post(
            f"/api/sealed-records/{record_id}/unseal", json={**body, "new_offense_date": day}, headers=h
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "new_offense_date", r.text
    r = await client.post(f"/api/sealed-records/{record_id}/unseal", json={**body, "new_offense_date": "2023-07-01"},
                          headers=h)  # fmt: skip
    assert r.status_code == 422 and "十八周岁" in r.json()["detail"]
    r = await client.post(f"/api/sealed-records/{record_id}/unseal", json={**body, "new_offense_date": "2022-01-10"},
                          headers=h)  # fmt: skip
    await make_user("pro2", "prosecutor")
    r = await client.post(f"/api/unseal-requests/{r.json()['unseal_request_id']}/decision",
                          json={"approve": True, "reason": "依法解除"}, headers=await auth(client, "pro2"))  # fmt: skip
    assert r.status_code == 200
    decision = await db.fetch_one("SELECT decision FROM sealed_record WHERE id = {}", record_id)
    assert decision is not None
    r = await client.post(f"/api/persons/{person_id}/sealing", json={"decision_id": decision["decision"]}, headers=h)
    assert r.status_code == 409


async def test_a_status_flipped_in_the_database_unseals_nothing(client: httpx.AsyncClient) -> None:
    """The database refuses the flip without the logged unsealing; past the triggers, the record still
    seals (the access log has no unsealing for it)."""
    h, case_id, person_id, record_id = await _sealed_world(client)
    with pytest.raises(Exception, match="sealed_record"):
        await db.fetch("UPDATE sealed_record SET status = 'unsealed' WHERE id = {} RETURNING id", record_id)
    await behind_the_guards(f"UPDATE sealed_record SET status = 'unsealed' WHERE id = {record_id}")
    assert (await client.get(f"/api/cases/{case_id}", headers=h)).status_code == 403
    assert (await client.get(f"/api/persons/{person_id}", headers=h)).status_code == 403
    j = await _judge(client)
    r = await client.post("/api/sealed-status/lookup", json={"id_number": JUVENILE_ID}, headers=j)
    assert r.json()["sealed"] is True, "the status check agrees with every other read"


async def test_a_query_approved_in_the_database_grants_nothing(client: httpx.AsyncClient) -> None:
    _, _, _, record_id = await _sealed_world(client)
    j = await _judge(client)
    request_id = (await client.post(f"/api/sealed-records/{record_id}/query-requests", json=COURT_QUERY,
                                    headers=j)).json()["id"]  # fmt: skip
    await db.fetch("UPDATE query_request SET status = 'approved', decided_by = 1, valid_until = '2099-12-31' "
                   "WHERE id = {} RETURNING id", request_id)  # fmt: skip
    assert (await client.get(f"/api/sealed-records/{record_id}", headers=j)).status_code == 403
    judge = await db.fetch_one("SELECT id, unit FROM app_user WHERE username = 'judge1'")
    assert judge is not None
    with pytest.raises(Exception, match="query_request"):
        await db.fetch(
            "INSERT INTO query_request (sealed_record, record_unit, requester, requester_unit, requesting_unit, "
            "requesting_unit_type, purpose, legal_basis, filed_on, filed_at, due_on, status, decided_by, valid_until) "
            "VALUES ({}, 1, {}, {}, 'x', 'court', 'x', 'x', '2026-01-01', '2026-01-01T00:00:00+00:00', "
            "'2026-01-05', 'approved', 1, '2099-12-31') RETURNING id",
            record_id, judge["id"], judge["unit"],
        )  # fmt: skip


async def test_applications_must_cite_a_regulation_and_judges_apply_for_their_court(client: httpx.AsyncClient) -> None:
    h, _, _, record_id = await _sealed_world(client)
    for cited in ("无", "-", "。", "有", "暂无规定", "无相关规定", "没有相关法"):
        body = {**COURT_QUERY, "requesting_unit": "某公司", "requesting_unit_type": "other", "cited_regulation": cited}
        r = await client.post(f"/api/sealed-records/{record_id}/query-requests", json=body, headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cited_regulation", cited
    j = await _judge(client)
    r = await client.post(f"/api/sealed-records/{record_id}/query-requests",
                          json={**COURT_QUERY, "requesting_unit": "北京市第一中级人民法院"}, headers=j)  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "requesting_unit"
    r = await client.post(f"/api/sealed-records/{record_id}/query-requests",
                          json={**COURT_QUERY, "purpose": "联系电话13912345678"}, headers=j)  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "purpose"
    r = await client.post(f"/api/sealed-records/{record_id}/query-requests",
                          json={**COURT_QUERY, "purpose": "联系+86-139-1234-5678"}, headers=j)  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "purpose"


async def test_dates_that_decide_the_seal_are_facts(client: httpx.AsyncClient) -> None:
    """An effective date in the future is refused (it was a 500 at 9999-12-31); the offence date is fixed
    once a final decision is recorded (it decides the age at the offence, R-SEAL-1)."""
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case_id = await _case(client, h)
    person_id = await _suspect(client, h, case_id, JUVENILE_NAME, JUVENILE_ID)
    for day in ("9999-12-31", "2099-01-01"):
        r = await _decide(client, h, case_id, person_id, effective_date=day)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "effective_date", r.text
    assert (await _decide(client, h, case_id, person_id)).status_code == 201
    r = await client.patch(f"/api/cases/{case_id}", json={"version": 1, "offense_date": "2021-02-01"}, headers=h)
    assert r.status_code == 409


async def test_the_certificate_checks_the_name_and_hides_the_department(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """R-SEAL-8: the name must match (the route tells no one a name); a legal representative applies only
    for a minor; the number has no 未 (it would reveal a juvenile case to an employer)."""
    h, _, _, _ = await _sealed_world(client)
    await accounts.set_unit(PROSECUTORATE, doc_prefix="任检未")
    wrong = {"id_number": JUVENILE_ID, "name": "张三", "applicant": "self"}
    r = await client.post("/api/no-record-certificates", json=wrong, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "name" and JUVENILE_NAME not in r.text
    r = await client.post("/api/no-record-certificates",
                          json={"id_number": JUVENILE_ID, "name": JUVENILE_NAME, "applicant": "legal_representative"},
                          headers=h)  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "applicant"  # born 2004: an adult now
    r = await client.post("/api/no-record-certificates",
                          json={"id_number": JUVENILE_ID, "name": f" {JUVENILE_NAME} ", "applicant": "self"},
                          headers=h)  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["number"].startswith("任检证〔"), r.json()["number"]
    pdf = (await client.get(f"/api/documents/{r.json()['document_id']}/pdf", headers=h)).content
    text = squeeze(poppler("pdftotext", pdf, tmp_path))
    assert "任检证〔" in text and "任检未" not in text and "封存" not in text
