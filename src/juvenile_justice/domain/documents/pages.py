"""Browser pages of documents (zh-CN): issue and open a case's documents, the auditors' reports, and the
public verification page (no log-in)."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from juvenile_justice.domain.accounts import repository as accounts
from juvenile_justice.domain.audit import queries
from juvenile_justice.domain.documents import audit_documents, case_documents, service
from juvenile_justice.domain.documents.controllers import pdf_response
from juvenile_justice.lib.clock import today_china
from juvenile_justice.lib.errors import Conflict, ValidationFailed
from juvenile_justice.lib.forms import errors_by_field
from juvenile_justice.lib.http import principal, requires_roles

Req = Request[Any, Any, Any]
Form = URLEncodedBody[dict[str, str]]
REPORT_FIELDS = ("from", "to", "actor", "record_id", "target", "unit", "outcome", "action", "flagged")
REISSUE_NOTICES = {
    "reissued": "报告已重新出具，原报告作废。",
    "reissued_already": "该报告已重新出具过，请对新报告操作。",
    "reissue_reason": "请填写重新出具的理由（2至200字，不含身份号码）。",
}


def _page(name: str, request: Req, status: int = 200, **context: Any) -> Template:
    user = request.scope.get("user")
    return Template(template_name=f"pages/{name}.html", status_code=status, context={"user": user, **context})


class DocumentPages(Controller):
    """Case documents and their PDFs, for logged-in users."""

    include_in_schema = False

    @post("/cases/{case_id:int}/documents", guards=[requires_roles("prosecutor")], status_code=303)
    async def issue_case_document(self, request: Req, case_id: FromPath[int], data: Form) -> Redirect:
        """Issue a case summary (the only kind on demand), then back to the case page."""
        await case_documents.issue_case_document(principal(request), case_id, data.get("kind", "case_summary")[:40])
        return Redirect(path=f"/cases/{case_id}?saved=document#documents", status_code=303)

    @get("/documents/{document_id:int}/pdf", guards=[requires_roles("prosecutor", "aid_officer", "auditor", "judge")])
    async def get_document_pdf(self, request: Req, document_id: FromPath[int]) -> Response[bytes]:
        """The stored PDF (hash-checked; the read is logged)."""
        doc, pdf = await service.get_pdf(principal(request), document_id)
        return pdf_response(doc, pdf)

    @post("/documents/{document_id:int}/reissue", guards=[requires_roles("prosecutor", "auditor")], status_code=303)
    async def reissue_document(self, request: Req, document_id: FromPath[int], data: Form) -> Redirect | Template:
        """Reissue a document with a reason; back to its case page (or the reports page)."""
        p = principal(request)
        doc = await service.get_document(p, document_id)
        back = f"/cases/{doc.case_id}" if doc.case_id is not None else "/audit/reports"
        anchor = "#documents" if doc.case_id is not None else ""
        reason = data.get("reason", "")[:400]
        try:
            await service.reissue(p, document_id, reason)
        except ValidationFailed:
            return Redirect(path=f"{back}?saved=reissue_reason{anchor}", status_code=303)
        except Conflict:
            return Redirect(path=f"{back}?saved=reissued_already{anchor}", status_code=303)
        return Redirect(path=f"{back}?saved=reissued{anchor}", status_code=303)


def _report_form(raw: dict[str, str]) -> tuple[date, date, queries.Filters]:
    """The period and filters of the report form.

    Raises:
        ValidationFailed: a missing or malformed field, naming it.
    """
    moments = {}
    for name in ("from", "to"):
        text = raw.get(name, "").strip()
        try:
            moments[name] = date.fromisoformat(text)
        except ValueError:
            raise ValidationFailed.one(name, "日期应为 YYYY-MM-DD / a date YYYY-MM-DD") from None
    unit = raw.get("unit") or None
    if unit is not None and not (unit.isascii() and unit.isdigit() and len(unit) < 10):
        raise ValidationFailed.one("unit", "请选择单位 / choose a unit")
    outcome = raw.get("outcome") or None
    if outcome is not None and outcome not in audit_documents.OUTCOME_LABELS:
        raise ValidationFailed.one("outcome", "请选择结果 / choose an outcome")
    f = queries.Filters(
        actor=(raw.get("actor") or "").strip().lower()[:64] or None,
        record_id=(raw.get("record_id") or "").strip()[:60] or None,
        target=(raw.get("target") or "").strip()[:170] or None,
        unit=int(unit) if unit else None,
        outcome=outcome,
        action=(raw.get("action") or "").strip()[:80] or None,
        flagged=raw.get("flagged") == "1",
    )
    return moments["from"], moments["to"], f


class AuditReportPages(Controller):
    """The auditors' reports (审计报告): the form and the unit's reports."""

    include_in_schema = False
    guards = [requires_roles("auditor")]

    async def _show(
        self, request: Req, status: int, raw: dict[str, str], errors: dict[str, str], **extra: Any
    ) -> Template:
        p = principal(request)
        ids = set(await accounts.subtree_ids(p.unit_id))
        units = [u for u in await accounts.all_units() if u.id in ids]
        reports = await audit_documents.reports_of_unit(p, 50, None)
        return _page("audit_reports", request, status, raw=raw, errors=errors, units=units, reports=reports, **extra)

    @get("/audit/reports")
    async def reports(
        self, request: Req, issued: FromQuery[int | None] = None, saved: FromQuery[str | None] = None
    ) -> Template:
        """The report form (default: the last 30 days) and the unit's reports, newest first; ``saved`` says
        what a reissue did."""
        start, end = audit_documents.default_period(today_china())
        raw = {"from": start.isoformat(), "to": end.isoformat()}
        notice = REISSUE_NOTICES.get(saved or "")
        return await self._show(request, 200, raw, {}, issued=issued, notice=notice)

    @post("/audit/reports", status_code=303)
    async def issue_access_log_report(self, request: Req, data: Form) -> Redirect | Template:
        """Issue a report for the period and filters; errors are shown next to the fields."""
        raw = {k: str(data.get(k, ""))[:170] for k in REPORT_FIELDS}
        try:
            start, end, f = _report_form(raw)
            doc_id = await audit_documents.issue_report(principal(request), start, end, f)
        except ValidationFailed as exc:
            return await self._show(request, 422, raw, errors_by_field(exc.errors))
        return Redirect(path=f"/audit/reports?issued={doc_id}", status_code=303)


class VerifyPages(Controller):
    """The public verification page (文书核验): no log-in, nothing but valid/issuer/date."""

    include_in_schema = False

    @get("/verify")
    async def form(self, request: Req, code: FromQuery[str | None] = None) -> Template:
        """The code form, and the answer when ``code`` is given."""
        if not code:
            return _page("verify", request, result=None, code="")
        result = await service.verify(code[:64])
        return _page("verify", request, result=result, code=code[:64])

    @get("/verify/{code:str}")
    async def check(self, request: Req, code: FromPath[str]) -> Template:
        """The answer for the code printed (and QR-encoded) on a document."""
        result = await service.verify(code[:64])
        return _page("verify", request, result=result, code=code[:64])
