"""HTTP API of the sealing area (API.md "Sealing"). HTTP only: one service call each."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from juvenile_justice.domain.sealing import certificates, lawful_query, service
from juvenile_justice.domain.sealing import schemas as s
from juvenile_justice.lib.http import principal, problem_responses, requires_roles

Req = Request[Any, Any, Any]
R_READ = problem_responses(400, 401, 403, 404, 422, 503)
R_WRITE = problem_responses(400, 401, 403, 404, 409, 422, 503)
PersonId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]


class SealingController(Controller):
    """Sealing of juvenile criminal records (犯罪记录封存): seal, check status, sealing tasks."""

    path = "/api"
    tags = ["sealing"]

    @post(
        "/persons/{person_id:int}/sealing",
        operation_id="SealPerson",
        status_code=201,
        responses=R_WRITE,
        guards=[requires_roles("prosecutor")],
    )
    async def seal(self, request: Req, person_id: PersonId, data: JSONBody[s.SealingIn]) -> s.SealingOut:
        """Seal a suspect's records in the case (R-SEAL-1..5, R-CNP-12): by ``decision_id``, or with the
        decision recorded in the same call. 201 with the trace and the sealing notice's ``document_id``;
        422 with ``eligibility`` (the trace) when the records are not sealable or a fact is missing."""
        return await service.seal_person(principal(request), person_id, data)

    @post(
        "/sealed-status/lookup",
        operation_id="LookupSealedStatus",
        status_code=200,
        responses=R_WRITE,
        guards=[requires_roles("judge", "prosecutor")],
    )
    async def lookup(self, request: Req, data: JSONBody[s.StatusLookupIn]) -> s.StatusLookupOut:
        """Whether the person with this ID number has sealed records: for each, only the sealing unit, date
        and basis. Every check is access-logged."""
        return await service.lookup_status(principal(request), data)

    @get("/sealing/tasks", operation_id="ListSealingTasks", responses=R_READ, guards=[requires_roles("prosecutor")])
    async def tasks(
        self,
        request: Req,
        status: FromQuery[Literal["open", "done"] | None] = None,
        limit: Annotated[int | None, QueryParameter(ge=1, le=500)] = None,
        cursor: FromQuery[str | None] = None,
    ) -> s.TaskPage:
        """Your unit's sealing tasks with their deadlines (R-SEAL-4), newest first; ``status`` filters."""
        return await service.list_tasks(principal(request), status=status, limit=limit, cursor=cursor)


RecordId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
RequestId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]


class SealedRecordController(Controller):
    """Lawful queries of sealed records, granted reads, lifting a seal, no-record certificates."""

    path = "/api"
    tags = ["sealing"]

    @post(
        "/sealed-records/{record_id:int}/query-requests",
        operation_id="FileQueryRequest",
        status_code=201,
        responses=R_WRITE,
        guards=[requires_roles("judge", "prosecutor")],
    )
    async def file_query(
        self, request: Req, record_id: RecordId, data: JSONBody[s.QueryRequestIn]
    ) -> s.QueryRequestOut:
        """File a written application to read a sealed record (R-SEAL-7). One that cannot qualify is refused at
        once with the reason (R-SEAL-6); otherwise its decision is due on ``due_on``."""
        return await lawful_query.file_query(principal(request), record_id, data)

    @get(
        "/query-requests",
        operation_id="ListQueryRequests",
        responses=R_READ,
        guards=[requires_roles("judge", "prosecutor")],
    )
    async def list_queries(
        self,
        request: Req,
        status: FromQuery[Literal["pending", "refused", "approved", "denied"] | None] = None,
        limit: Annotated[int | None, QueryParameter(ge=1, le=500)] = None,
        cursor: FromQuery[str | None] = None,
    ) -> s.QueryRequestPage:
        """The requests you filed and, for prosecutors, those about records your unit sealed (to decide)."""
        return await lawful_query.list_queries(principal(request), status=status, limit=limit, cursor=cursor)

    @get(
        "/query-requests/{request_id:int}",
        operation_id="GetQueryRequest",
        responses=R_READ,
        guards=[requires_roles("judge", "prosecutor")],
    )
    async def get_query(self, request: Req, request_id: RequestId) -> s.QueryRequestOut:
        """One query request (its requester, and the sealing unit's prosecutors)."""
        return await lawful_query.get_query(principal(request), request_id)

    @post(
        "/query-requests/{request_id:int}/decision",
        operation_id="DecideQueryRequest",
        status_code=200,
        responses=R_WRITE,
        guards=[requires_roles("prosecutor")],
    )
    async def decide_query(
        self, request: Req, request_id: RequestId, data: JSONBody[s.QueryDecisionIn]
    ) -> s.QueryRequestOut:
        """Approve (for ``valid_days`` days) or deny a pending query: a prosecutor of the sealing unit other than
        the requester; the decision document is issued with it."""
        return await lawful_query.decide_query(principal(request), request_id, data)

    @get(
        "/sealed-records/{record_id:int}",
        operation_id="ReadSealedRecord",
        responses={**R_READ, **problem_responses(500)},
        guards=[requires_roles("judge", "prosecutor")],
    )
    async def read(self, request: Req, record_id: RecordId) -> s.SealedReadOut:
        """The sealed record's content, with an approved, unexpired query of yours; 403 otherwise. Both are
        access-logged."""
        return await lawful_query.read_sealed_record(principal(request), record_id)

    @post(
        "/sealed-records/{record_id:int}/unseal",
        operation_id="RequestUnsealing",
        status_code=202,
        responses=R_WRITE,
        guards=[requires_roles("prosecutor")],
    )
    async def unseal(self, request: Req, record_id: RecordId, data: JSONBody[s.UnsealIn]) -> s.UnsealAccepted:
        """Ask to lift the seal on a ground of R-SEAL-11 (202); 422 with ``ground`` (the trace) when none holds."""
        return await lawful_query.request_unseal(principal(request), record_id, data)

    @get("/unseal-requests", operation_id="ListUnsealRequests", responses=R_READ, guards=[requires_roles("prosecutor")])
    async def list_unseals(
        self,
        request: Req,
        status: FromQuery[Literal["pending", "approved", "rejected"] | None] = None,
        limit: Annotated[int | None, QueryParameter(ge=1, le=500)] = None,
    ) -> s.UnsealRequestPage:
        """Your unit's requests to lift seals, newest first."""
        return await lawful_query.list_unseals(principal(request), status=status, limit=limit)

    @post(
        "/unseal-requests/{unseal_request_id:int}/decision",
        operation_id="DecideUnsealing",
        status_code=200,
        responses=R_WRITE,
        guards=[requires_roles("prosecutor")],
    )
    async def decide_unseal(
        self, request: Req, unseal_request_id: RequestId, data: JSONBody[s.UnsealDecisionIn]
    ) -> s.UnsealRequestOut:
        """Approve or reject a request to lift a seal (a second prosecutor of the sealing unit)."""
        return await lawful_query.decide_unseal(principal(request), unseal_request_id, data)

    @post(
        "/no-record-certificates",
        operation_id="IssueNoRecordCertificate",
        status_code=201,
        responses={**R_WRITE, **problem_responses(500)},
        guards=[requires_roles("prosecutor")],
    )
    async def certificate(self, request: Req, data: JSONBody[s.CertificateIn]) -> s.CertificateOut:
        """Issue a 无犯罪记录证明 for a person whose records your unit sealed (R-SEAL-8); 409 while the person
        has a criminal record that is not sealed."""
        return await certificates.issue_certificate(principal(request), data)
