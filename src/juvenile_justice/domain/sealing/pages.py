"""Browser pages of sealing (zh-CN).

- Prosecutors (``/sealing``): sealing tasks with their deadlines and the sealing form (R-SEAL-4, R-SEAL-10);
  lawful queries of their unit's sealed records to decide; requests to lift a seal (R-SEAL-11), to file
  and to decide; the no-criminal-record certificate (``/no-record-certificates``, R-SEAL-8).
- Judges and prosecutors: the sealed-status check (``/sealed-status``; the ID number is posted, never put
  in a URL), the query application for a record it names, their own applications (``/query-requests``)
  and the records an approved query lets them read (``/sealed-records/{id}``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from juvenile_justice.domain.cases.labels import DECISION_KINDS, INPUT_LABELS, SENTENCE_KINDS, SOURCE_LABELS
from juvenile_justice.domain.sealing import certificates, lawful_query, notices, service
from juvenile_justice.domain.sealing import schemas as s
from juvenile_justice.lib.clock import today_china
from juvenile_justice.lib.errors import Conflict, ValidationFailed, field_error_from_msgspec
from juvenile_justice.lib.forms import errors_by_field
from juvenile_justice.lib.http import principal, requires_roles

Req = Request[Any, Any, Any]
Form = URLEncodedBody[dict[str, str]]
BASIS_LABELS = {"judgment": "生效判决", "non_prosecution": "不起诉决定", "acquittal": "无罪判决（证据不足）"}
RULE_RESULTS = {True: "符合", False: "不符合", None: "缺少事实"}
QUERY_STATUS = {"pending": "待决定", "refused": "不予受理", "approved": "已许可", "denied": "不予许可"}
UNSEAL_RULES = {"new_offense": "未成年时又犯新罪", "prior_offense": "发现未成年时的漏罪", "retrial": "再审改判"}
UNSEAL_STATUS = {"pending": "待决定", "approved": "已解除封存", "rejected": "不予解除"}
NOTICES = {
    "sealed": "已封存，并已出具《未成年人犯罪记录封存通知书》。",
    "decided": "已作出决定，并已出具决定书。",
    "unseal_requested": "解除封存申请已提交，须由另一名检察官决定。",
    "unseal_decided": "已对解除封存申请作出决定。",
    "filed": "查询申请已提交，等待封存单位决定。",
    "refused": "该申请依法不能受理，已不予受理（理由见下表）。",
}


def _page(name: str, request: Req, status: int = 200, **context: Any) -> Template:
    return Template(
        template_name=f"pages/{name}.html",
        status_code=status,
        context={
            "user": request.scope.get("user"), "basis_labels": BASIS_LABELS, "decision_kinds": DECISION_KINDS,
            "sentence_kinds": SENTENCE_KINDS, "rule_results": RULE_RESULTS, "query_status": QUERY_STATUS,
            "unit_types": notices.UNIT_TYPES, "unseal_rules": UNSEAL_RULES, "unseal_status": UNSEAL_STATUS,
            "input_labels": INPUT_LABELS, "source_labels": SOURCE_LABELS,
            **context,
        },
    )  # fmt: skip


def _form(data: dict[str, str], type_: type[Any], **fixed: Any) -> Any:
    """A Struct from form fields (blanks dropped); ValidationFailed naming the field otherwise."""
    values: dict[str, Any] = {k: v.strip() for k, v in data.items() if k != "_csrf_token" and v.strip()}
    values.update(fixed)
    try:
        return msgspec.convert(values, type_, strict=False)
    except msgspec.ValidationError as exc:
        raise ValidationFailed([field_error_from_msgspec(str(exc))]) from None


async def _work_page(request: Req, status: int = 200, **context: Any) -> Template:
    p = principal(request)
    open_tasks = await service.list_tasks(p, status="open", limit=500, cursor=None)
    done = await service.list_tasks(p, status="done", limit=50, cursor=None)
    queries = await lawful_query.list_queries(p, status="pending", limit=500, cursor=None)
    unseals = await lawful_query.list_unseals(p, status=None, limit=50)
    return _page(
        "sealing_tasks", request, status, open_tasks=open_tasks.items, done=done.items,
        queries=[q for q in queries.items if q.requester != p.username], unseals=unseals.items,
        errors=context.pop("errors", {}), notice=NOTICES.get(context.pop("saved", "") or "", ""), **context,
    )  # fmt: skip


async def _act(request: Req, saved: str, action: Callable[[], Awaitable[Any]]) -> Redirect | Template:
    """Run a form's action: back to ``/sealing`` with its notice (and the document it issued, if any), or
    the page again with the errors (422)."""
    try:
        result = await action()
    except (ValidationFailed, Conflict) as exc:
        return await _work_page(request, 422, errors=_errors(exc))
    document_id = getattr(result, "document_id", None)
    query = {"saved": saved, **({"document": str(document_id)} if document_id else {})}
    return Redirect(path="/sealing", query_params=query, status_code=303)


def _errors(exc: ValidationFailed | Conflict) -> dict[str, str]:
    if isinstance(exc, Conflict):
        return {"": exc.detail}
    return errors_by_field(exc.errors)


class SealingPages(Controller):
    """Sealing tasks, lawful queries, unsealing and certificates (see the module's docstring)."""

    include_in_schema = False

    # ------------------------------------------------------------------ prosecutors' work
    @get("/sealing", guards=[requires_roles("prosecutor")])
    async def work(
        self,
        request: Req,
        saved: FromQuery[str | None] = None,
        document: Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1)] = None,
    ) -> Template:
        """Sealing tasks (overdue in red), queries to decide, requests to lift seals; after an action, a
        link to the document it issued."""
        return await _work_page(request, saved=saved, document_id=document)

    @post("/persons/{person_id:int}/sealing", guards=[requires_roles("prosecutor")], status_code=303)
    async def seal(self, request: Req, person_id: FromPath[int], data: Form) -> Redirect | Template:
        """Seal the person's records on the task's decision, with the advisement date (R-SEAL-10)."""
        p = principal(request)
        return await _act(request, "sealed", lambda: service.seal_person(p, person_id, _form(data, s.SealingIn)))

    @post("/query-requests/{request_id:int}/decision", guards=[requires_roles("prosecutor")], status_code=303)
    async def decide_query(self, request: Req, request_id: FromPath[int], data: Form) -> Redirect | Template:
        """Approve or deny a lawful query (the decision document is issued)."""
        p = principal(request)
        return await _act(
            request, "decided", lambda: lawful_query.decide_query(p, request_id, _form(data, s.QueryDecisionIn))
        )

    @post("/sealing/unseal", guards=[requires_roles("prosecutor")], status_code=303)
    async def request_unseal(self, request: Req, data: Form) -> Redirect | Template:
        """Ask to lift a seal on a ground of R-SEAL-11 (the record's number is a form field)."""
        p = principal(request)
        text = data.get("record_id", "").strip()
        record_id = int(text) if text.isascii() and text.isdigit() and len(text) < 11 else 0
        if not 1 <= record_id < 2**31:
            return await _work_page(
                request, 422, errors={"record_id": "请填写封存记录编号 / the sealed record's number"}
            )
        fields = {k: v for k, v in data.items() if k != "record_id"}
        return await _act(
            request, "unseal_requested", lambda: lawful_query.request_unseal(p, record_id, _form(fields, s.UnsealIn))
        )

    @post("/unseal-requests/{unseal_request_id:int}/decision", guards=[requires_roles("prosecutor")], status_code=303)
    async def decide_unseal(self, request: Req, unseal_request_id: FromPath[int], data: Form) -> Redirect | Template:
        """Approve or reject a request to lift a seal (a second prosecutor)."""
        p = principal(request)
        return await _act(
            request,
            "unseal_decided",
            lambda: lawful_query.decide_unseal(p, unseal_request_id, _form(data, s.UnsealDecisionIn)),
        )

    @get("/no-record-certificates", guards=[requires_roles("prosecutor")])
    async def certificate_form(self, request: Req) -> Template:
        """The no-criminal-record certificate form (R-SEAL-8)."""
        return _page("no_record_certificate", request, result=None, errors={})

    @post("/no-record-certificates", guards=[requires_roles("prosecutor")], status_code=200)
    async def certificate(self, request: Req, data: Form) -> Template:
        """Issue the certificate, or show why not."""
        try:
            body = _form(data, s.CertificateIn)
            result = await certificates.issue_certificate(principal(request), body)
        except (ValidationFailed, Conflict) as exc:
            return _page("no_record_certificate", request, 422, result=None, errors=_errors(exc))
        return _page("no_record_certificate", request, result=result, errors={})

    # ------------------------------------------------------------------ judges and prosecutors
    @get("/sealed-status", guards=[requires_roles("judge", "prosecutor")])
    async def status_form(self, request: Req) -> Template:
        """The sealed-status check form."""
        return _page("sealed_status", request, result=None, errors={})

    @post("/sealed-status", guards=[requires_roles("judge", "prosecutor")], status_code=200)
    async def status(self, request: Req, data: Form) -> Template:
        """Check one ID number: whether it has sealed records, with unit, date and basis only (logged)."""
        try:
            body = s.StatusLookupIn(id_number=data.get("id_number", "").strip()[:30] or " ")
            result = await service.lookup_status(principal(request), body)
        except ValidationFailed as exc:
            return _page("sealed_status", request, 422, result=None, errors=errors_by_field(exc.errors))
        return _page("sealed_status", request, result=result, errors={})

    @get("/sealed-records/{record_id:int}/query-requests/new", guards=[requires_roles("judge", "prosecutor")])
    async def query_form(self, request: Req, record_id: FromPath[int]) -> Template:
        """The written application to read a sealed record (R-SEAL-7)."""
        return _page("query_request_new", request, record_id=record_id, form={}, errors={})

    @post("/sealed-records/{record_id:int}/query-requests/new", guards=[requires_roles("judge", "prosecutor")],
          status_code=303)  # fmt: skip
    async def file_query(self, request: Req, record_id: FromPath[int], data: Form) -> Redirect | Template:
        """File the application; refused at once when it cannot qualify (R-SEAL-6)."""
        p = principal(request)
        fixed = {"requesting_unit_type": "court", "requesting_unit": p.unit_name} if p.role == "judge" else {}
        try:
            body = _form(data, s.QueryRequestIn, **fixed)
            filed = await lawful_query.file_query(p, record_id, body)
        except (ValidationFailed, Conflict) as exc:
            return _page("query_request_new", request, 422, record_id=record_id, form=data, errors=_errors(exc))
        saved = "filed" if filed.status == "pending" else "refused"
        return Redirect(path=f"/query-requests?saved={saved}", status_code=303)

    @get("/query-requests", guards=[requires_roles("judge", "prosecutor")])
    async def my_queries(self, request: Req, saved: FromQuery[str | None] = None) -> Template:
        """The applications you filed, their decisions, and the reads they grant."""
        p = principal(request)
        page = await lawful_query.list_queries(p, status=None, limit=200, cursor=None)
        mine = [q for q in page.items if q.requester == p.username]
        return _page("query_requests", request, queries=mine, notice=NOTICES.get(saved or "", ""),
                     today=today_china())  # fmt: skip

    @get("/sealed-records/{record_id:int}", guards=[requires_roles("judge", "prosecutor")])
    async def read(self, request: Req, record_id: FromPath[int]) -> Template:
        """A sealed record, read under an approved query (403 page otherwise; both logged)."""
        result = await lawful_query.read_sealed_record(principal(request), record_id)
        return _page("sealed_record", request, record=result)
