"""Authorization matrix: every route × every role (API.md "Units, users, roles").

The routes are found by introspecting the Litestar app; :data:`MATRIX` holds the expected outcome
for each (METHOD, path template) and each of the five roles plus ``anonymous``. A route the app
serves without a row here fails :func:`test_every_route_has_a_row` (so a new route forces a new row),
and so does a row for a route that no longer exists.

Outcome classes:

* ``ALLOWED``   2xx (or 3xx for pages, other than an anonymous bounce to ``/login``);
* ``REFUSED``   401 for anonymous API calls, a redirect to ``/login`` for anonymous pages,
                403 for a logged-in role that may not use the route;
* ``NOT_FOUND`` 404.

Every user of the first dimension belongs to 济宁市任城区人民检察院 (the refusals below are therefore
role refusals, not unit refusals); ``prosecutor`` is the creator, i.e. the case prosecutor, of the
case that every ``{case_id}`` / ``{person_id}`` points at. The second dimension is a prosecutor of
曲阜市人民检察院 hitting the same ids: 404 on every case/person route.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from helpers import OTHER_PROCURATORATE, PASSWORD, behind_the_guards, make_user, resident_id
from juvenile_justice import db
from juvenile_justice.domain.accounts import repository as accounts_repo
from juvenile_justice.domain.accounts import service as accounts
from juvenile_justice.domain.cases.summary import summary_content
from juvenile_justice.domain.documents import repository as documents_repo
from juvenile_justice.domain.documents import service as documents
from juvenile_justice.domain.documents.case_documents import CASE_SUMMARY
from juvenile_justice.lib.clock import today_china

ALLOWED, REFUSED, NOT_FOUND = "ALLOWED", "REFUSED", "NOT_FOUND"
ROLES = ("prosecutor", "judge", "aid_officer", "auditor", "admin")
ANONYMOUS = "anonymous"
PRINCIPALS = (*ROLES, ANONYMOUS)

SKIPPED_METHODS = frozenset({"HEAD", "OPTIONS"})
SKIPPED_PREFIXES = ("/static", "/schema")

OFFENSE_DATE = "2021-03-02"
CASE = {
    "case_type": "juvenile_suspect",
    "title": "张某某盗窃案",
    "offense_date": OFFENSE_DATE,
    "received_on": "2021-03-10",
    "charges": [{"name": "盗窃罪", "article": "264"}],
}
SUSPECT_ID_NUMBER = resident_id(date(2004, 5, 10), male=False)
SUSPECT = {"role": "suspect", "name": "欧阳娜娜", "gender": "female", "id_number": SUSPECT_ID_NUMBER}
WITNESS = {
    "role": "witness",
    "name": "李四",
    "gender": "male",
    "id_number": resident_id(date(2003, 5, 9), seq=34, male=True),
}
STEP = {"kind": "受理", "occurred_on": "2021-03-10", "summary": "受理审查。"}


# ---------------------------------------------------------------------------------------------------
# The world every test acts on
# ---------------------------------------------------------------------------------------------------


@dataclass
class World:
    """Real objects for the path parameters: the case prosecutor's case and its suspect."""

    client: httpx.AsyncClient
    case_id: int
    person_id: int
    seq: int
    """An access-log entry about the case (the suspect's creation), in the auditors' unit."""
    document_id: int
    """A case summary of the case (issued, not rendered: a read renders it)."""
    code: str
    """Its verification code."""
    record_id: int = 0
    """A sealed record: another suspect of the prosecutor's, in a second case, sealed on a judgment (made
    by :meth:`ensure_sealed` for the routes that need it: it costs two more users)."""
    request_id: int = 0
    """A pending lawful query of that record, filed by a judge of the court (``judge_w``)."""
    unseal_request_id: int = 0
    """A pending request to lift that seal, by another prosecutor of the unit (``pro_w``)."""

    async def ensure_sealed(self) -> None:
        if not self.record_id:
            headers = await bearer("pro1")
            self.record_id, self.request_id, self.unseal_request_id = await _sealed_record(self.client, headers)

    def path(self, template: str) -> str:
        return template.format(
            case_id=self.case_id, person_id=self.person_id, seq=self.seq, document_id=self.document_id, code=self.code,
            record_id=self.record_id, request_id=self.request_id, unseal_request_id=self.unseal_request_id,
        )  # fmt: skip


def username_of(who: str) -> str:
    """The log-in name acting as ``who`` (``prosecutor`` is the case prosecutor ``pro1``)."""
    return "pro1" if who in (ANONYMOUS, "prosecutor") else f"{who}1"


async def bearer(username: str) -> dict[str, str]:
    issued = await accounts.log_in(username, PASSWORD, "bearer")
    return {"Authorization": f"Bearer {issued.token}"}


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    await make_user("pro1", "prosecutor")
    headers = await bearer("pro1")
    r = await client.post("/api/cases", json=CASE, headers=headers)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    r = await client.post(f"/api/cases/{case_id}/persons", json=SUSPECT, headers=headers)
    assert r.status_code == 201, r.text
    person_id = r.json()["id"]
    entry = await db.fetch_one(
        "SELECT MAX(seq) AS seq FROM access_log WHERE action = 'person.create' AND target = {}", f"person:{person_id}"
    )
    assert entry is not None and entry["seq"] is not None
    pro = await accounts_repo.principal_for_user((await accounts_repo.user_by_username("pro1")).id)  # type: ignore[union-attr]
    assert pro is not None
    _, content = await summary_content(pro, case_id)
    document_id = await documents.issue(pro, CASE_SUMMARY, content, case_id=case_id)
    doc = await documents_repo.document_by_id(document_id)
    assert doc is not None
    return World(
        client=client, case_id=case_id, person_id=person_id, seq=int(entry["seq"]), document_id=document_id,
        code=doc.verification_code,
    )  # fmt: skip


SEALED_ID_NUMBER = resident_id(date(2005, 2, 1), seq=71, male=True)


async def _sealed_record(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[int, int, int]:
    """A second case of pro1's whose juvenile suspect is sealed, a judge's pending query about the record
    and another prosecutor's pending request to lift the seal."""
    r = await client.post("/api/cases", json={**CASE, "title": "皇甫某某盗窃案"}, headers=headers)
    case_id = r.json()["id"]
    suspect = {"role": "suspect", "name": "皇甫子墨", "gender": "male", "id_number": SEALED_ID_NUMBER}
    person_id = (await client.post(f"/api/cases/{case_id}/persons", json=suspect, headers=headers)).json()["id"]
    r = await client.post(f"/api/persons/{person_id}/sealing", json=await sealing(None, "prosecutor"), headers=headers)  # type: ignore[arg-type]
    assert r.status_code == 201, r.text
    record_id = r.json()["id"]
    await make_user("judge_w", "judge")
    r = await client.post(
        f"/api/sealed-records/{record_id}/query-requests", json=COURT_QUERY, headers=await bearer("judge_w")
    )
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text
    request_id = r.json()["id"]
    await make_user("pro_w", "prosecutor")
    r = await client.post(f"/api/sealed-records/{record_id}/unseal", json=UNSEAL, headers=await bearer("pro_w"))
    assert r.status_code == 202, r.text
    return record_id, request_id, r.json()["unseal_request_id"]


# ---------------------------------------------------------------------------------------------------
# Bodies (JSON for the API, form fields for pages); each valid for the case prosecutor
# ---------------------------------------------------------------------------------------------------

Body = Callable[[World, str], Awaitable[dict[str, Any]]]


async def no_body(w: World, who: str) -> dict[str, Any]:
    return {}


async def credentials(w: World, who: str) -> dict[str, Any]:
    return {"username": username_of(who), "password": PASSWORD}


async def new_case(w: World, who: str) -> dict[str, Any]:
    return {**CASE, "title": "王某某抢劫案", "charges": [{"name": "抢劫罪", "article": "263"}]}


async def new_case_form(w: World, who: str) -> dict[str, Any]:
    return {
        "case_type": "juvenile_suspect",
        "title": "王某某抢劫案",
        "offense_date": OFFENSE_DATE,
        "received_on": "2021-03-10",
        "charge_name_0": "抢劫罪",
        "charge_article_0": "263",
    }


async def case_update(w: World, who: str) -> dict[str, Any]:
    return {"version": 1, "title": "张某某盗窃案（并案）"}


async def assignment(w: World, who: str) -> dict[str, Any]:
    await make_user("pro2", "prosecutor")
    return {"username": "pro2"}


async def witness(w: World, who: str) -> dict[str, Any]:
    return dict(WITNESS)


async def step(w: World, who: str) -> dict[str, Any]:
    return dict(STEP)


async def decision(w: World, who: str) -> dict[str, Any]:
    return {
        "person_id": w.person_id,
        "kind": "prosecuted",
        "decision_date": "2021-06-01",
        "document_number": "任检未刑诉〔2021〕1号",
    }


async def lookup(w: World, who: str) -> dict[str, Any]:
    return {"id_number": SUSPECT_ID_NUMBER}


async def person_update(w: World, who: str) -> dict[str, Any]:
    return {"version": 1, "phone": "13800000000"}


async def audit_term(w: World, who: str) -> dict[str, Any]:
    return {"kind": "id_number", "value": SUSPECT_ID_NUMBER}


async def document_kind(w: World, who: str) -> dict[str, Any]:
    return {"kind": "case_summary"}


async def reissue_reason(w: World, who: str) -> dict[str, Any]:
    return {"reason": "更正笔误"}


COURT_QUERY = {"purpose": "审理另案需核实前科", "legal_basis": "《中华人民共和国刑事诉讼法》第二百八十六条",
               "requesting_unit": "济宁市任城区人民法院", "requesting_unit_type": "court"}  # fmt: skip
UNSEAL = {"rule": "retrial", "reason": "再审改判", "combined_sentence_months": 72,
          "judgment_document_number": "(2022)鲁08刑再1号"}  # fmt: skip


async def query_request(w: World, who: str) -> dict[str, Any]:
    return dict(COURT_QUERY)


async def query_decision(w: World, who: str) -> dict[str, Any]:
    return {"approve": True, "reason": "审判需要", "valid_days": 3}


async def unseal_request(w: World, who: str) -> dict[str, Any]:
    await behind_the_guards("DELETE FROM unseal_request")  # one pending request per record
    return dict(UNSEAL)


async def unseal_form(w: World, who: str) -> dict[str, Any]:
    await w.ensure_sealed()
    return {**await unseal_request(w, who), "record_id": w.record_id}


async def unseal_decision(w: World, who: str) -> dict[str, Any]:
    return {"approve": False, "reason": "理由不足"}


async def certificate(w: World, who: str) -> dict[str, Any]:
    await w.ensure_sealed()
    return {"id_number": SEALED_ID_NUMBER, "name": "皇甫子墨", "applicant": "self"}


async def sealed_status(w: World, who: str) -> dict[str, Any]:
    await w.ensure_sealed()
    return {"id_number": SEALED_ID_NUMBER}


async def sealing(w: World, who: str) -> dict[str, Any]:
    return {"basis": "judgment", "decision_date": "2021-09-01", "document_number": "任刑初字〔2021〕8号",
            "sentence_kind": "fixed_term", "sentence_months": 24}  # fmt: skip


async def report_period(w: World, who: str) -> dict[str, Any]:
    today = today_china().isoformat()
    return {"from": today, "to": today}


# ---------------------------------------------------------------------------------------------------
# The expectation table
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    outcomes: dict[str, str]
    body: Body | None = None
    """Required for write methods (a valid body for the case prosecutor); None for GET."""


def row(
    prosecutor: str, judge: str, aid_officer: str, auditor: str, admin: str, anonymous: str, body: Body | None = None
) -> Row:
    outcomes = dict(zip(PRINCIPALS, (prosecutor, judge, aid_officer, auditor, admin, anonymous), strict=True))
    return Row(outcomes, body)


A, R, N = ALLOWED, REFUSED, NOT_FOUND
# fmt: off
#                                                     prosecutor judge aid  auditor admin anonymous
MATRIX: dict[tuple[str, str], Row] = {
    # --- public / account plumbing ------------------------------------------------------------
    ("GET", "/health"):                              row(A, A, A, A, A, A),
    ("POST", "/api/auth/token"):                     row(A, A, A, A, A, A, body=credentials),
    ("POST", "/api/auth/logout"):                    row(A, A, A, A, A, R, body=no_body),
    ("GET", "/api/me"):                              row(A, A, A, A, A, R),
    ("GET", "/api/units"):                           row(A, A, A, A, A, R),
    # --- cases API ----------------------------------------------------------------------------
    ("GET", "/api/cases"):                           row(A, R, A, R, R, R),
    ("POST", "/api/cases"):                          row(A, R, R, R, R, R, body=new_case),
    ("GET", "/api/cases/{case_id}"):                 row(A, R, A, R, R, R),
    ("PATCH", "/api/cases/{case_id}"):               row(A, R, R, R, R, R, body=case_update),
    ("POST", "/api/cases/{case_id}/assignments"):    row(A, R, R, R, R, R, body=assignment),
    ("GET", "/api/cases/{case_id}/persons"):         row(A, R, A, R, R, R),
    ("POST", "/api/cases/{case_id}/persons"):        row(A, R, R, R, R, R, body=witness),
    ("GET", "/api/cases/{case_id}/steps"):           row(A, R, A, R, R, R),
    ("POST", "/api/cases/{case_id}/steps"):          row(A, R, R, R, R, R, body=step),
    ("GET", "/api/cases/{case_id}/decisions"):       row(A, R, A, R, R, R),
    ("POST", "/api/cases/{case_id}/decisions"):      row(A, R, R, R, R, R, body=decision),
    # --- persons API --------------------------------------------------------------------------
    ("POST", "/api/persons/lookup"):                 row(A, R, R, R, R, R, body=lookup),
    ("GET", "/api/persons/{person_id}"):             row(A, R, A, R, R, R),
    ("PATCH", "/api/persons/{person_id}"):           row(A, R, R, R, R, R, body=person_update),
    # --- access log (auditors) ----------------------------------------------------------------
    ("GET", "/api/audit/access-log"):                row(R, R, R, A, R, R),
    ("GET", "/api/audit/access-log/{seq}"):          row(R, R, R, A, R, R),
    ("GET", "/api/audit/access-log/export"):         row(R, R, R, A, R, R),
    ("GET", "/api/audit/verify"):                    row(R, R, R, A, R, R),
    ("POST", "/api/audit/hash"):                     row(R, R, R, A, R, R, body=audit_term),
    ("POST", "/api/audit/reports"):                  row(R, R, R, A, R, R, body=report_period),
    ("GET", "/api/audit/reports"):                   row(R, R, R, A, R, R),
    # --- documents ----------------------------------------------------------------------------
    ("POST", "/api/cases/{case_id}/documents"):      row(A, R, R, R, R, R, body=document_kind),
    ("GET", "/api/cases/{case_id}/documents"):       row(A, R, A, R, R, R),
    ("GET", "/api/documents/{document_id}"):         row(A, N, A, N, R, R),
    ("GET", "/api/documents/{document_id}/pdf"):     row(A, N, R, N, R, R),
    ("POST", "/api/documents/{document_id}/reissue"): row(A, R, R, N, R, R, body=reissue_reason),
    ("GET", "/api/verify/{code}"):                   row(A, A, A, A, A, A),
    # --- sealing ------------------------------------------------------------------------------
    ("POST", "/api/persons/{person_id}/sealing"):    row(A, R, R, R, R, R, body=sealing),
    ("POST", "/api/sealed-status/lookup"):           row(A, A, R, R, R, R, body=lookup),
    ("GET", "/api/sealing/tasks"):                   row(A, R, R, R, R, R),
    ("POST", "/api/sealed-records/{record_id}/query-requests"): row(A, A, R, R, R, R, body=query_request),
    ("GET", "/api/query-requests"):                  row(A, A, R, R, R, R),
    ("GET", "/api/query-requests/{request_id}"):     row(A, N, R, R, R, R),
    ("POST", "/api/query-requests/{request_id}/decision"): row(A, R, R, R, R, R, body=query_decision),
    ("GET", "/api/sealed-records/{record_id}"):      row(R, R, R, R, R, R),
    ("POST", "/api/sealed-records/{record_id}/unseal"): row(A, R, R, R, R, R, body=unseal_request),
    ("GET", "/api/unseal-requests"):                 row(A, R, R, R, R, R),
    ("POST", "/api/unseal-requests/{unseal_request_id}/decision"): row(A, R, R, R, R, R, body=unseal_decision),
    ("POST", "/api/no-record-certificates"):         row(A, R, R, R, R, R, body=certificate),
    # --- pages --------------------------------------------------------------------------------
    ("GET", "/"):                                    row(A, A, A, A, A, R),
    ("GET", "/account"):                             row(A, A, A, A, A, R),
    ("GET", "/login"):                               row(A, A, A, A, A, A),
    ("POST", "/login"):                              row(A, A, A, A, A, A, body=credentials),
    ("POST", "/logout"):                             row(A, A, A, A, A, R, body=no_body),
    ("GET", "/cases"):                               row(A, R, A, R, R, R),
    ("GET", "/cases/new"):                           row(A, R, R, R, R, R),
    ("POST", "/cases/new"):                          row(A, R, R, R, R, R, body=new_case_form),
    ("GET", "/cases/{case_id}"):                     row(A, R, A, R, R, R),
    ("GET", "/cases/{case_id}/persons/new"):         row(A, R, R, R, R, R),
    ("POST", "/cases/{case_id}/persons/new"):        row(A, R, R, R, R, R, body=witness),
    ("GET", "/cases/{case_id}/steps/new"):           row(A, R, R, R, R, R),
    ("POST", "/cases/{case_id}/steps/new"):          row(A, R, R, R, R, R, body=step),
    ("GET", "/cases/{case_id}/decisions/new"):       row(A, R, R, R, R, R),
    ("POST", "/cases/{case_id}/decisions/new"):      row(A, R, R, R, R, R, body=decision),
    ("GET", "/audit"):                               row(R, R, R, A, R, R),
    ("GET", "/audit/entries/{seq}"):                 row(R, R, R, A, R, R),
    ("GET", "/audit/verify"):                        row(R, R, R, A, R, R),
    ("GET", "/audit/export"):                        row(R, R, R, A, R, R),
    ("GET", "/audit/hash"):                          row(R, R, R, A, R, R),
    ("POST", "/audit/hash"):                         row(R, R, R, A, R, R, body=audit_term),
    ("GET", "/audit/reports"):                       row(R, R, R, A, R, R),
    ("POST", "/audit/reports"):                      row(R, R, R, A, R, R, body=report_period),
    ("POST", "/cases/{case_id}/documents"):          row(A, R, R, R, R, R, body=document_kind),
    ("GET", "/documents/{document_id}/pdf"):         row(A, N, R, N, R, R),
    ("POST", "/documents/{document_id}/reissue"):    row(A, R, R, N, R, R, body=reissue_reason),
    ("GET", "/verify"):                              row(A, A, A, A, A, A),
    ("GET", "/verify/{code}"):                       row(A, A, A, A, A, A),
    ("GET", "/sealing"):                             row(A, R, R, R, R, R),
    ("POST", "/persons/{person_id}/sealing"):        row(A, R, R, R, R, R, body=sealing),
    ("POST", "/query-requests/{request_id}/decision"): row(A, R, R, R, R, R, body=query_decision),
    ("POST", "/sealing/unseal"):                     row(A, R, R, R, R, R, body=unseal_form),
    ("POST", "/unseal-requests/{unseal_request_id}/decision"): row(A, R, R, R, R, R, body=unseal_decision),
    ("GET", "/no-record-certificates"):              row(A, R, R, R, R, R),
    ("POST", "/no-record-certificates"):             row(A, R, R, R, R, R, body=certificate),
    ("GET", "/sealed-status"):                       row(A, A, R, R, R, R),
    ("POST", "/sealed-status"):                      row(A, A, R, R, R, R, body=sealed_status),
    ("GET", "/sealed-records/{record_id}/query-requests/new"): row(A, A, R, R, R, R),
    ("POST", "/sealed-records/{record_id}/query-requests/new"): row(A, A, R, R, R, R, body=query_request),
    ("GET", "/query-requests"):                      row(A, A, R, R, R, R),
    ("GET", "/sealed-records/{record_id}"):          row(R, R, R, R, R, R),
}
# fmt: on


# ---------------------------------------------------------------------------------------------------
# Introspection and classification
# ---------------------------------------------------------------------------------------------------

_CONVERTER = re.compile(r"\{(\w+):[^}]+\}")


def template_of(path: str) -> str:
    """``/api/cases/{case_id:int}`` → ``/api/cases/{case_id}``."""
    return _CONVERTER.sub(r"{\1}", path)


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    """Every (METHOD, path template) the app serves, bar static files, /schema*, HEAD and OPTIONS."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(SKIPPED_PREFIXES):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                if method not in SKIPPED_METHODS:
                    found.add((method, template_of(route.path)))
    return found


def is_api(template: str) -> bool:
    return template.startswith("/api/")


def classify(r: httpx.Response, *, anonymous: bool, api: bool) -> str:
    """The outcome class of a response, or ``UNEXPECTED <status>``."""
    status = r.status_code
    if status == 404:
        return NOT_FOUND
    if anonymous and api and status == 401:
        return REFUSED
    redirect = 300 <= status < 400
    if anonymous and not api and redirect and urlsplit(r.headers.get("location", "")).path == "/login":
        return REFUSED
    if not anonymous and status == 403:
        return REFUSED
    if 200 <= status < 300 or (redirect and not api):
        return ALLOWED
    return f"UNEXPECTED {status}"


async def csrf_token(client: httpx.AsyncClient) -> str:
    """GET /login: sets the ``jj_csrf`` cookie in the client's jar; returns the form's hidden token."""
    r = await client.get("/login")
    assert r.status_code == 200
    match = re.search(r'name="_csrf_token" value="([^"]+)"', r.text)
    assert match, "the log-in form carries no _csrf_token input"
    assert "jj_csrf" in client.cookies
    return match.group(1)


async def call(w: World, method: str, template: str, who: str, *, username: str | None = None) -> httpx.Response:
    """Send the route's request acting as ``who`` (``username`` overrides the acting user)."""
    client = w.client
    spec = MATRIX[(method, template)]
    api = is_api(template)
    if any(f"{{{name}}}" in template for name in ("record_id", "request_id", "unseal_request_id")):
        await w.ensure_sealed()
    headers: dict[str, str] = {}
    if who != ANONYMOUS:
        name = username or username_of(who)
        if api:
            headers = await bearer(name)
        else:
            session = await accounts.log_in(name, PASSWORD, "session")
            client.cookies.set("jj_session", session.token)
    body = await spec.body(w, who) if spec.body is not None else None
    url = w.path(template)
    if method == "GET":
        return await client.get(url, headers=headers)
    if api:
        return await client.request(method, url, json=body, headers=headers)
    form = {**(body or {}), "_csrf_token": await csrf_token(client)}
    return await client.request(method, url, data=form, headers=headers)


def describe(r: httpx.Response) -> str:
    return f"{r.request.method} {r.request.url.path} → {r.status_code} {r.headers.get('location', '')} {r.text[:300]}"


# ---------------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------------


def test_every_route_has_a_row(app: Litestar) -> None:
    """A new route needs a row; a row for a vanished route must go."""
    served = app_routes(app)
    missing = sorted(served - MATRIX.keys())
    stale = sorted(MATRIX.keys() - served)
    assert not missing, f"routes without a row in MATRIX: {missing}"
    assert not stale, f"MATRIX rows for routes the app does not serve: {stale}"


def test_rows_are_complete() -> None:
    """Each row names every principal, and every write route has a body."""
    for (method, template), spec in MATRIX.items():
        assert set(spec.outcomes) == set(PRINCIPALS), (method, template)
        assert set(spec.outcomes.values()) <= {ALLOWED, REFUSED, NOT_FOUND}, (method, template)
        assert (spec.body is None) == (method == "GET"), (method, template)


CELLS = [
    pytest.param(method, template, who, spec.outcomes[who], id=f"{method} {template} [{who}]")
    for (method, template), spec in MATRIX.items()
    for who in PRINCIPALS
]


@pytest.mark.parametrize(("method", "template", "who", "expected"), CELLS)
async def test_matrix(world: World, method: str, template: str, who: str, expected: str) -> None:
    if who not in (ANONYMOUS, "prosecutor"):
        await make_user(username_of(who), who)
    before = await _last_seq()
    r = await call(world, method, template, who)
    assert classify(r, anonymous=who == ANONYMOUS, api=is_api(template)) == expected, describe(r)
    if is_api(template) and r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json"), describe(r)
        assert r.json()["status"] == r.status_code
    if who != ANONYMOUS and r.status_code in (403, 404):
        await _assert_refusal_logged(before, username_of(who), r)


async def _last_seq() -> int:
    row = await db.fetch_one("SELECT MAX(seq) AS seq FROM access_log")
    return int(row["seq"]) if row and row["seq"] is not None else 0


async def _assert_refusal_logged(before: int, username: str, r: httpx.Response) -> None:
    """Every refusal of a logged-in user is in the access log: actor, outcome, the path, the request id."""
    rows = await db.fetch(
        "SELECT * FROM access_log WHERE seq > {} AND actor = {} AND outcome = 'refused'", before, username
    )
    path = r.request.url.path
    expected = {path}
    for kind, pattern in (
        ("case", r"/cases/(\d+)"),
        ("person", r"/persons/(\d+)"),
        ("access_log", r"/access-log/(\d+)"),
        ("document", r"/documents/(\d+)"),
        ("sealed_record", r"/sealed-records/(\d+)"),
        ("query_request", r"/query-requests/(\d+)"),
        ("unseal_request", r"/unseal-requests/(\d+)"),
    ):
        if match := re.search(pattern, path):
            expected = {f"{kind}:{match.group(1)}"}
    if match := re.search(r"/audit/entries/(\d+)", path):
        expected = {f"access_log:{match.group(1)}"}
    assert [x for x in rows if x["target"] in expected], (describe(r), [x["target"] for x in rows])
    assert rows[-1]["request_id"] == r.headers["x-request-id"], describe(r)


OBJECT_ROUTES = [
    pytest.param(method, template, id=f"{method} {template}")
    for (method, template) in MATRIX
    if "{case_id}" in template or "{person_id}" in template or "{document_id}" in template
]


@pytest.mark.parametrize(("method", "template"), OBJECT_ROUTES)
async def test_other_units_prosecutor_gets_404(world: World, method: str, template: str) -> None:
    """A prosecutor of 曲阜市人民检察院 learns nothing about 任城's case and person ids."""
    await make_user("pro_qf", "prosecutor", OTHER_PROCURATORATE)
    before = await _last_seq()
    r = await call(world, method, template, "prosecutor", username="pro_qf")
    assert r.status_code == 404, describe(r)
    await _assert_refusal_logged(before, "pro_qf", r)
    if is_api(template):
        assert r.headers["content-type"].startswith("application/problem+json"), describe(r)
