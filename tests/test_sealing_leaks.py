"""The no-leak property of sealing (issue 6, point 3; R-SEAL-5; product-anchors.md §3.6, the DAWSON leaks).

A world with one wholly sealed case (a juvenile suspect, a guardian, a step, a judgment, and a case
summary issued before the seal) and one case whose juvenile suspect is sealed beside an adult co-offender
is walked route by route: every route of the application, found by introspection (so a route added later
is walked without anyone remembering to add it), as every role and anonymously, with every path parameter
bound to each object of the world. No answer — body, headers, or the text of a PDF read back with
poppler — may hold a sealed value (names, ID numbers, phone, address, the sealed case's title and number,
its step summary, the sealed decisions' document numbers).

The lawful exceptions are listed in ``World.lawful`` and checked for the opposite (they do name the person):
the 犯罪记录封存通知书 and the 无犯罪记录证明 read by the prosecutor who issued them (they tell the police whose
records to seal, and the person that no record was found), and the record read by the judge whose lawful
query was approved.
:func:`test_the_walk_catches_a_route_that_leaks` adds a route that bypasses the sealing-aware layer and
checks that the walk reports it.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar, get
from litestar.params import FromPath
from litestar.routes import HTTPRoute

from helpers import PASSWORD, SAMPLE_CASE, make_user, resident_id
from juvenile_justice import db
from juvenile_justice.domain.accounts import service as accounts
from juvenile_justice.domain.cases import repository as cases_repo

SKIPPED_PREFIXES = ("/static", "/schema")
SKIPPED_METHODS = frozenset({"HEAD", "OPTIONS"})
PRINCIPALS = ("pro1", "pro2", "judge1", "aid1", "aud1", "adm1", None)
"""pro1 prosecutes both cases and sealed them; pro2 is another prosecutor of the unit; None is anonymous."""

J1 = {"role": "suspect", "name": "慕容飞雪", "gender": "female",
      "id_number": resident_id(date(2004, 7, 9), male=False, seq=51),
      "phone": "13912345678", "address": "济宁市任城区仙营街道柳行路88号"}  # fmt: skip
G1 = {
    "role": "guardian",
    "name": "慕容铁山",
    "gender": "male",
    "id_number": resident_id(date(1978, 1, 3), male=True, seq=52),
}
J2 = {
    "role": "suspect",
    "name": "皇甫青禾",
    "gender": "male",
    "id_number": resident_id(date(2005, 2, 4), male=True, seq=53),
}
ADULT = {
    "role": "suspect",
    "name": "公孙大成",
    "gender": "male",
    "id_number": resident_id(date(1998, 8, 8), male=True, seq=54),
}
SEALED_TITLE = "慕容某某寻衅滋事案"
STEP_SUMMARY = "在校门口强行索要财物三次，金额合计四百二十元。"
DOC_A = "任刑初字〔2021〕1306号"
DOC_B = "任刑初字〔2021〕1307号"


@dataclass
class World:
    ids: dict[str, list[int]]
    codes: list[str]
    sealed_values: list[str]
    lawful: set[tuple[str, str]] = field(default_factory=set)
    """(user, path) pairs that lawfully show sealed values: the sealing notices for their issuer."""


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any], h: dict[str, str]) -> dict[str, Any]:
    r = await client.post(path, json=body, headers=h)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _decision(person_id: int, number: str) -> dict[str, Any]:
    return {"person_id": person_id, "kind": "judgment", "decision_date": "2021-09-01", "effective_date": "2021-09-12",
            "document_number": number, "sentence_kind": "fixed_term", "sentence_months": 30}  # fmt: skip


TOKENS: dict[str, str] = {}


async def bearer(user: str) -> dict[str, str]:
    if user not in TOKENS:
        TOKENS[user] = (await accounts.log_in(user, PASSWORD, "bearer")).token
    return {"Authorization": f"Bearer {TOKENS[user]}"}


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    TOKENS.clear()
    for user, role in (("pro1", "prosecutor"), ("pro2", "prosecutor"), ("judge1", "judge"), ("aid1", "aid_officer"),
                       ("aud1", "auditor"), ("adm1", "admin")):  # fmt: skip
        await make_user(user, role)
    h = await bearer("pro1")
    case_a = await _post(client, "/api/cases", {**SAMPLE_CASE, "title": SEALED_TITLE}, h)
    j1 = await _post(client, f"/api/cases/{case_a['id']}/persons", J1, h)
    g1 = await _post(client, f"/api/cases/{case_a['id']}/persons", G1, h)
    await _post(
        client,
        f"/api/cases/{case_a['id']}/steps",
        {"kind": "讯问", "occurred_on": "2021-03-11", "summary": STEP_SUMMARY},
        h,
    )
    decision_a = await _post(client, f"/api/cases/{case_a['id']}/decisions", _decision(j1["id"], DOC_A), h)
    summary_a = await _post(client, f"/api/cases/{case_a['id']}/documents", {"kind": "case_summary"}, h)
    sealed_a = await _post(client, f"/api/persons/{j1['id']}/sealing", {"decision_id": decision_a["id"]}, h)

    case_b = await _post(client, "/api/cases", {**SAMPLE_CASE, "title": "公孙某某等盗窃案"}, h)
    j2 = await _post(client, f"/api/cases/{case_b['id']}/persons", J2, h)
    adult = await _post(client, f"/api/cases/{case_b['id']}/persons", ADULT, h)
    decision_b = await _post(client, f"/api/cases/{case_b['id']}/decisions", _decision(j2["id"], DOC_B), h)
    await _post(client, f"/api/cases/{case_b['id']}/decisions", _decision(adult["id"], "任刑初字〔2021〕1308号"), h)
    sealed_b = await _post(client, f"/api/persons/{j2['id']}/sealing", {"decision_id": decision_b["id"]}, h)
    summary_b = await _post(client, f"/api/cases/{case_b['id']}/documents", {"kind": "case_summary"}, h)

    # a judge's approved query of record A, a refused one, a pending unseal request for B, a certificate
    query = {"purpose": "审理另案需核实前科", "legal_basis": "《中华人民共和国刑事诉讼法》第二百八十六条",
             "requesting_unit": "济宁市任城区人民法院", "requesting_unit_type": "court"}  # fmt: skip
    granted = await _post(client, f"/api/sealed-records/{sealed_a['id']}/query-requests", query, await bearer("judge1"))
    r = await client.post(f"/api/query-requests/{granted['id']}/decision",
                          json={"approve": True, "reason": "审判需要", "valid_days": 3},
                          headers=await bearer("pro2"))  # fmt: skip
    assert r.status_code == 200, r.text
    decision_doc = r.json()["document_id"]
    refused = await _post(client, f"/api/sealed-records/{sealed_b['id']}/query-requests",
                          {**query, "requesting_unit": "某公司", "requesting_unit_type": "other"}, h)  # fmt: skip
    unseal = {"rule": "retrial", "reason": "再审改判", "combined_sentence_months": 72,
              "judgment_document_number": "(2022)鲁08刑再1号"}  # fmt: skip
    r = await client.post(f"/api/sealed-records/{sealed_b['id']}/unseal", json=unseal, headers=await bearer("pro2"))
    assert r.status_code == 202, r.text
    unseal_id = r.json()["unseal_request_id"]
    cert = await _post(
        client,
        "/api/no-record-certificates",
        {"id_number": J1["id_number"], "name": J1["name"], "applicant": "self"},
        h,
    )

    docs = [summary_a["id"], sealed_a["document_id"], sealed_b["document_id"], summary_b["id"], decision_doc,
            cert["document_id"]]  # fmt: skip
    codes = [r["verification_code"] for r in await db.fetch("SELECT verification_code FROM issued_document")]
    seqs = [int(r["seq"]) for r in await db.fetch("SELECT seq FROM access_log ORDER BY seq DESC LIMIT 3")]
    case_number_a = str(case_a["case_number"])
    values = [J1["name"], J1["id_number"], J1["phone"], J1["address"], G1["name"], G1["id_number"], J2["name"],
              J2["id_number"], SEALED_TITLE, case_number_a, STEP_SUMMARY, DOC_A, DOC_B]  # fmt: skip
    issued = (sealed_a["document_id"], sealed_b["document_id"], cert["document_id"])
    lawful = {("pro1", f"/api/documents/{d}/pdf") for d in issued} | {("pro1", f"/documents/{d}/pdf") for d in issued}
    lawful |= {("judge1", f"/api/sealed-records/{sealed_a['id']}"), ("judge1", f"/sealed-records/{sealed_a['id']}")}
    return World(
        ids={
            "case_id": [case_a["id"], case_b["id"]],
            "person_id": [j1["id"], g1["id"], j2["id"], adult["id"]],
            "document_id": docs,
            "seq": seqs,
            "record_id": [sealed_a["id"], sealed_b["id"]],
            "request_id": [granted["id"], refused["id"]],
            "unseal_request_id": [unseal_id],
        },
        codes=codes,
        sealed_values=values,
        lawful=lawful,
    )


# ------------------------------------------------------------------------------------------ the walk

_PARAM = re.compile(r"\{(\w+)(?::[^}]+)?\}")
EXTRA_QUERIES = {
    "/api/cases": ["?q=慕容", "?q=" + "任检未受", "?charge=寻衅滋事罪"],
    "/cases": ["?q=慕容"],
    "/api/audit/access-log": ["?limit=500"],
    "/audit": ["?limit=500"],
}
"""Searches worth trying on list routes besides the bare path (a sealed case must not be found)."""


def walked_routes(app: Litestar) -> list[tuple[str, str]]:
    """Every (METHOD, path) the app serves, bar static files, /schema*, HEAD and OPTIONS, and the
    log-outs (they answer nothing and would end the walk's sessions)."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(SKIPPED_PREFIXES):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods - SKIPPED_METHODS:
                found.add((method, route.path))
    return sorted(x for x in found if not x[1].endswith("logout"))


def bindings(path: str, w: World) -> Iterable[str]:
    """The path with its parameters bound to every combination of the world's objects."""
    names = _PARAM.findall(path)
    choices = [w.codes if n == "code" else w.ids.get(n, [1]) for n in names]
    for combo in itertools.product(*choices):
        parts = _PARAM.split(path)  # text, name, text, name, ..., text
        yield "".join(str(combo[i // 2]) if i % 2 else part for i, part in enumerate(parts))


def body_for(path: str, w: World) -> dict[str, Any]:
    """A body that asks for sealed data where a route takes an ID number, else a generic one."""
    if path.endswith("lookup") or path.endswith("/hash"):
        return {"id_number": J1["id_number"], "kind": "id_number", "value": J1["id_number"]}
    return {"kind": "case_summary", "reason": "核对", "q": "慕容"}


def readable_text(r: httpx.Response, tmp_path: Path) -> str:
    """Everything a client could read from the answer: headers, body, and a PDF's text."""
    text = " ".join(f"{k}: {v}" for k, v in r.headers.items()) + "\n" + r.text
    if r.headers.get("content-type", "").startswith("application/json"):
        text += json.dumps(r.json(), ensure_ascii=False)
    if r.content.startswith(b"%PDF"):
        (tmp_path / "walk.pdf").write_bytes(r.content)
        text += subprocess.run(["pdftotext", str(tmp_path / "walk.pdf"), "-"], capture_output=True, text=True,
                               check=True).stdout  # fmt: skip
        text += re.sub(r"\s+", "", text)
    return text


async def walk(client: httpx.AsyncClient, routes: list[tuple[str, str]], w: World, tmp_path: Path) -> list[str]:
    """Send every route × principal × binding; the leaks found (``METHOD path [user]: value``)."""
    leaks: list[str] = []
    sessions = {u: (await accounts.log_in(u, PASSWORD, "session")).token for u in PRINCIPALS if u}
    for method, template in routes:
        api = template.startswith("/api/")
        for path in bindings(template, w):
            for query in [""] + (EXTRA_QUERIES.get(path, []) if method == "GET" else []):
                for user in PRINCIPALS:
                    client.cookies.clear()
                    headers: dict[str, str] = {}
                    if user and api:
                        headers = await bearer(user)
                    elif user:
                        client.cookies.set("jj_session", sessions[user])
                    if method == "GET":
                        r = await client.get(path + query, headers=headers)
                    elif api:
                        r = await client.request(method, path, json=body_for(path, w), headers=headers)
                    else:
                        r = await client.request(method, path, data=body_for(path, w), headers=headers)
                    assert r.status_code < 500, f"{method} {path}{query} [{user}] → {r.status_code} {r.text[:200]}"
                    if (user, path) in w.lawful:
                        continue
                    text = readable_text(r, tmp_path)
                    leaks += [f"{method} {path}{query} [{user}]: {v}" for v in w.sealed_values if v in text]
    return leaks


async def test_no_route_answers_sealed_content(
    app: Litestar, client: httpx.AsyncClient, world: World, tmp_path: Path
) -> None:
    """Every route, every role, every object: no sealed value in any answer (R-SEAL-5)."""
    routes = walked_routes(app)
    assert len(routes) > 60 and ("POST", "/api/sealed-status/lookup") in routes
    leaks = await walk(client, routes, world, tmp_path)
    assert not leaks, "\n".join(leaks[:40])


async def test_the_lawful_exception_does_name_the_person(
    client: httpx.AsyncClient, world: World, tmp_path: Path
) -> None:
    """The sealing notice, for its issuer, names the person: the walk's exception is a real one."""
    for user, path in sorted(world.lawful):
        if not path.startswith("/api/"):
            continue
        r = await client.get(path, headers=await bearer(user))
        assert r.status_code == 200, r.text
        text = readable_text(r, tmp_path)
        assert J1["name"] in text or J2["name"] in text, path


async def test_the_walk_catches_a_route_that_leaks(
    app: Litestar, client: httpx.AsyncClient, world: World, tmp_path: Path
) -> None:
    """A route that reads persons past the sealing-aware layer is reported by the same walk."""
    from juvenile_justice.app import create_app

    @get("/api/rogue/{case_id:int}", include_in_schema=False)
    async def rogue(case_id: FromPath[int]) -> dict[str, list[str]]:
        persons = await cases_repo.persons_of_case(case_id, include_sealed=True)
        return {"names": [p.name for p in persons]}

    leaky = create_app()
    leaky.register(rogue)
    transport = httpx.ASGITransport(app=leaky)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        routes = [x for x in walked_routes(leaky) if x not in set(walked_routes(app))]
        assert routes == [("GET", "/api/rogue/{case_id:int}")]
        leaks = await walk(other, routes, world, tmp_path)
    assert any(J1["name"] in x for x in leaks) and any(J2["name"] in x for x in leaks), leaks
