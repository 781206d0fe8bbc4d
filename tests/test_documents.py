"""Issued documents (issue 5): numbering, stored copies, verification codes, the case summary, the
auditors' report. PDFs are read back with poppler and the QR code with zbarimg, as a reader would."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import subprocess
from datetime import date
from pathlib import Path

import httpx
import pytest

from helpers import (
    ENGINE,
    OTHER_PROCURATORATE,
    SAMPLE_CASE,
    auth,
    behind_the_guards,
    make_user,
    poppler,
    resident_id,
    squeeze,
)
from juvenile_justice import db
from juvenile_justice import protection as pf
from juvenile_justice.domain.accounts import repository as accounts_repo
from juvenile_justice.domain.audit import checkpoints
from juvenile_justice.domain.documents import case_documents, service
from juvenile_justice.domain.documents import repository as repo
from juvenile_justice.domain.documents.codes import normalise_code
from juvenile_justice.lib import audit_chain as chain
from juvenile_justice.lib.clock import today_china
from juvenile_justice.lib.crypto import ed25519_verify
from juvenile_justice.lib.pdf import RenderError
from juvenile_justice.lib.security import Principal
from test_audit_api import broken_log

HOSTILE = [
    '<link rel="attachment" href="file:///etc/passwd">',
    '<img src="http://169.254.169.254/latest/meta-data/">',
    "<style>@import url(file:///etc/passwd);</style>",
    '<svg><image href="file:///etc/hostname"/></svg>',
    "<script>alert(1)</script>",
]
SUSPECT_NAME = "司马青鸾"
SUSPECT_ID = resident_id(date(2006, 5, 4), male=False, seq=37)
CASE = {**SAMPLE_CASE, "title": "司马某某盗窃案"}


def qr_codes(data: bytes, tmp_path: Path) -> list[str]:
    """The QR codes on the PDF's pages, decoded by zbarimg from a 150 dpi rendering."""
    (tmp_path / "doc.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(tmp_path / "doc.pdf"), str(tmp_path / "page")], check=True)
    found = []
    for page in sorted(tmp_path.glob("page*.png")):
        out = subprocess.run(["zbarimg", "-q", "--raw", str(page)], capture_output=True, text=True)
        found += [line for line in out.stdout.splitlines() if line]
    return found


async def case_with_suspect(client: httpx.AsyncClient, user: str = "pro1", **over: object) -> tuple[dict, int]:
    await make_user(user, "prosecutor")
    headers = await auth(client, user)
    r = await client.post("/api/cases", json={**CASE, **over}, headers=headers)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    person = {"role": "suspect", "name": SUSPECT_NAME, "gender": "female", "id_number": SUSPECT_ID}
    r = await client.post(f"/api/cases/{case_id}/persons", json=person, headers=headers)
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/api/cases/{case_id}/steps",
        json={"kind": "受理", "occurred_on": "2021-03-10", "summary": "公安机关移送审查起诉。"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return headers, case_id


async def issue_summary(client: httpx.AsyncClient, headers: dict, case_id: int) -> dict:
    r = await client.post(f"/api/cases/{case_id}/documents", json={"kind": "case_summary"}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def log_rows(action: str, after: int = 0) -> list[dict]:
    """Access-log entries of ``action`` after ``after`` (the log is never emptied between tests)."""
    return await db.fetch("SELECT * FROM access_log WHERE action = {} AND seq > {} ORDER BY seq", action, after)


async def last_seq() -> int:
    row = await db.fetch_one("SELECT MAX(seq) AS seq FROM access_log")
    return int(row["seq"]) if row and row["seq"] is not None else 0


# ---------------------------------------------------------------------------------- case summary


async def test_a_case_summary_is_numbered_stored_logged_and_reads_back(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    before = await last_seq()
    headers, case_id = await case_with_suspect(client)
    year = today_china().year
    first = await issue_summary(client, headers, case_id)
    second = await issue_summary(client, headers, case_id)
    assert re.fullmatch(rf"U\d+摘〔{year}〕1号", first["number"]), first["number"]
    assert second["number"].endswith(f"摘〔{year}〕2号")
    assert first["status"] == "valid" and first["title"] == "案件摘要" and first["case_id"] == case_id
    assert normalise_code(first["verification_code"]) == first["verification_code"]

    r = await client.get(f"/api/documents/{first['id']}/pdf", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''" in r.headers["content-disposition"]  # named by its number
    assert r.headers["cache-control"] == "no-store"
    data = r.content
    assert first["pdf_hash"] == "sha256:" + hashlib.sha256(data).hexdigest() == r.headers["x-document-hash"]
    assert first["size_bytes"] == len(data)
    text = squeeze(poppler("pdftotext", data, tmp_path))
    code = first["verification_code"]
    grouped = "-".join(code[i : i + 4] for i in range(0, 16, 4))
    for part in ["济宁市任城区人民检察院", "案件摘要", first["number"], CASE["title"], SUSPECT_NAME, SUSPECT_ID,
                 "盗窃罪", "公安机关移送审查起诉。", "二〇二一年三月二日", grouped, f"/verify/{code}"]:  # fmt: skip
        assert part in text, part
    pages = first["pages"]
    assert pages >= 1 and all(f"第{n}页共{pages}页" in text for n in range(1, pages + 1))
    fonts = poppler("pdffonts", data, tmp_path)
    assert [line for line in fonts.splitlines() if "CJK-SC" in line and " yes yes yes " in line], fonts
    assert qr_codes(data, tmp_path) == [f"http://127.0.0.1:8000/verify/{code}"]

    issues = [r for r in await log_rows("document.issue", before) if r["target"] == f"document:{first['id']}"]
    assert len(issues) == 1 and issues[0]["purpose"] == f"case:{case_id}" and issues[0]["actor"] == "pro1"
    stores = [r for r in await log_rows("document.store", before) if r["target"] == f"document:{first['id']}"]
    assert len(stores) == 1 and stores[0]["purpose"] == first["pdf_hash"]
    reads = [r for r in await log_rows("document.read", before) if r["target"] == f"document:{first['id']}"]
    assert len(reads) == 1 and reads[0]["outcome"] == "allowed" and reads[0]["purpose"] == f"case:{case_id}"
    await make_user("aud1", "auditor")
    aud = await auth(client, "aud1")
    by_case = await client.get("/api/audit/access-log", params={"record_id": f"case:{case_id}"}, headers=aud)
    actions = {x["action"] for x in by_case.json()["items"]}
    assert {"case.create", "document.issue", "document.read"} <= actions  # the case's record finds its documents


async def test_the_verification_code_reveals_only_validity_issuer_and_date(client: httpx.AsyncClient) -> None:
    headers, case_id = await case_with_suspect(client)
    doc = await issue_summary(client, headers, case_id)
    code = doc["verification_code"]
    r = await client.get(f"/api/verify/{code}")
    assert r.status_code == 200
    assert r.json() == {"valid": True, "issued_by": "济宁市任城区人民检察院", "issued_on": doc["issued_on"]}
    typed = "-".join(code[i : i + 4] for i in range(0, 16, 4)).lower().replace("1", "l")
    assert (await client.get(f"/api/verify/{typed}")).json()["valid"] is True
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code[:8]) + "－" + code[8:]  # a Chinese input method
    assert (await client.get("/verify", params={"code": full_width + "\n"})).text.count('data-valid="true"') == 1
    assert (await client.get("/api/verify/%00")).status_code == 400  # NUL in a path: refused before routing
    for bad in ["0" * 16, "not-a-code", code[:-1], "x" * 64, "%E4%B8%AD" * 5]:
        r = await client.get(f"/api/verify/{bad}")
        assert r.status_code == 200 and r.json() == {"valid": False, "issued_by": None, "issued_on": None}, bad
    page = await client.get(f"/verify/{code}")
    assert page.status_code == 200 and "有效" in page.text and "济宁市任城区人民检察院" in page.text
    assert SUSPECT_NAME not in page.text and CASE["title"] not in page.text and "案件摘要" not in page.text
    form = await client.get("/verify", params={"code": "0000-0000-0000-0000"})
    assert form.status_code == 200 and 'data-valid="false"' in form.text


async def test_reissue_makes_a_new_numbered_copy_and_voids_the_old(client: httpx.AsyncClient, tmp_path: Path) -> None:
    headers, case_id = await case_with_suspect(client)
    old = await issue_summary(client, headers, case_id)
    r = await client.post(f"/api/documents/{old['id']}/reissue", json={"reason": "补充办案经过"}, headers=headers)
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["replaces"] == old["id"] and new["number"].endswith(f"摘〔{today_china().year}〕2号")
    meta = (await client.get(f"/api/documents/{old['id']}", headers=headers)).json()
    assert meta["status"] == "superseded" and meta["replaced_by"] == new["id"]
    assert (await client.get(f"/api/verify/{old['verification_code']}")).json()["valid"] is False
    assert (await client.get(f"/api/verify/{new['verification_code']}")).json()["valid"] is True
    again = await client.post(f"/api/documents/{old['id']}/reissue", json={"reason": "再次"}, headers=headers)
    assert again.status_code == 409
    data = (await client.get(f"/api/documents/{new['id']}/pdf", headers=headers)).content
    text = squeeze(poppler("pdftotext", data, tmp_path))
    assert old["number"] in text and "补充办案经过" in text
    # the old copy stays readable, unchanged
    assert (await client.get(f"/api/documents/{old['id']}/pdf", headers=headers)).status_code == 200
    bad_reasons = ["", "   ", f"更正{SUSPECT_NAME}的信息", f"号码{SUSPECT_ID}有误", "x" * 201, "联系电话17523338808"]
    bad_reasons += ["电话１７５２３３３８８０８", "\u3164\u3164", "\u2800\u2800", "\u034f\u034f"]  # full-width, blanks
    for reason in bad_reasons:
        bad = await client.post(f"/api/documents/{new['id']}/reissue", json={"reason": reason}, headers=headers)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "reason", reason
    assert (await client.get(f"/api/documents/{new['id']}", headers=headers)).json()["status"] == "valid"


async def test_who_may_see_what(client: httpx.AsyncClient) -> None:
    before = await last_seq()
    headers, case_id = await case_with_suspect(client)
    doc = await issue_summary(client, headers, case_id)
    await make_user("aid1", "aid_officer")
    await make_user("pro2", "prosecutor")
    await make_user("far1", "prosecutor", OTHER_PROCURATORATE)
    await make_user("judge1", "judge")
    await make_user("aud1", "auditor")
    aid, pro2, far, judge, aud = [await auth(client, u) for u in ("aid1", "pro2", "far1", "judge1", "aud1")]
    base = f"/api/documents/{doc['id']}"
    assert (await client.get(f"/api/cases/{case_id}/documents", headers=aid)).json()["items"][0]["id"] == doc["id"]
    assert (await client.get(base, headers=aid)).status_code == 200  # metadata: nothing personal
    refused = await client.get(f"{base}/pdf", headers=aid)  # content: case prosecutors only
    assert refused.status_code == 403 and "open this document" in refused.json()["detail"]
    assert (await client.get(f"{base}/pdf", headers=pro2)).status_code == 403
    r = await client.post(f"/api/cases/{case_id}/documents", json={"kind": "case_summary"}, headers=pro2)
    assert r.status_code == 403
    unknown = await client.get("/api/documents/999999", headers=far)
    for h in (far,):
        assert (await client.get(base, headers=h)).json()["detail"] == unknown.json()["detail"]  # tells nothing
        assert (await client.get(base, headers=h)).status_code == 404
        assert (await client.get(f"{base}/pdf", headers=h)).status_code == 404
        assert (await client.get(f"/api/cases/{case_id}/documents", headers=h)).status_code == 404
    assert (await client.get(f"{base}/pdf", headers=judge)).status_code == 404  # judges read only their query decisions
    assert (await client.get(f"{base}/pdf", headers=aud)).status_code == 404
    assert (await client.get("/api/documents/999999", headers=headers)).status_code == 404
    r = await client.post(f"/api/cases/{case_id}/documents", json={"kind": "verdict"}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kind"
    refused = await db.fetch(
        "SELECT actor FROM access_log WHERE outcome = 'refused' AND target = {} AND seq > {}",
        f"document:{doc['id']}",
        before,
    )
    assert {"aid1", "pro2", "far1", "judge1", "aud1"} <= {r["actor"] for r in refused}


async def test_hostile_case_fields_render_as_text_and_fetch_nothing(client: httpx.AsyncClient, tmp_path: Path) -> None:
    headers, case_id = await case_with_suspect(client, title="".join(HOSTILE)[:200])
    for summary in HOSTILE:
        r = await client.post(
            f"/api/cases/{case_id}/steps", json={"kind": "讯问", "occurred_on": "2021-03-11", "summary": summary},
            headers=headers,
        )  # fmt: skip
        assert r.status_code == 201, r.text
    doc = await issue_summary(client, headers, case_id)
    data = (await client.get(f"/api/documents/{doc['id']}/pdf", headers=headers)).content
    text = squeeze(poppler("pdftotext", data, tmp_path, "-raw"))
    for item in HOSTILE:
        assert squeeze(item) in text, item
    listing = poppler("pdfdetach", data, tmp_path, "-list")
    assert re.search(r"^0 embedded files", listing, re.M), listing
    assert len(poppler("pdfimages", data, tmp_path, "-list").splitlines()) == 3  # header + the QR code only
    assert b"root:" not in data


# ---------------------------------------------------------------------------------- storage


async def test_issued_documents_and_copies_cannot_be_changed_or_deleted(client: httpx.AsyncClient) -> None:
    headers, case_id = await case_with_suspect(client)
    doc = await issue_summary(client, headers, case_id)
    attempts = [
        "UPDATE issued_document SET number = 'x' WHERE id = {}",
        "UPDATE issued_document SET verification_code = '0000000000000000' WHERE id = {}",
        "DELETE FROM issued_document WHERE id = {}",
        "UPDATE document_copy SET pdf_hash = 'sha256:00' WHERE id = {}",
        "DELETE FROM document_copy WHERE id = {}",
    ]
    for sql in attempts:
        with pytest.raises(Exception, match="cannot be"):
            async with db.transaction():
                await db.fetch(sql, doc["id"])
    if ENGINE == "postgresql":
        with pytest.raises(Exception, match="cannot be"):
            await db.execute_script(["TRUNCATE document_copy"])
    row = await db.fetch_one("SELECT number FROM issued_document WHERE id = {}", doc["id"])
    assert row == {"number": doc["number"]}


async def test_a_changed_copy_is_an_integrity_failure(client: httpx.AsyncClient) -> None:
    before = await last_seq()
    headers, case_id = await case_with_suspect(client)
    doc = await issue_summary(client, headers, case_id)
    binding = repo.copy_binding({"id": doc["id"], "pdf_hash": doc["pdf_hash"]})  # sealed right, other bytes
    forged = pf.seal("document_copy", "pdf", binding, base64.b64encode(b"%PDF-1.7 forged").decode())
    async with db.transaction():  # an envelope is accepted (keys are re-wrapped in place); the hash is not
        await db.fetch("UPDATE document_copy SET pdf = {} WHERE id = {}", forged, doc["id"])
    r = await client.get(f"/api/documents/{doc['id']}/pdf", headers=headers)
    assert r.status_code == 500 and r.json()["title"] == "integrity" and "forged" not in r.text
    failed = [x for x in await log_rows("document.read", before) if x["outcome"] == "failed"]
    assert failed and failed[-1]["target"] == f"document:{doc['id']}"


async def test_a_failed_render_leaves_no_gap_and_is_retried(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers, case_id = await case_with_suspect(client)

    async def broken(*_a: object, **_k: object) -> object:
        raise RenderError("worker died")

    with monkeypatch.context() as m:
        m.setattr(service.RENDERER, "render", broken)
        damaged = await issue_summary(client, headers, case_id)  # its seal will fail: it must not block others
        doc = await issue_summary(client, headers, case_id)
        assert doc["status"] == "pending" and doc["pdf_hash"] is None
        assert (await client.get(f"/api/verify/{doc['verification_code']}")).json()["valid"] is False
        r = await client.get(f"/api/documents/{doc['id']}/pdf", headers=headers)
        assert r.status_code == 503
    async with db.transaction():  # content may be re-sealed in place (rewrap): here, under the wrong identity
        junk = pf.seal("issued_document", "content", "elsewhere", "{}")
        await db.fetch("UPDATE issued_document SET content = {} WHERE id = {}", junk, damaged["id"])
    monkeypatch.setattr(service, "PENDING_AFTER_SECONDS", 0)  # (it leaves fresh ones to their own request)
    assert await service.render_pending() == 1  # the background retry stores the sound one, skips the other
    assert (await client.get(f"/api/verify/{doc['verification_code']}")).json()["valid"] is True
    r = await client.get(f"/api/documents/{doc['id']}/pdf", headers=headers)
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")
    assert (await issue_summary(client, headers, case_id))["number"].endswith(f"〔{today_china().year}〕3号")


async def test_an_issue_that_cannot_be_logged_takes_no_number(client: httpx.AsyncClient) -> None:
    headers, case_id = await case_with_suspect(client)
    async with broken_log():
        r = await client.post(f"/api/cases/{case_id}/documents", json={"kind": "case_summary"}, headers=headers)
        assert r.status_code == 503
    assert await db.fetch("SELECT id FROM issued_document") == []
    assert (await issue_summary(client, headers, case_id))["number"].endswith(f"〔{today_china().year}〕1号")


async def test_concurrent_issues_get_consecutive_numbers(client: httpx.AsyncClient) -> None:
    """200 documents issued at once (on PostgreSQL: concurrent transactions on a pool) → 1..200, no gap."""
    await make_user("pro1", "prosecutor")
    user = await accounts_repo.user_by_username("pro1")
    assert user is not None
    p = Principal(user.id, "pro1", "prosecutor", user.unit_id, "济宁市任城区人民检察院", "procuratorate", frozenset())
    kind = case_documents.CASE_SUMMARY
    ids = await asyncio.gather(*(service.issue(p, kind, {"n": i}) for i in range(200)))
    rows = await db.fetch("SELECT serial, number FROM issued_document ORDER BY serial")
    assert [r["serial"] for r in rows] == list(range(1, 201))
    assert len({r["number"] for r in rows}) == 200 and len(set(ids)) == 200
    counter = await db.fetch_one("SELECT last_value FROM document_counter")
    assert counter == {"last_value": 200}


async def test_identity_columns_rewritten_behind_the_guards_make_a_document_invalid(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """The guards can be passed by whoever owns the database (SQLite's INSERT OR REPLACE without
    recursive triggers; PostgreSQL's owner disabling triggers): the seals still tell."""
    headers, case_id = await case_with_suspect(client)
    doc = await issue_summary(client, headers, case_id)
    other = await issue_summary(client, headers, case_id)
    forged_code = "FRGDFRGDFRGDFRGD"
    if ENGINE == "sqlite":
        with pytest.raises(Exception, match="cannot be"):  # the service's own connections fire the guards
            async with db.transaction():
                await db.fetch(
                    "INSERT OR REPLACE INTO issued_document SELECT * FROM issued_document WHERE id = {}", doc["id"]
                )
        import sqlite3

        from juvenile_justice.settings import get_settings

        raw = sqlite3.connect(get_settings().sqlite_path)  # an intruder's connection: no recursive triggers
        columns = [r[1] for r in raw.execute("PRAGMA table_info(issued_document)")]
        picked = ", ".join(f"'{forged_code}'" if c == "verification_code" else c for c in columns)
        raw.execute(
            f"INSERT OR REPLACE INTO issued_document SELECT {picked} FROM issued_document WHERE id = ?", (doc["id"],)
        )
        raw.execute("UPDATE document_copy SET pdf = (SELECT pdf FROM document_copy WHERE id = ?) WHERE id = ?",
                    (other["id"], doc["id"]))  # fmt: skip
        raw.commit()
        raw.close()
    else:
        await db.execute_script(
            ["ALTER TABLE issued_document DISABLE TRIGGER USER", "ALTER TABLE document_copy DISABLE TRIGGER USER"]
        )
        try:
            await db.fetch("UPDATE issued_document SET verification_code = {} WHERE id = {}", forged_code, doc["id"])
            await db.fetch(
                "UPDATE document_copy SET pdf = (SELECT pdf FROM document_copy WHERE id = {}) WHERE id = {}",
                other["id"],
                doc["id"],
            )
        finally:
            await db.execute_script(
                ["ALTER TABLE issued_document ENABLE TRIGGER USER", "ALTER TABLE document_copy ENABLE TRIGGER USER"]
            )
    assert (await client.get(f"/api/verify/{forged_code}")).json()["valid"] is False
    r = await client.get(f"/api/documents/{doc['id']}/pdf", headers=headers)
    assert r.status_code == 500 and r.json()["title"] == "integrity"
    # a forged "reissue" of a genuine document does not void it
    junk = pf.seal("issued_document", "content", "forged", "{}")
    async with db.transaction():
        row = await db.fetch_one("SELECT * FROM issued_document WHERE id = {}", other["id"])
        assert row is not None
        forged = {**row, "id": 9999, "serial": 999, "number": "伪999号", "verification_code": "0" * 16,
                  "replaces": other["id"], "content": junk}  # fmt: skip
        await db.fetch(
            f"INSERT INTO issued_document ({', '.join(forged)}) VALUES ({', '.join('{}' for _ in forged)})",
            *forged.values(),
        )
    assert (await client.get(f"/api/verify/{other['verification_code']}")).json()["valid"] is True
    # an identity column rewritten: logged-in reads refuse it too
    await behind_the_guards(f"UPDATE issued_document SET issued_on = '2020-01-01' WHERE id = {other['id']}")
    r = await client.get(f"/api/documents/{other['id']}", headers=headers)
    assert r.status_code == 500 and r.json()["title"] == "integrity"


async def test_a_reissue_cannot_be_undone_in_the_tables(client: httpx.AsyncClient) -> None:
    """Unlinking or deleting the reissue leaves the old document void: the voiding is in the access log."""
    headers, case_id = await case_with_suspect(client)
    old = await issue_summary(client, headers, case_id)
    r = await client.post(f"/api/documents/{old['id']}/reissue", json={"reason": "补充办案经过"}, headers=headers)
    new = r.json()
    await behind_the_guards(f"UPDATE issued_document SET replaces = NULL WHERE id = {new['id']}")
    assert (await client.get(f"/api/verify/{old['verification_code']}")).json()["valid"] is False
    await behind_the_guards(
        f"DELETE FROM document_copy WHERE id = {new['id']}", f"DELETE FROM issued_document WHERE id = {new['id']}"
    )
    assert (await client.get(f"/api/verify/{old['verification_code']}")).json()["valid"] is False


async def test_number_counters_only_go_up_by_one(client: httpx.AsyncClient) -> None:
    headers, case_id = await case_with_suspect(client)
    await issue_summary(client, headers, case_id)
    for sql in [
        "UPDATE document_counter SET last_value = last_value + 5",
        "UPDATE document_counter SET last_value = last_value - 1",
        "DELETE FROM document_counter",
    ]:
        with pytest.raises(Exception, match="counter"):
            async with db.transaction():
                await db.fetch(sql)
    assert (await issue_summary(client, headers, case_id))["number"].endswith(f"〔{today_china().year}〕2号")
    for moved in ("last_value = 1", "last_value = 7"):  # behind the guards: back (duplicates) or ahead (a gap)
        await behind_the_guards(f"UPDATE document_counter SET {moved}")
        r = await client.post(f"/api/cases/{case_id}/documents", json={"kind": "case_summary"}, headers=headers)
        assert r.status_code == 500 and r.json()["title"] == "integrity", r.text
    assert len(await db.fetch("SELECT id FROM issued_document")) == 2


async def test_a_long_case_makes_a_bounded_summary(client: httpx.AsyncClient, tmp_path: Path) -> None:
    headers, case_id = await case_with_suspect(client)
    long_text = "经查明，" + "某某于某日在某地实施了盗窃行为。" * 260  # about 4,000 characters
    for day in range(1, 6):
        r = await client.post(
            f"/api/cases/{case_id}/steps",
            json={"kind": "讯问", "occurred_on": f"2021-03-{10 + day}", "summary": long_text[:4000]},
            headers=headers,
        )
        assert r.status_code == 201, r.text
    doc = await issue_summary(client, headers, case_id)
    r = await client.get(f"/api/documents/{doc['id']}/pdf", headers=headers)
    assert r.status_code == 200, r.text
    text = squeeze(poppler("pdftotext", r.content, tmp_path))
    assert "…" in text and squeeze(long_text[:4000]) not in text and doc["pages"] < 10


# ---------------------------------------------------------------------------------- auditors' report


async def test_the_auditors_report_is_signed_and_carries_the_head_and_checkpoint(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    headers, _ = await case_with_suspect(client)
    await make_user("aud1", "auditor")
    aud = await auth(client, "aud1")
    today = today_china().isoformat()
    r = await client.post("/api/audit/reports", json={"from": today, "to": today, "outcome": "allowed"}, headers=aud)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["kind"] == "access_log_report" and "审计〔" in doc["number"] and doc["status"] == "valid"
    data = (await client.get(f"/api/documents/{doc['id']}/pdf", headers=aud)).content
    text = squeeze(poppler("pdftotext", data, tmp_path))
    content = await repo.content_of(doc["id"])
    assert "访问日志审计报告" in text and content["log_check"]["head_hash"] in text
    assert content["log_check"]["valid"] is True and content["counts"]["total"] >= 3
    assert content["checkpoint"] and squeeze(content["checkpoint"].split("\n")[3]) in text  # "size N"
    _, public = checkpoints.signing_key(create=False)
    meta = (await client.get(f"/api/documents/{doc['id']}", headers=aud)).json()
    assert meta["signing_key_id"] == content["key_id"] == chain.key_id(public)
    assert ed25519_verify(public, base64.b64decode(meta["signature"]), meta["statement"].encode())
    assert not ed25519_verify(public, base64.b64decode(meta["signature"]), meta["statement"].encode() + b"x")
    assert f"entries {content['counts']['total']} allowed" in meta["statement"]
    assert SUSPECT_NAME not in text and SUSPECT_ID not in text
    listing = await client.get("/api/audit/reports", headers=aud)
    assert listing.status_code == 200, listing.text
    listed = listing.json()["items"]
    assert [x["id"] for x in listed] == [doc["id"]]
    assert (await client.get(f"/api/documents/{doc['id']}/pdf", headers=headers)).status_code == 404
    assert (
        await client.post("/api/audit/reports", json={"from": today, "to": today}, headers=headers)
    ).status_code == 403
    for body, field in [
        ({"from": today, "to": "2000-01-01"}, "to"),
        ({"from": today, "to": "2099-01-01"}, "to"),
        ({"from": "2020-01-01", "to": today}, "to"),
        ({"from": today}, "to"),
        ({"from": today, "to": today, "record_id": "张三"}, "record_id"),
        ({"from": today, "to": today, "unit": 999999}, "unit"),
        ({"from": today, "to": today, "actor": "13800138000"}, "actor"),
        ({"from": today, "to": today, "actor": "138-0013-8000"}, "actor"),
    ]:
        r = await client.post("/api/audit/reports", json=body, headers=aud)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, (body, r.text)


# ---------------------------------------------------------------------------------- rate limit


async def test_verification_is_rate_limited_per_client(monkeypatch: pytest.MonkeyPatch) -> None:
    from juvenile_justice.app import create_app
    from juvenile_justice.settings import get_settings

    monkeypatch.setenv("JJ_VERIFY_PER_MINUTE", "3")
    get_settings.cache_clear()
    try:
        app = create_app()
    finally:
        monkeypatch.setenv("JJ_VERIFY_PER_MINUTE", os.environ.get("JJ_VERIFY_PER_MINUTE", "100000"))
        monkeypatch.undo()
        get_settings.cache_clear()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        answers = [(await c.get("/api/verify/0000000000000000")).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        r = await c.get("/verify/0000000000000000")
        assert r.status_code == 429
        assert (await c.get("/health")).status_code == 200  # nothing else is limited


async def test_the_served_address_is_printed_when_no_public_url_is_set(live_server: str, tmp_path: Path) -> None:
    """``serve`` without JJ_PUBLIC_URL prints (and QR-encodes) the address it serves."""
    assert "JJ_PUBLIC_URL" not in os.environ
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as c:
        headers, case_id = await case_with_suspect(c)
        doc = await issue_summary(c, headers, case_id)
        data = (await c.get(f"/api/documents/{doc['id']}/pdf", headers=headers)).content
    assert qr_codes(data, tmp_path) == [f"{live_server.rstrip('/')}/verify/{doc['verification_code']}"]
