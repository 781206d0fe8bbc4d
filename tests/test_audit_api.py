"""The access log as the product writes it and auditors read it (issue 4; API.md "Access log (auditors)").

What is logged (reads, changes, refusals, admin actions) with request id and client address; fail closed
when the log cannot be written; the auditors' API (filters, pages, scope, detail, verify, CSV, keyed-hash
search) and the anomaly flags.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from helpers import ENGINE, OTHER_PROCURATORATE, PROSECUTORATE, SAMPLE_CASE, auth, make_user, resident_id
from juvenile_justice import db
from juvenile_justice.domain.accounts import service as accounts
from juvenile_justice.domain.audit import service as audit
from juvenile_justice.lib.request_context import client_of, parse_trusted_proxies

CITY = "济宁市人民检察院"
ID_NUMBER = resident_id(date(2005, 7, 1), seq=41, male=True)
SUSPECT = {"role": "suspect", "name": "端木晨曦", "gender": "male", "id_number": ID_NUMBER}


async def last_seq() -> int:
    row = await db.fetch_one("SELECT COALESCE(MAX(seq), 0) AS seq FROM access_log")
    assert row is not None
    return int(row["seq"])


async def entries_after(seq: int) -> list[dict[str, object]]:
    return await db.fetch("SELECT * FROM access_log WHERE seq > {} ORDER BY seq", seq)


async def case_with_suspect(client: httpx.AsyncClient, username: str = "pro_a") -> tuple[dict[str, str], int, int]:
    await make_user(username, "prosecutor")
    headers = await auth(client, username)
    r = await client.post("/api/cases", json=SAMPLE_CASE, headers=headers)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    r = await client.post(f"/api/cases/{case_id}/persons", json=SUSPECT, headers=headers)
    assert r.status_code == 201, r.text
    return headers, case_id, r.json()["id"]


# ----------------------------------------------------------------------------------- what is logged


async def test_a_read_is_logged_with_request_id_client_and_owning_unit(client: httpx.AsyncClient) -> None:
    headers, _, person_id = await case_with_suspect(client)
    before = await last_seq()
    r = await client.get(f"/api/persons/{person_id}", headers=headers)
    assert r.status_code == 200 and r.json()["name"] == SUSPECT["name"]
    [entry] = [e for e in await entries_after(before) if e["action"] == "person.read"]
    unit = (await accounts.repo.unit_by_name(PROSECUTORATE)).id  # type: ignore[union-attr]
    assert entry["actor"] == "pro_a" and entry["role"] == "prosecutor" and entry["unit"] == unit
    assert entry["target"] == f"person:{person_id}" and entry["record_unit"] == unit
    assert entry["outcome"] == "allowed" and entry["purpose"] == "full"
    assert entry["request_id"] == r.headers["x-request-id"] and len(r.headers["x-request-id"]) == 32
    assert entry["client"] == "127.0.0.1"
    assert (await audit.verify()).ok


async def test_changes_are_logged_in_their_transaction(client: httpx.AsyncClient) -> None:
    headers, _, person_id = await case_with_suspect(client)
    before = await last_seq()
    r = await client.patch(f"/api/persons/{person_id}", json={"version": 1, "phone": "13800000001"}, headers=headers)
    assert r.status_code == 200
    stale = await client.patch(f"/api/persons/{person_id}", json={"version": 1, "phone": "1"}, headers=headers)
    assert stale.status_code == 409
    actions = [(e["action"], e["outcome"]) for e in await entries_after(before)]
    assert actions == [("person.update", "allowed")]  # the refused change left nothing behind


async def test_lookups_log_keyed_hashes_that_auditors_can_find(client: httpx.AsyncClient) -> None:
    headers, case_id, person_id = await case_with_suspect(client)
    before = await last_seq()
    r = await client.post("/api/persons/lookup", json={"id_number": ID_NUMBER}, headers=headers)
    assert r.status_code == 200 and len(r.json()["items"]) == 1
    rows = await entries_after(before)
    assert [e["action"] for e in rows] == ["person.lookup", "person.lookup.hit"]
    assert rows[1]["target"] == f"person:{person_id}"
    assert ID_NUMBER not in str(rows) and ID_NUMBER[6:14] not in str(rows)
    await make_user("aud_a", "auditor")
    aud = await auth(client, "aud_a")
    r = await client.post("/api/audit/hash", json={"kind": "id_number", "value": ID_NUMBER.lower()}, headers=aud)
    assert r.status_code == 200
    target, *records = r.json()["targets"]
    assert target == rows[0]["target"]
    assert records == [f"person:{person_id}", f"case:{case_id}"]  # who saw the child's record, not only who searched
    r = await client.get("/api/audit/access-log", params={"target": target}, headers=aud)
    found = {(e["seq"], e["action"]) for e in r.json()["items"]}
    assert (rows[0]["seq"], "person.lookup") in found
    assert any(action == "audit.hash" and seq > rows[1]["seq"] for seq, action in found)  # who looked, too
    searched = await client.get("/api/cases", params={"q": "盗窃"}, headers=headers)
    assert searched.status_code == 200
    [listing] = [e for e in await entries_after(before) if e["action"] == "case.list"]
    r = await client.post("/api/audit/hash", json={"kind": "search", "value": "盗窃"}, headers=aud)
    assert r.json()["targets"] == [listing["target"]] and "盗窃" not in str(listing)
    bad = await client.post("/api/audit/hash", json={"kind": "id_number", "value": "12345"}, headers=aud)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "value"


async def test_admin_commands_are_logged_as_the_operator() -> None:
    before = await last_seq()
    await make_user("adm_x", "admin")
    await accounts.set_active("adm_x", False)
    await accounts.set_unit(PROSECUTORATE, doc_prefix="任检未")
    rows = await entries_after(before)
    assert [e["action"] for e in rows] == ["units.add", "users.add", "users.disable", "units.set"]
    assert all(e["role"] == "operator" and str(e["actor"]).startswith("os:") for e in rows)
    assert rows[1]["target"] == "user:adm_x" and rows[1]["purpose"] == "role:admin"


async def test_numbers_typed_into_urls_or_user_names_never_reach_the_log(client: httpx.AsyncClient) -> None:
    headers, _, _ = await case_with_suspect(client)
    before = await last_seq()
    digits = ID_NUMBER[:17] + "1"
    for url in (f"/api/cases/{digits}", f"/cases/{digits}"):
        r = await client.get(url, headers=headers)
        assert r.status_code in (302, 303, 404), r.text
    await make_user("aud_n", "auditor")
    aud = await auth(client, "aud_n")
    r = await client.get("/api/audit/access-log", params={"record_id": digits}, headers=aud)
    assert r.status_code == 422
    for actor in ("370881-2010-0101-2345", "zhangsan.gulou-street"):  # not accounts: logged as unknown
        assert (await client.get("/api/audit/access-log", params={"actor": actor}, headers=aud)).status_code == 200
    logged = str(await entries_after(before))
    assert digits not in logged and "0101-2345" not in logged and "gulou" not in logged
    with pytest.raises(Exception, match="ID number is not a user name"):
        await make_user(f"u{digits}", "prosecutor")


def test_the_client_address_is_believed_only_from_trusted_proxies() -> None:
    proxies = parse_trusted_proxies("10.0.0.0/8, ::1")
    assert client_of("203.0.113.9", ["198.51.100.7"], proxies) == "203.0.113.9"  # not a proxy: header ignored
    assert client_of("10.0.0.2", ["198.51.100.7"], proxies) == "198.51.100.7"
    assert client_of("10.0.0.2", ["6.6.6.6, 198.51.100.7, 10.0.0.5"], proxies) == "198.51.100.7"  # spoofed left hop
    assert client_of("10.0.0.2", ["garbage, 10.0.0.3"], proxies) == "10.0.0.3"
    assert client_of("10.0.0.2", [], proxies) == "10.0.0.2"
    assert client_of("::1", ["[2001:db8::1]:443"], proxies) == "2001:db8::1"
    assert client_of("::1", ["fe80::1%370802200801011233"], proxies) == "fe80::1"  # no free text from a zone id
    assert client_of("203.0.113.9", ["198.51.100.7"], ()) == "203.0.113.9"
    with pytest.raises(ValueError, match="JJ_TRUSTED_PROXIES"):
        parse_trusted_proxies("10.0.0.0/8, example.org")


# --------------------------------------------------------------------------------------- fail closed


@contextlib.asynccontextmanager
async def broken_log() -> AsyncIterator[None]:
    """The database refuses every new access-log entry (a full disk, a revoked grant)."""
    if ENGINE == "postgresql":
        await db.execute_script(
            [
                "CREATE FUNCTION jj_test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'log unavailable'; END $$",
                "CREATE TRIGGER jj_test_refuse BEFORE INSERT ON access_log "
                "FOR EACH ROW EXECUTE FUNCTION jj_test_refuse()",
            ]
        )
        try:
            yield
        finally:
            await db.execute_script(["DROP TRIGGER jj_test_refuse ON access_log", "DROP FUNCTION jj_test_refuse()"])
    else:
        await db.execute_script(
            [
                "CREATE TRIGGER jj_test_refuse BEFORE INSERT ON access_log "
                "BEGIN SELECT RAISE(ABORT, 'log unavailable'); END"
            ]
        )
        try:
            yield
        finally:
            await db.execute_script(["DROP TRIGGER jj_test_refuse"])


async def test_reads_are_refused_when_the_log_cannot_be_written(client: httpx.AsyncClient) -> None:
    headers, case_id, person_id = await case_with_suspect(client)
    cases_before = await db.fetch("SELECT COUNT(*) AS n FROM case_file")
    async with broken_log():
        for url in (f"/api/persons/{person_id}", f"/api/cases/{case_id}/persons", f"/api/cases/{case_id}"):
            r = await client.get(url, headers=headers)
            assert r.status_code == 503, (url, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert SUSPECT["name"] not in r.text and ID_NUMBER not in r.text
        r = await client.post("/api/persons/lookup", json={"id_number": ID_NUMBER}, headers=headers)
        assert r.status_code == 503 and "某某" not in r.text
        r = await client.post("/api/cases", json=SAMPLE_CASE, headers=headers)
        assert r.status_code == 503  # a change and its entry are one transaction: neither is written
        assert (await client.get("/health")).status_code == 200  # routes without personal data keep working
        assert (await client.get("/api/me", headers=headers)).status_code == 200
    assert await db.fetch("SELECT COUNT(*) AS n FROM case_file") == cases_before
    assert (await client.get(f"/api/persons/{person_id}", headers=headers)).status_code == 200
    assert (await audit.verify()).ok


# ------------------------------------------------------------------------------------ auditors' API


async def test_auditors_filter_page_and_see_only_their_units(client: httpx.AsyncClient) -> None:
    await accounts.ensure_unit(CITY)
    await accounts.ensure_unit(PROSECUTORATE)
    await accounts.set_unit(PROSECUTORATE, parent=CITY)
    headers, _, person_id = await case_with_suspect(client, "pro_b")
    for _ in range(3):
        assert (await client.get(f"/api/persons/{person_id}", headers=headers)).status_code == 200
    await make_user("pro_qf", "prosecutor", OTHER_PROCURATORATE)
    qf = await auth(client, "pro_qf")
    assert (await client.get(f"/api/persons/{person_id}", headers=qf)).status_code == 404

    await make_user("aud_county", "auditor")
    await make_user("aud_city", "auditor", CITY)
    await make_user("aud_qf", "auditor", OTHER_PROCURATORATE)
    county, city, other = [await auth(client, u) for u in ("aud_county", "aud_city", "aud_qf")]

    r = await client.get("/api/audit/access-log", params={"actor": "pro_b", "action": "person.read"}, headers=county)
    assert r.status_code == 200
    items = r.json()["items"]
    assert len(items) == 3 and [i["seq"] for i in items] == sorted((i["seq"] for i in items), reverse=True)
    assert {i["target"] for i in items} == {f"person:{person_id}"} and items[0]["unit"] == PROSECUTORATE
    assert set(items[0]) >= {
        "seq",
        "at",
        "actor",
        "role",
        "unit",
        "action",
        "target",
        "purpose",
        "outcome",
        "entry_hash",
    }

    page1 = (await client.get("/api/audit/access-log", params={"actor": "pro_b", "limit": 2}, headers=county)).json()
    assert len(page1["items"]) == 2 and page1["next_cursor"]
    page2 = await client.get(
        "/api/audit/access-log", params={"actor": "pro_b", "limit": 2, "cursor": page1["next_cursor"]}, headers=county
    )
    assert page2.json()["items"][0]["seq"] < page1["items"][-1]["seq"]

    by_record = await client.get("/api/audit/access-log", params={"record_id": f"person:{person_id}"}, headers=city)
    outcomes = {(i["actor"], i["outcome"]) for i in by_record.json()["items"]}
    assert ("pro_b", "allowed") in outcomes and ("pro_qf", "refused") in outcomes  # the city sees the county's
    refused = await client.get("/api/audit/access-log", params={"outcome": "refused", "actor": "pro_qf"}, headers=other)
    assert refused.json()["items"], "曲阜's auditor sees its own prosecutor's refused attempt"
    foreign = await client.get("/api/audit/access-log", params={"actor": "pro_b"}, headers=other)
    assert foreign.json()["items"] == []  # another unit's reads of another unit's records

    today = (datetime.now(UTC) + timedelta(hours=8)).date()  # dates are whole days in Beijing
    window = {"actor": "pro_b", "from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}
    assert len((await client.get("/api/audit/access-log", params=window, headers=county)).json()["items"]) >= 5
    old = {"actor": "pro_b", "from": "2020-01-01", "to": "2020-12-31"}
    assert (await client.get("/api/audit/access-log", params=old, headers=county)).json()["items"] == []

    seq = items[0]["seq"]
    detail = await client.get(f"/api/audit/access-log/{seq}", headers=county)
    assert detail.status_code == 200 and detail.json()["hash_matches"] is True and len(detail.json()["prev_hash"]) == 64
    assert (await client.get(f"/api/audit/access-log/{seq}", headers=other)).status_code == 404
    assert (await client.get("/api/audit/access-log/999999999", headers=county)).status_code == 404

    request_id = items[0]["request_id"]
    same = await client.get("/api/audit/access-log", params={"request_id": request_id}, headers=county)
    assert [i["seq"] for i in same.json()["items"]] == [seq]
    qf_unit = (await accounts.repo.unit_by_name(OTHER_PROCURATORATE)).id  # type: ignore[union-attr]
    outside = await client.get("/api/audit/access-log", params={"unit": qf_unit}, headers=county)
    assert outside.status_code == 422 and outside.json()["errors"][0]["field"] == "unit"

    mine = await client.get("/api/audit/access-log", params={"actor": "aud_county"}, headers=county)
    assert {i["action"] for i in mine.json()["items"]} >= {"audit.access_log.list", "audit.access_log.read"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"outcome": "maybe"}, "outcome"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"from": "0001-01-01"}, "from"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "to"),
        ({"record_id": "person:abc"}, "record_id"),
        ({"action": "DROP TABLE"}, "action"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"request_id": "x' OR 1=1 --"}, "request_id"),
        ({"record_id": ID_NUMBER[:17] + "1"}, "record_id"),  # an auditor's query is logged: no ID number in it
        ({"target": f"id_number:{ID_NUMBER}"}, "target"),
        ({"actor": "张三丰"}, "actor"),
        ({"record_id": "13812345678"}, "record_id"),  # 11 digits: a phone number, not a record id
        ({"record_id": "zhang_san_gulou_street:1"}, "record_id"),
        ({"target": "zhangsan:37088120:1001012345000000"}, "target"),
        ({"unit": "²"}, "unit"),
        ({"unit": "999999"}, "unit"),
        ({"limit": "501"}, "limit"),
    ],
)
async def test_bad_filters_are_422_naming_the_field(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    await make_user("aud_f", "auditor")
    r = await client.get("/api/audit/access-log", params=params, headers=await auth(client, "aud_f"))
    assert r.status_code in (400, 422), r.text
    assert any(field in e["field"] for e in r.json()["errors"]), r.text


async def test_verify_and_csv_export(client: httpx.AsyncClient) -> None:
    await make_user("aud_v", "auditor")
    headers = await auth(client, "aud_v")
    await audit.access(None, "person.read", "allowed", "person:1", purpose='=HYPERLINK("http://x")')
    r = await client.get("/api/audit/verify", headers=headers)
    body = r.json()
    assert r.status_code == 200 and body["valid"] is True and body["first_bad_seq"] is None
    assert body["entries"] >= 1 and len(body["head_hash"]) == 64
    await audit.access(
        (await accounts.repo.principal_for_user((await accounts.repo.user_by_username("aud_v")).id)),  # type: ignore[union-attr]
        "person.read",
        "allowed",
        "person:77",
        record_unit=(await accounts.repo.unit_by_name(PROSECUTORATE)).id,  # type: ignore[union-attr]
        purpose='=HYPERLINK("http://evil")',
    )
    r = await client.get("/api/audit/access-log/export", params={"record_id": "person:77"}, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["seq", "at", "actor"]
    assert [r[5] for r in rows[1:]] == ["audit.access_log.export", "person.read"]  # the export logged itself first
    assert rows[2][7] == '\'=HYPERLINK("http://evil")'  # a spreadsheet shows it, never runs it


# ------------------------------------------------------------------------------------------- flags


async def test_anomalies_are_flagged(client: httpx.AsyncClient) -> None:
    await make_user("pro_f", "prosecutor")
    await make_user("aud_g", "auditor")
    headers = await auth(client, "aud_g")
    p = await accounts.repo.principal_for_user((await accounts.repo.user_by_username("pro_f")).id)  # type: ignore[union-attr]
    assert p is not None
    unit = p.unit_id

    async def read(target: str, at: datetime, purpose: str | None = None) -> None:
        await audit.record(
            audit.Event(
                action="person.read",
                outcome="allowed",
                actor=p.username,
                role=p.role,
                unit=unit,
                target=target,
                purpose=purpose,
                record_unit=unit,
            ),
            at=at,
        )

    workday_morning = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Beijing
    await read("person:1", workday_morning)
    await read("sealed_record:5", workday_morning + timedelta(minutes=1))
    await read("sealed_record:6", workday_morning + timedelta(minutes=2), purpose="grant:12")
    await read("person:2", datetime(2026, 11, 25, 15, 0, tzinfo=UTC))  # 23:00 in Beijing
    await read("person:3", datetime(2026, 11, 29, 2, 0, tzinfo=UTC))  # a Sunday
    burst = datetime(2026, 11, 26, 3, 0, 5, tzinfo=UTC)
    for i in range(31):
        await read(f"person:{100 + i}", burst + timedelta(seconds=i))
    r = await client.get("/api/audit/access-log", params={"actor": "pro_f", "limit": 500}, headers=headers)
    flags = {i["target"]: set(i["flags"]) for i in r.json()["items"]}
    assert flags["person:1"] == set()
    assert flags["sealed_record:5"] == {"sealed_read_without_grant"}
    assert flags["sealed_record:6"] == set()
    assert flags["person:2"] == {"off_hours"}
    assert flags["person:3"] == {"off_hours"}
    assert all(flags[f"person:{100 + i}"] == {"read_rate"} for i in range(31))
    only = await client.get("/api/audit/access-log", params={"actor": "pro_f", "flagged": "true"}, headers=headers)
    assert {i["target"] for i in only.json()["items"]} == {
        "sealed_record:5", "person:2", "person:3", *(f"person:{100 + i}" for i in range(31)),
    }  # fmt: skip
