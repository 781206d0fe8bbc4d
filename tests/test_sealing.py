"""Sealing of juvenile criminal records (issue 6): the decision's trace and sealing task (R-SEAL-1..4),
sealing with its notice and advisement (R-SEAL-5, R-SEAL-10), the sealing-aware reads (R-SEAL-5) and the
sealed-status check. Given/when/then cases of rules.md §5 are named after their rule."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from helpers import OTHER_PROCURATORATE, SAMPLE_CASE, auth, make_user, poppler, resident_id, squeeze
from juvenile_justice import db
from juvenile_justice.lib.clock import today_china

OFFENSE = date.fromisoformat(SAMPLE_CASE["offense_date"])  # 2021-03-02
JUVENILE_NAME = "诸葛明月"
JUVENILE_ID = resident_id(date(2004, 6, 1), male=False, seq=41)  # 16 at the offence
ADULT_NAME = "上官长风"
ADULT_ID = resident_id(date(1999, 1, 5), male=True, seq=42)  # 22 at the offence


async def _case(client: httpx.AsyncClient, h: dict[str, str], title: str = "诸葛某某盗窃案") -> int:
    r = await client.post("/api/cases", json={**SAMPLE_CASE, "title": title}, headers=h)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def _suspect(client: httpx.AsyncClient, h: dict[str, str], case_id: int, name: str, id_number: str,
                   gender: str = "female") -> int:  # fmt: skip
    body = {"role": "suspect", "name": name, "id_number": id_number, "gender": gender}
    r = await client.post(f"/api/cases/{case_id}/persons", json=body, headers=h)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def _decide(
    client: httpx.AsyncClient, h: dict[str, str], case_id: int, person_id: int, **extra: Any
) -> httpx.Response:
    body = {"person_id": person_id, "kind": "judgment", "decision_date": "2021-09-01", "effective_date": "2021-09-12",
            "document_number": "任刑初字〔2021〕8号", "sentence_kind": "fixed_term", "sentence_months": 24,
            **extra}  # fmt: skip
    return await client.post(f"/api/cases/{case_id}/decisions", json=body, headers=h)


async def _last_seq() -> int:
    """The access log is never emptied between tests: assertions look at the entries after this."""
    row = await db.fetch_one("SELECT MAX(seq) AS seq FROM access_log")
    return int(row["seq"]) if row and row["seq"] is not None else 0


async def _sealed_world(client: httpx.AsyncClient) -> tuple[dict[str, str], int, int, int]:
    """pro1's case with a juvenile suspect, judged to 24 months and sealed: (headers, case, person, record)."""
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case_id = await _case(client, h)
    person_id = await _suspect(client, h, case_id, JUVENILE_NAME, JUVENILE_ID)
    r = await _decide(client, h, case_id, person_id)
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/api/persons/{person_id}/sealing",
        json={"decision_id": r.json()["id"], "advised_on": "2021-09-12"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    return h, case_id, person_id, int(r.json()["id"])


# ------------------------------------------------------------------------------- decisions open tasks


async def test_a_qualifying_judgment_opens_a_task_due_three_days_after_receipt(client: httpx.AsyncClient) -> None:
    """R-SEAL-1 (exactly 5 years qualifies) and R-SEAL-4 (seal within 3 days of receiving the judgment)."""
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case_id = await _case(client, h)
    person_id = await _suspect(client, h, case_id, JUVENILE_NAME, JUVENILE_ID)
    r = await _decide(client, h, case_id, person_id, sentence_months=60)
    assert r.status_code == 201, r.text
    sealing = r.json()["sealing"]
    assert sealing["eligible"] is True and sealing["task_id"] is not None
    assert sealing["due_on"] == "2021-09-15" and sealing["ruleset_version"] == "seal-2022.1"
    assert {x["rule"] for x in sealing["trace"]} == {"R-SEAL-1"}
    assert all(x["result"] is True and x["source"] for x in sealing["trace"])
    r = await client.get("/api/sealing/tasks?status=open", headers=h)
    assert r.status_code == 200, r.text
    [task] = r.json()["items"]
    assert task["id"] == sealing["task_id"] and task["overdue"] is True and task["display_name"] == "诸葛某某"
    assert task["due_on"] == "2021-09-15" and task["basis"] == "judgment" and task["yours"] is True
    await make_user("pro2", "prosecutor")
    r = await client.get("/api/sealing/tasks?status=open", headers=await auth(client, "pro2"))
    assert r.json()["items"][0]["yours"] is False, "a colleague sees the task but does not seal it"
    r = await client.get(f"/api/cases/{case_id}/decisions", headers=h)
    assert r.json()["items"][0]["sealing"]["task_id"] == sealing["task_id"]


async def test_sixty_one_months_opens_no_task(client: httpx.AsyncClient) -> None:
    """R-SEAL-1: 5 years 1 month is not sealed; the trace says why."""
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case_id = await _case(client, h)
    person_id = await _suspect(client, h, case_id, JUVENILE_NAME, JUVENILE_ID)
    r = await _decide(client, h, case_id, person_id, sentence_months=61)
    sealing = r.json()["sealing"]
    assert sealing["eligible"] is False and sealing["task_id"] is None
    [age, sentence] = sealing["trace"]
    assert age["result"] is True and sentence["result"] is False and sentence["inputs"]["sentence_months"] == 61
    r = await client.get("/api/sealing/tasks", headers=h)
    assert r.json()["items"] == []
    r = await client.get(f"/api/cases/{case_id}/decisions", headers=h)
    [listed] = r.json()["items"]
    assert listed["sealing"]["eligible"] is False and listed["sealing"]["trace"][1]["result"] is False


async def test_non_prosecution_and_acquittal_open_tasks_prosecution_does_not(client: httpx.AsyncClient) -> None:
    """R-SEAL-3: non-prosecution and acquittal records are sealed; an arrest or indictment is not final."""
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case_id = await _case(client, h)
    person_id = await _suspect(client, h, case_id, JUVENILE_NAME, JUVENILE_ID)
    base = {"sentence_kind": None, "sentence_months": None, "effective_date": None}
    r = await _decide(client, h, case_id, person_id, kind="prosecuted", document_number="任检未刑诉〔2021〕1号", **base)
    assert r.json()["sealing"]["eligible"] is False and r.json()["sealing"]["task_id"] is None
    r = await _decide(client, h, case_id, person_id, kind="non_prosecution_relative",
                      document_number="任检未不诉〔2021〕2号", **base)  # fmt: skip
    assert r.json()["sealing"]["eligible"] is True and r.json()["sealing"]["task_id"] is not None
    assert r.json()["sealing"]["due_on"] == "2021-09-04"
    assert [x["rule"] for x in r.json()["sealing"]["trace"]] == ["R-SEAL-1", "R-SEAL-3"]


async def test_age_boundary_on_the_eighteenth_birthday(client: httpx.AsyncClient) -> None:
    """R-SEAL-1: on the 18th birthday itself the person is still 17 (full years count from the day after
    the birthday, SPC Interp. on juvenile cases Art 2); the day after, 18."""
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case_id = await _case(client, h)
    minor = await _suspect(client, h, case_id, "南宫一", resident_id(date(2003, 3, 2), male=True, seq=43), "male")
    adult = await _suspect(client, h, case_id, "南宫二", resident_id(date(2003, 3, 1), male=True, seq=44), "male")
    r = await _decide(client, h, case_id, minor)
    assert r.json()["sealing"]["eligible"] is True
    assert r.json()["sealing"]["trace"][0]["inputs"]["ages_at_offense"] == [17]
    r = await _decide(client, h, case_id, adult, document_number="任刑初字〔2021〕9号")
    assert r.json()["sealing"]["eligible"] is False
    assert r.json()["sealing"]["trace"][0]["inputs"]["ages_at_offense"] == [18]


# ---------------------------------------------------------------------------------------- sealing


async def test_sealing_hides_the_case_and_answers_the_status_check(client: httpx.AsyncClient, tmp_path: Path) -> None:
    """R-SEAL-5: sealed records leave the lists; opening them is refused and logged; the status check
    names only unit, date and basis; the notice is issued (R-SEAL-4) with the advisement (R-SEAL-10)."""
    start = await _last_seq()
    h, case_id, person_id, record_id = await _sealed_world(client)
    r = await client.get("/api/cases", headers=h)
    assert r.status_code == 200 and r.json()["items"] == []
    for path in (f"/api/cases/{case_id}", f"/api/cases/{case_id}/persons", f"/api/cases/{case_id}/steps",
                 f"/api/persons/{person_id}", f"/api/cases/{case_id}/documents"):  # fmt: skip
        r = await client.get(path, headers=h)
        assert r.status_code == 403 and r.json()["sealed"] is True, (path, r.text)
        assert JUVENILE_NAME not in r.text
    r = await client.post("/api/persons/lookup", json={"id_number": JUVENILE_ID}, headers=h)
    assert r.status_code == 200 and r.json()["items"] == []
    refused = await db.fetch(
        "SELECT action FROM access_log WHERE seq > {} AND outcome = 'refused' AND purpose = 'sealed' AND target = {}",
        start,
        f"case:{case_id}",
    )
    assert refused, "a refused read of a sealed case is logged (R-SEAL-5)"

    await make_user("judge1", "judge")
    j = await auth(client, "judge1")
    r = await client.post("/api/sealed-status/lookup", json={"id_number": JUVENILE_ID}, headers=j)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "sealed": True,
        "records": [{"id": record_id, "sealed_on": today_china().isoformat(), "sealing_unit": "济宁市任城区人民检察院",
                     "basis": "judgment"}],
    }  # fmt: skip
    r = await client.post("/api/sealed-status/lookup", json={"id_number": ADULT_ID}, headers=j)
    assert r.json() == {"sealed": False, "records": []}
    entries = await db.fetch(
        "SELECT target, purpose FROM access_log WHERE seq > {} AND action = 'sealed_status.lookup' ORDER BY seq", start
    )
    assert [e["purpose"] for e in entries] == ["hits:1", "status", "hits:0"]
    assert entries[1]["target"] == f"sealed_record:{record_id}"
    assert all(JUVENILE_ID not in str(e) for e in entries)

    row = await db.fetch_one("SELECT notice_document, content, id_number FROM sealed_record WHERE id = {}", record_id)
    assert row is not None and row["content"].startswith("SkUB") and JUVENILE_NAME not in row["content"]
    r = await client.get(f"/api/documents/{row['notice_document']}/pdf", headers=h)
    assert r.status_code == 200, r.text
    text = squeeze(poppler("pdftotext", r.content, tmp_path))
    assert "未成年人犯罪记录封存通知书" in text and JUVENILE_NAME in text and "三日内" in text
    assert "二〇二一年九月十二日向该未成年人及其法定代理人告知" in text
    await make_user("pro2", "prosecutor")
    r = await client.get(f"/api/documents/{row['notice_document']}/pdf", headers=await auth(client, "pro2"))
    assert r.status_code == 403, "only the issuer opens the sealing notice"
    r = await client.get("/api/sealing/tasks", headers=h)
    [task] = r.json()["items"]
    assert task["status"] == "done" and task["sealed_record_id"] == record_id
    assert task["case_number"] is None and task["display_name"] is None and task["person_id"] is None


async def test_sealing_with_the_decision_in_the_same_call(client: httpx.AsyncClient) -> None:
    """API.md: the decision can be recorded by the sealing call; non-prosecution records are sealed."""
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case_id = await _case(client, h)
    person_id = await _suspect(client, h, case_id, JUVENILE_NAME, JUVENILE_ID)
    body = {"basis": "non_prosecution", "decision_date": "2021-08-01", "document_number": "任检未不诉〔2021〕3号"}
    r = await client.post(f"/api/persons/{person_id}/sealing", json=body, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["eligibility"]["eligible"] is True and r.json()["advised_on"] is None
    decision = await db.fetch_one("SELECT kind FROM decision WHERE person = {}", person_id)
    assert decision is not None and decision["kind"] == "non_prosecution_relative"
    r = await client.post(f"/api/persons/{person_id}/sealing", json=body, headers=h)
    assert r.status_code == 409


async def test_an_ineligible_sealing_writes_nothing(client: httpx.AsyncClient) -> None:
    """R-SEAL-1: 61 months → 422 with the trace, and the decision of the same call is not recorded."""
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case_id = await _case(client, h)
    person_id = await _suspect(client, h, case_id, JUVENILE_NAME, JUVENILE_ID)
    body = {"basis": "judgment", "decision_date": "2021-08-01", "document_number": "任刑初字〔2021〕5号",
            "sentence_kind": "fixed_term", "sentence_months": 61}  # fmt: skip
    r = await client.post(f"/api/persons/{person_id}/sealing", json=body, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["eligibility"]["eligible"] is False
    assert r.json()["eligibility"]["rules"][1]["inputs"]["sentence_months"] == 61
    assert await db.fetch("SELECT id FROM decision") == []
    assert await db.fetch("SELECT id FROM issued_document") == []


async def test_acts_on_both_sides_of_eighteen_need_the_main_conduct(client: httpx.AsyncClient) -> None:
    """R-SEAL-2: a theft at 17 (main) and a minor one at 18, 2 years combined → the whole case is sealed;
    without the main conduct's date the answer names the missing fact."""
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case_id = await _case(client, h)
    person_id = await _suspect(client, h, case_id, JUVENILE_NAME, JUVENILE_ID)  # 18 on 2022-06-01
    r = await _decide(client, h, case_id, person_id, decision_date="2022-09-01", effective_date="2022-09-12")
    decision_id = r.json()["id"]
    acts = ["2021-03-02", "2022-07-01"]
    r = await client.post(f"/api/persons/{person_id}/sealing", json={"decision_id": decision_id, "offense_dates": acts},
                          headers=h)  # fmt: skip
    assert r.status_code == 422 and r.json()["eligibility"]["eligible"] is None
    assert r.json()["errors"][0]["field"] == "main_offense_date"
    assert r.json()["eligibility"]["rules"][0]["missing"] == ["main_offense_date"]
    r = await client.post(
        f"/api/persons/{person_id}/sealing",
        json={"decision_id": decision_id, "offense_dates": acts, "main_offense_date": "2021-03-02"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    assert r.json()["eligibility"]["rules"][0]["rule"] == "R-SEAL-2"


async def test_who_may_seal(client: httpx.AsyncClient) -> None:
    """Only the case's prosecutors seal; another unit gets 404; a non-suspect cannot be sealed."""
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case_id = await _case(client, h)
    person_id = await _suspect(client, h, case_id, JUVENILE_NAME, JUVENILE_ID)
    decision_id = (await _decide(client, h, case_id, person_id)).json()["id"]
    body = {"decision_id": decision_id}
    await make_user("pro2", "prosecutor")
    await make_user("pro3", "prosecutor", OTHER_PROCURATORATE)
    await make_user("judge1", "judge")
    assert (
        await client.post(f"/api/persons/{person_id}/sealing", json=body, headers=await auth(client, "pro2"))
    ).status_code == 403
    assert (
        await client.post(f"/api/persons/{person_id}/sealing", json=body, headers=await auth(client, "pro3"))
    ).status_code == 404
    assert (
        await client.post(f"/api/persons/{person_id}/sealing", json=body, headers=await auth(client, "judge1"))
    ).status_code == 403
    guardian = {"role": "guardian", "name": "诸葛大山", "gender": "male",
                "id_number": resident_id(date(1980, 2, 2), male=True, seq=45)}  # fmt: skip
    r = await client.post(f"/api/cases/{case_id}/persons", json=guardian, headers=h)
    r = await client.post(f"/api/persons/{r.json()['id']}/sealing", json=body, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "person_id"
    future = (today_china() + timedelta(days=1)).isoformat()
    r = await client.post(f"/api/persons/{person_id}/sealing", json={**body, "advised_on": future}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "advised_on"
    r = await client.post(f"/api/persons/{person_id}/sealing", json={"basis": "judgment"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "decision_date"


async def test_a_case_with_an_adult_co_offender_stays_readable_without_the_sealed_person(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """R-SEAL-5 / Seal-Measures Arts 5–6: the adult's case stays open, marked 含犯罪记录封存信息; the sealed
    juvenile and their decisions are left out of its persons, decisions and summary."""
    await make_user("pro1", "prosecutor")
    h = await auth(client, "pro1")
    case_id = await _case(client, h, "诸葛某某、上官某某盗窃案")
    juvenile = await _suspect(client, h, case_id, JUVENILE_NAME, JUVENILE_ID)
    adult = await _suspect(client, h, case_id, ADULT_NAME, ADULT_ID, "male")
    decision_id = (await _decide(client, h, case_id, juvenile, document_number="任刑初字〔2021〕77号")).json()["id"]
    await _decide(client, h, case_id, adult, document_number="任刑初字〔2021〕78号")
    r = await client.post(f"/api/persons/{juvenile}/sealing", json={"decision_id": decision_id}, headers=h)
    assert r.status_code == 201, r.text
    r = await client.get(f"/api/cases/{case_id}", headers=h)
    assert r.status_code == 200 and r.json()["contains_sealed_records"] is True
    r = await client.get(f"/api/cases/{case_id}/persons", headers=h)
    assert [x["id"] for x in r.json()["items"]] == [adult] and JUVENILE_NAME not in r.text
    r = await client.get(f"/api/cases/{case_id}/decisions", headers=h)
    assert "任刑初字〔2021〕77号" not in r.text and "任刑初字〔2021〕78号" in r.text
    r = await client.get(f"/api/persons/{juvenile}", headers=h)
    assert r.status_code == 403
    r = await client.post(f"/api/cases/{case_id}/documents", json={"kind": "case_summary"}, headers=h)
    assert r.status_code == 201, r.text
    r = await client.get(f"/api/documents/{r.json()['id']}/pdf", headers=h)
    text = squeeze(poppler("pdftotext", r.content, tmp_path))
    assert "含犯罪记录封存信息" in text and ADULT_NAME in text
    assert JUVENILE_NAME not in text and JUVENILE_ID not in text and "任刑初字〔2021〕77号" not in text
    r = await client.get("/api/cases", headers=h)
    assert [x["id"] for x in r.json()["items"]] == [case_id]


async def test_status_check_is_for_judges_and_prosecutors(client: httpx.AsyncClient) -> None:
    """API.md: the lookup takes the ID number in the body; other roles are refused; a bad number → 422."""
    for role in ("aid_officer", "auditor", "admin"):
        await make_user(f"{role}1", role)
        r = await client.post(
            "/api/sealed-status/lookup", json={"id_number": JUVENILE_ID}, headers=await auth(client, f"{role}1")
        )
        assert r.status_code == 403, role
    await make_user("judge1", "judge")
    r = await client.post("/api/sealed-status/lookup", json={"id_number": "110101200001011234"},
                          headers=await auth(client, "judge1"))  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "id_number"
