"""HTTP API of documents (API.md "Documents"). HTTP only: one service call each."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, PathParameter, QueryParameter

from juvenile_justice.domain.audit import queries
from juvenile_justice.domain.documents import audit_documents, case_documents, service
from juvenile_justice.domain.documents import repository as repo
from juvenile_justice.domain.documents import schemas as s
from juvenile_justice.lib.http import principal, problem_responses, requires_roles
from juvenile_justice.lib.pagination import check_limit, decode_cursor, encode_cursor

Req = Request[Any, Any, Any]
R_READ = problem_responses(400, 401, 403, 404, 422, 503)
R_WRITE = problem_responses(400, 401, 403, 404, 409, 422, 503)
R_PDF = {**problem_responses(400, 401, 403, 404, 422, 500, 503)}
DocumentId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
Code = Annotated[str, PathParameter(min_length=1, max_length=64)]


def document_out(doc: repo.DocumentRecord) -> s.DocumentOut:
    """The API form of a document's metadata."""
    status = "superseded" if doc.replaced_by is not None else "valid" if doc.pdf_hash is not None else "pending"
    return s.DocumentOut(
        id=doc.id,
        kind=doc.kind,
        title=service.KINDS[doc.kind].title,
        number=doc.number,
        verification_code=doc.verification_code,
        unit=doc.unit_name,
        issued_on=doc.issued_on,
        issued_at=doc.issued_at,
        issued_by=doc.issued_by,
        case_id=doc.case_id,
        status=status,  # type: ignore[arg-type]
        replaces=doc.replaces,
        replaced_by=doc.replaced_by,
        sealed=doc.sealed,
        pdf_hash=doc.pdf_hash,
        pages=doc.pages,
        size_bytes=doc.size_bytes,
    )


def pdf_response(doc: repo.DocumentRecord, pdf: bytes) -> Response[bytes]:
    """A stored PDF, named by its number (RFC 6266/5987 ``filename*``; ``document-<id>.pdf`` for clients
    that cannot read it), never cached."""
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="document-{doc.id}.pdf"; '
            f"filename*=UTF-8''{quote(doc.number + '.pdf', safe='')}",
            "Cache-Control": "no-store",
            "X-Document-Hash": doc.pdf_hash or "",
        },
    )


async def _metadata(p: Any, doc_id: int) -> s.DocumentOut:
    doc = await service.get_document(p, doc_id)
    out = document_out(doc)
    if doc.kind == audit_documents.ACCESS_LOG_REPORT.kind:
        out.statement, out.signature, out.signing_key_id = await audit_documents.signed_statement(doc)
    return out


class CaseDocumentController(Controller):
    """``/api/cases/{case_id}/documents``: documents about a case."""

    path = "/api/cases"
    tags = ["documents"]

    @post(
        "/{case_id:int}/documents",
        operation_id="IssueCaseDocument",
        responses=R_WRITE,
        guards=[requires_roles("prosecutor")],
    )
    async def issue(self, request: Req, case_id: FromPath[int], data: JSONBody[s.DocumentCreate]) -> s.DocumentOut:
        """Issue a document about the case (``case_summary``: 案件摘要), numbered in your unit, and render
        its PDF. Case prosecutors only. The answer has its ``number`` and ``verification_code``."""
        p = principal(request)
        doc_id = await case_documents.issue_case_document(p, case_id, data.kind)
        return await _metadata(p, doc_id)

    @get(
        "/{case_id:int}/documents",
        operation_id="ListCaseDocuments",
        responses=R_READ,
        guards=[requires_roles("prosecutor", "aid_officer")],
    )
    async def list_documents(self, request: Req, case_id: FromPath[int]) -> s.DocumentPage:
        """The documents issued about the case, newest first (metadata only)."""
        docs = await case_documents.documents_of_case(principal(request), case_id)
        return s.DocumentPage(items=[document_out(d) for d in docs], next_cursor=None)


class DocumentController(Controller):
    """``/api/documents``: metadata, the stored PDF, reissue."""

    path = "/api/documents"
    tags = ["documents"]
    guards = [requires_roles("prosecutor", "aid_officer", "auditor", "judge")]  # judges: their query decisions

    @get("/{document_id:int}", operation_id="GetDocument", responses=R_READ)
    async def get_document(self, request: Req, document_id: DocumentId) -> s.DocumentOut:
        """A document's metadata: number, verification code, issuer, status (``superseded`` after a
        reissue), hash, pages. Nothing personal."""
        return await _metadata(principal(request), document_id)

    @get(
        "/{document_id:int}/pdf",
        operation_id="GetDocumentPdf",
        media_type="application/pdf",
        responses={**R_PDF, 200: ResponseSpec(data_container=bytes, media_type="application/pdf", description="PDF")},
    )
    async def get_pdf(self, request: Req, document_id: DocumentId) -> Response[bytes]:
        """The stored PDF, checked against its hash (500 "integrity" if it does not match). Each read is
        logged. 503 when it could not be rendered yet."""
        doc, pdf = await service.get_pdf(principal(request), document_id)
        return pdf_response(doc, pdf)

    @post(
        "/{document_id:int}/reissue",
        operation_id="ReissueDocument",
        responses=R_WRITE,
        guards=[requires_roles("prosecutor", "auditor")],
    )
    async def reissue(self, request: Req, document_id: DocumentId, data: JSONBody[s.ReissueIn]) -> s.DocumentOut:
        """Issue the document again under a new number, from the current records, with the reason and the
        old number printed on it; the old one then verifies as not valid. 409 when already reissued."""
        p = principal(request)
        new_id = await service.reissue(p, document_id, data.reason)
        return await _metadata(p, new_id)


class VerifyController(Controller):
    """``/api/verify/{code}``: public check of a verification code (no log-in)."""

    path = "/api/verify"
    tags = ["documents"]
    security = [{}]

    @get("/{code:str}", operation_id="VerifyDocument", responses=problem_responses(400, 429))
    async def verify(self, code: Code) -> s.VerificationOut:
        """Whether a document's verification code is valid and, if so, the issuing unit and date only.
        Unknown, mistyped and reissued (replaced) codes answer ``valid: false``. Rate limited per client."""
        result = await service.verify(code)
        return s.VerificationOut(valid=result.valid, issued_by=result.issued_by, issued_on=result.issued_on)


class AuditReportController(Controller):
    """``/api/audit/reports``: the auditors' signed access-log reports (PDF documents)."""

    path = "/api/audit/reports"
    tags = ["audit", "documents"]
    guards = [requires_roles("auditor")]

    @post("/", operation_id="IssueAccessLogReport", responses=R_WRITE)
    async def issue(self, request: Req, data: JSONBody[s.ReportIn]) -> s.DocumentOut:
        """Issue a signed report on the access-log entries of a period matching the filters (counts, the
        newest 500 entries, chain verification, head hash, signed checkpoint, signed statement). The PDF
        is at ``GET /api/documents/{id}/pdf``."""
        p = principal(request)
        f = queries.Filters(
            actor=data.actor,
            record_id=data.record_id,
            target=data.target,
            unit=data.unit,
            outcome=data.outcome,
            action=data.action,
            flagged=data.flagged,
        )
        doc_id = await audit_documents.issue_report(p, data.from_, data.to, f)
        return await _metadata(p, doc_id)

    @get("/", operation_id="ListAccessLogReports", responses=R_READ)
    async def list_reports(
        self,
        request: Req,
        limit: Annotated[int | None, QueryParameter(ge=1, le=500)] = None,
        cursor: FromQuery[str | None] = None,
    ) -> s.DocumentPage:
        """Your unit's access-log reports, newest first."""
        size = check_limit(limit)
        docs = await audit_documents.reports_of_unit(principal(request), size + 1, decode_cursor(cursor))
        more = len(docs) > size
        docs = docs[:size]
        return s.DocumentPage(
            items=[document_out(d) for d in docs], next_cursor=encode_cursor(docs[-1].id) if more and docs else None
        )
