"""Lawful queries of sealed records (R-SEAL-6, R-SEAL-7), granted reads, unsealing (R-SEAL-11) and the
no-criminal-record certificate (R-SEAL-8), through the API; decision documents read back with poppler."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers import OTHER_PROCURATORATE, auth, make_user, poppler, resident_id, squeeze
from juvenile_justice import db
from juvenile_justice.domain.sealing.lawful_query import decision_due, refusal_reason
from juvenile_justice.lib.clock import today_china
from juvenile_justice.lib.periods import WorkingDayCalendar
from test_sealing import JUVENILE_ID, JUVENILE_NAME, _case, _decide, _last_seq, _sealed_world, _suspect

COURT_QUERY = {"purpose": "审理被告人另案需核实前科", "legal_basis": "《中华人民共和国刑事诉讼法》第二百八十六条",
               "requesting_unit": "济宁市任城区人民法院", "requesting_unit_type": "court"}  # fmt: skip


# ----------------------------------------------------------------------------------- pure rules


@pytest.mark.parametrize(
    ("basis", "unit_type", "cited", "refused"),
    [
        ("judgment", "other", None, True),  # an HR company citing nothing (R-SEAL-6 test 1)
        ("non_prosecution", "other", "《中华人民共和国公务员法》第二十六条", True),  # R-SEAL-6 test 2
        ("judgment", "other", "《中华人民共和国公务员法》第二十六条", False),
        ("judgment", "court", None, False),
        ("non_prosecution", "public_security", None, False),
        ("non_prosecution", "justice_admin", "某规定", True),
    ],
)
def test_who_may_query(basis: str, unit_type: str, cited: str | None, refused: bool) -> None:
    """R-SEAL-6: judicial organs; others only with a state regulation, and never for non-prosecution records."""
    assert (refusal_reason(basis, unit_type, cited) is not None) is refused


def test_decision_due_in_three_working_days_or_seven_days() -> None:
    """R-SEAL-7: filed Friday 2024-08-02, 3 working days → Wednesday 2024-08-07; 7 days → 2024-08-09;
    over the National Day holidays the working days skip them."""
    calendar = WorkingDayCalendar()
    assert decision_due(date(2024, 8, 2), "3wd", calendar.add_working_days) == date(2024, 8, 7)
    assert decision_due(date(2024, 8, 2), "7d", calendar.add_working_days) == date(2024, 8, 9)
    assert decision_due(date(2024, 9, 30), "3wd", calendar.add_working_days) == date(2024, 10, 10)


# ------------------------------------------------------------------------------------- the flow


async def _judge(client: httpx.AsyncClient) -> dict[str, str]:
    await make_user("judge1", "judge")
    return await auth(client, "judge1")


async def test_a_court_query_approved_by_another_prosecutor_grants_a_logged_read(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    start = await _last_seq()
    h, _, _, record_id = await _sealed_world(client)
    j = await _judge(client)
    r = await client.get(f"/api/sealed-records/{record_id}", headers=j)
    assert r.status_code == 403 and JUVENILE_NAME not in r.text, "no grant, no read (R-SEAL-5)"
    r = await client.post(f"/api/sealed-records/{record_id}/query-requests", json=COURT_QUERY, headers=j)
    assert r.status_code == 201, r.text
    request = r.json()
    assert request["status"] == "pending" and request.get("reason") is None
    request_id = request["id"]
    decision = {"approve": True, "reason": "审判需要，符合规定", "valid_days": 5}
    r = await client.post(f"/api/query-requests/{request_id}/decision", json=decision, headers=j)
    assert r.status_code == 403, "judges do not decide"
    await make_user("pro2", "prosecutor")
    await make_user("pro3", "prosecutor", OTHER_PROCURATORATE)
    r = await client.post(
        f"/api/query-requests/{request_id}/decision", json=decision, headers=await auth(client, "pro3")
    )
    assert r.status_code == 404, "only the sealing unit decides"
    r = await client.post(f"/api/query-requests/{request_id}/decision", json={**decision, "valid_days": None},
                          headers=await auth(client, "pro2"))  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "valid_days"
    r = await client.post(
        f"/api/query-requests/{request_id}/decision", json=decision, headers=await auth(client, "pro2")
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    assert r.json()["valid_until"] == (today_china() + timedelta(days=4)).isoformat()
    r2 = await client.post(f"/api/query-requests/{request_id}/decision", json=decision, headers=h)
    assert r2.status_code == 409, "decided once"

    document_id = r.json()["document_id"]
    r = await client.get(f"/api/documents/{document_id}/pdf", headers=j)
    assert r.status_code == 200, r.text
    text = squeeze(poppler("pdftotext", r.content, tmp_path))
    assert "查询封存犯罪记录许可决定书" in text and "予以保密" in text and JUVENILE_NAME not in text

    r = await client.get(f"/api/sealed-records/{record_id}", headers=j)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scope"] == "full" and body["content"]["person"]["name"] == JUVENILE_NAME
    assert body["content"]["person"]["id_number"] == JUVENILE_ID and body["request_id"] == request_id
    r = await client.get(f"/api/sealed-records/{record_id}", headers=await auth(client, "pro2"))
    assert r.status_code == 403, "the grant is the requester's alone"
    reads = await db.fetch(
        "SELECT actor, outcome, purpose FROM access_log WHERE seq > {} AND action = 'sealed_record.read' ORDER BY seq",
        start,
    )
    assert [(x["actor"], x["outcome"]) for x in reads] == [("judge1", "refused"), ("judge1", "allowed"),
                                                           ("pro2", "refused")]  # fmt: skip
    assert reads[1]["purpose"] == f"grant:{request_id}"


async def test_a_requester_cannot_decide_their_own_request(client: httpx.AsyncClient) -> None:
    h, _, _, record_id = await _sealed_world(client)
    body = {**COURT_QUERY, "requesting_unit": "济宁市任城区人民检察院", "requesting_unit_type": "procuratorate"}
    r = await client.post(f"/api/sealed-records/{record_id}/query-requests", json=body, headers=h)
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/query-requests/{r.json()['id']}/decision",
                          json={"approve": True, "reason": "办案需要", "valid_days": 3}, headers=h)  # fmt: skip
    assert r.status_code == 403


async def test_unqualified_applications_are_refused_at_once(client: httpx.AsyncClient) -> None:
    """R-SEAL-6: an HR company citing no state regulation is refused automatically; a prosecutor records it."""
    h, _, _, record_id = await _sealed_world(client)
    body = {"purpose": "入职背景调查", "legal_basis": "公司规定", "requesting_unit": "某人力资源公司",
            "requesting_unit_type": "other"}  # fmt: skip
    r = await client.post(f"/api/sealed-records/{record_id}/query-requests", json=body, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "refused" and "国家规定" in r.json()["reason"]
    await make_user("pro2", "prosecutor")
    r = await client.post(f"/api/query-requests/{r.json()['id']}/decision",
                          json={"approve": True, "reason": "x理由", "valid_days": 3},
                          headers=await auth(client, "pro2"))  # fmt: skip
    assert r.status_code == 409, "a refused application cannot be approved"
    j = await _judge(client)
    r = await client.post(f"/api/sealed-records/{record_id}/query-requests",
                          json={**COURT_QUERY, "requesting_unit_type": "other"}, headers=j)  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "requesting_unit_type"


async def test_non_prosecution_records_only_for_judicial_organs(client: httpx.AsyncClient) -> None:
    """R-SEAL-6 test 2: a civil-service recruiter citing the Civil Servant Law is refused for an NP record."""
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case_id = await _case(client, h)
    person_id = await _suspect(client, h, case_id, JUVENILE_NAME, JUVENILE_ID)
    body = {"basis": "non_prosecution", "decision_date": "2021-08-01", "document_number": "任检未不诉〔2021〕3号"}
    record_id = (await client.post(f"/api/persons/{person_id}/sealing", json=body, headers=h)).json()["id"]
    query = {"purpose": "公务员录用考察", "legal_basis": "《中华人民共和国公务员法》",
             "requesting_unit": "某市公务员局",
             "requesting_unit_type": "other", "cited_regulation": "《中华人民共和国公务员法》第二十六条"}  # fmt: skip
    r = await client.post(f"/api/sealed-records/{record_id}/query-requests", json=query, headers=h)
    assert r.json()["status"] == "refused" and "486" not in r.json()["reason"]
    assert "第四百八十六条" in r.json()["reason"]


async def test_other_units_read_only_what_their_purpose_needs(client: httpx.AsyncClient) -> None:
    """R-SEAL-7 scope: a unit querying under a state regulation learns whether, for what and how the person
    was punished; not the case file."""
    h, _, _, record_id = await _sealed_world(client)
    query = {"purpose": "征兵政治考核", "legal_basis": "《征兵工作条例》", "requesting_unit": "某区征兵办公室",
             "requesting_unit_type": "other", "cited_regulation": "《征兵工作条例》第三十条"}  # fmt: skip
    request_id = (await client.post(f"/api/sealed-records/{record_id}/query-requests", json=query, headers=h)).json()[
        "id"
    ]
    await make_user("pro2", "prosecutor")
    r = await client.post(f"/api/query-requests/{request_id}/decision",
                          json={"approve": True, "reason": "依据国家规定", "valid_days": 2},
                          headers=await auth(client, "pro2"))  # fmt: skip
    assert r.status_code == 200, r.text
    r = await client.get(f"/api/sealed-records/{record_id}", headers=h)
    assert r.status_code == 200 and r.json()["scope"] == "limited"
    assert set(r.json()["content"]) == {"person", "charges", "decisions"} and "steps" not in r.text


async def _unseal(client: httpx.AsyncClient, h: dict[str, str], record_id: int, **extra: Any) -> httpx.Response:
    body = {"rule": "new_offense", "reason": "未成年时又犯新罪", "combined_sentence_months": 72,
            "new_offense_date": "2022-01-10", "judgment_document_number": "(2022)鲁0811刑初9号", **extra}  # fmt: skip
    return await client.post(f"/api/sealed-records/{record_id}/unseal", json=body, headers=h)


async def test_unsealing_needs_a_ground_and_a_second_prosecutor(client: httpx.AsyncClient) -> None:
    """R-SEAL-11: combined 5 years stays sealed (default >); 6 years is a ground; a new crime at 19 is not;
    approval by another prosecutor makes the records ordinary data again and keeps the history."""
    h, case_id, person_id, record_id = await _sealed_world(client)  # born 2004-06-01
    r = await _unseal(client, h, record_id, combined_sentence_months=60)
    assert r.status_code == 422 and r.json()["ground"]["eligible"] is False
    r = await _unseal(client, h, record_id, new_offense_date="2023-07-01")  # at 19
    assert r.status_code == 422 and r.json()["ground"]["rules"][0]["inputs"]["age_at_new_offense"] == 19
    r = await _unseal(client, h, record_id)
    assert r.status_code == 202, r.text
    request_id = r.json()["unseal_request_id"]
    assert (await _unseal(client, h, record_id)).status_code == 409, "one pending request at a time"
    r = await client.post(f"/api/unseal-requests/{request_id}/decision", json={"approve": True, "reason": "依法解除"},
                          headers=h)  # fmt: skip
    assert r.status_code == 403, "not by the prosecutor who asked"
    assert (await client.get(f"/api/cases/{case_id}", headers=h)).status_code == 403, "still sealed"
    await make_user("pro2", "prosecutor")
    r = await client.post(f"/api/unseal-requests/{request_id}/decision", json={"approve": True, "reason": "依法解除"},
                          headers=await auth(client, "pro2"))  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    r = await client.get(f"/api/persons/{person_id}", headers=h)
    assert r.status_code == 200 and r.json()["name"] == JUVENILE_NAME
    row = await db.fetch_one("SELECT status, unsealed_on FROM sealed_record WHERE id = {}", record_id)
    assert row is not None and row["status"] == "unsealed" and str(row["unsealed_on"]) == today_china().isoformat()
    j = await _judge(client)
    r = await client.post("/api/sealed-status/lookup", json={"id_number": JUVENILE_ID}, headers=j)
    assert r.json() == {"sealed": False, "records": []}
    assert (await _unseal(client, h, record_id)).status_code == 409


async def test_retrial_ground_is_sixty_months_or_more(client: httpx.AsyncClient) -> None:
    """R-SEAL-11: a retrial changing the sentence to 5 years or more lifts the seal."""
    h, _, _, record_id = await _sealed_world(client)
    r = await _unseal(client, h, record_id, rule="retrial", combined_sentence_months=59, new_offense_date=None)
    assert r.status_code == 422
    r = await _unseal(client, h, record_id, rule="retrial", combined_sentence_months=60, new_offense_date=None)
    assert r.status_code == 202, r.text


async def test_no_record_certificate(client: httpx.AsyncClient, tmp_path: Path) -> None:
    """R-SEAL-8: a person whose only record is sealed gets 无犯罪记录证明, which says nothing of sealing;
    a person with an unsealed conviction gets none (there is no "has a record" certificate)."""
    h, _, _, _ = await _sealed_world(client)
    r = await client.post(
        "/api/no-record-certificates",
        json={"id_number": JUVENILE_ID, "name": JUVENILE_NAME, "applicant": "self"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    r = await client.get(f"/api/documents/{r.json()['document_id']}/pdf", headers=h)
    text = squeeze(poppler("pdftotext", r.content, tmp_path))
    assert "无犯罪记录证明" in text and JUVENILE_NAME in text and "未发现该人有犯罪记录" in text
    assert "封存" not in text
    case_id = await _case(client, h, "诸葛某某抢劫案")
    person_id = await _suspect(client, h, case_id, JUVENILE_NAME, JUVENILE_ID)
    await _decide(client, h, case_id, person_id, sentence_months=72, document_number="任刑初字〔2022〕3号")
    r = await client.post("/api/no-record-certificates",
                          json={"id_number": JUVENILE_ID, "name": JUVENILE_NAME, "applicant": "self"},
                          headers=h)  # fmt: skip
    assert r.status_code == 409
    stranger = resident_id(date(2005, 5, 5), male=True, seq=61)
    r = await client.post(
        "/api/no-record-certificates", json={"id_number": stranger, "name": "某人", "applicant": "self"}, headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "id_number"
