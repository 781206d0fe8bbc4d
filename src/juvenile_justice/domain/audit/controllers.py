"""HTTP API of the auditors (API.md "Access log (auditors)"). Auditor only; HTTP only: one service call each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter
from litestar.response import Stream

from juvenile_justice.domain.audit import queries
from juvenile_justice.domain.audit import schemas as s
from juvenile_justice.lib.http import principal, problem_responses, requires_roles

R_READ = problem_responses(400, 401, 403, 404, 422, 503)
Req = Request[Any, Any, Any]


def item(e: queries.Entry) -> s.AccessLogItem:
    """The API form of an entry."""
    r = e.row
    return s.AccessLogItem(
        seq=int(r["seq"]),
        at=str(r["at"]),
        actor=r["actor"],
        role=r["role"],
        unit=e.unit_name,
        unit_id=r["unit"],
        action=str(r["action"]),
        target=r["target"],
        purpose=r["purpose"],
        outcome=str(r["outcome"]),
        entry_hash=str(r["entry_hash"]),
        record_unit=e.record_unit_name,
        request_id=r["request_id"],
        client=r["client"],
        flags=list(e.flags),  # type: ignore[arg-type]
    )


Actor = Annotated[str | None, QueryParameter(max_length=64)]
RecordId = Annotated[str | None, QueryParameter(max_length=60)]
Target = Annotated[str | None, QueryParameter(max_length=170)]
Unit = Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1)]
Action = Annotated[str | None, QueryParameter(max_length=80)]
From = Annotated[str | None, QueryParameter(name="from", max_length=40)]
To = Annotated[str | None, QueryParameter(max_length=40)]
Limit = Annotated[int | None, QueryParameter(ge=1, le=500)]
Seq = Annotated[int, PathParameter(ge=1, le=2**62)]
RequestId = Annotated[str | None, QueryParameter(max_length=40)]
Cursor = Annotated[str | None, QueryParameter(max_length=40)]


async def access_log_filters(
    actor: Actor = None,
    record_id: RecordId = None,
    target: Target = None,
    unit: Unit = None,
    outcome: FromQuery[s.Outcome | None] = None,
    action: Action = None,
    from_: From = None,
    to: To = None,
    flagged: FromQuery[bool] = False,
    request_id: RequestId = None,
) -> queries.Filters:
    """The auditors' filters, shared by the list and the export (a Litestar dependency)."""
    return queries.Filters(
        actor=actor,
        record_id=record_id,
        target=target,
        unit=unit,
        outcome=outcome,
        action=action,
        since=queries.bound("from", from_, end=False),
        until=queries.bound("to", to, end=True),
        flagged=flagged,
        request_id=request_id,
    )


def csv_download(chunks: AsyncIterator[str]) -> Stream:
    """The access-log CSV as a download: UTF-8 with a byte-order mark (spreadsheets then read it as UTF-8),
    named by the time of the export. Used by the API and the auditors' page."""

    async def body() -> AsyncIterator[bytes]:
        yield "\ufeff".encode()
        async for chunk in chunks:
            yield chunk.encode("utf-8")

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    headers = {"Content-Disposition": f'attachment; filename="access-log-{stamp}.csv"'}
    return Stream(body(), media_type="text/csv", headers=headers)


class AuditController(Controller):
    """``/api/audit``: the access log, its verification and CSV export (auditors)."""

    path = "/api/audit"
    tags = ["audit"]
    guards = [requires_roles("auditor")]
    dependencies = {"filters": Provide(access_log_filters)}

    @get("/access-log", operation_id="ListAccessLog", responses=R_READ)
    async def list_entries(
        self, request: Req, filters: NamedDependency[queries.Filters], limit: Limit = None, cursor: Cursor = None
    ) -> s.AccessLogPage:
        """Entries of your units (the actor's or the record's), newest first. ``record_id`` is ``kind:id``
        (``person:17``) or a bare id; ``target`` an exact target such as a hash from ``POST /api/audit/hash``;
        ``action`` exact or a prefix ending in ``.`` (``route.`` for refused requests); ``request_id`` the
        entries of one request; ``from``/``to`` dates (whole days, China Standard Time)
        or RFC 3339 times, inclusive; ``flagged=true`` keeps entries with an anomaly flag. Your query is logged."""
        entries, cursor_out = await queries.search(principal(request), filters, limit=limit, cursor=cursor)
        return s.AccessLogPage(items=[item(e) for e in entries], next_cursor=cursor_out)

    @get("/access-log/{seq:int}", operation_id="GetAccessLogEntry", responses=R_READ)
    async def get_entry(self, request: Req, seq: Seq) -> s.AccessLogDetail:
        """One entry of your units, with the hash before it and whether its own hash recomputes."""
        entry, matches = await queries.detail(principal(request), seq)
        base = item(entry)
        return s.AccessLogDetail(
            **{f: getattr(base, f) for f in base.__struct_fields__},
            prev_hash=str(entry.row["prev_hash"]),
            hash_matches=matches,
        )

    @get(
        "/access-log/export",
        operation_id="ExportAccessLog",
        responses=R_READ,
        media_type="text/csv",
    )
    async def export(self, request: Req, filters: NamedDependency[queries.Filters]) -> Stream:
        """The entries matching the filters of ``GET /api/audit/access-log`` as CSV (UTF-8), newest first.
        Cells that a spreadsheet would run as formulas are prefixed with ``'``. The export is logged."""
        chunks = await queries.export_csv(principal(request), filters)

        return csv_download(chunks)

    @get("/verify", operation_id="VerifyAccessLog", responses=R_READ)
    async def verify(self, request: Req) -> s.VerifyOut:
        """Verify the whole chain: ``valid``, entries checked, head hash, the first bad sequence number."""
        result = await queries.verify(principal(request))
        return s.VerifyOut(
            valid=result.ok,
            entries=result.checked,
            head_hash=result.head.hex(),
            first_bad_seq=result.first_bad_seq,
            reason=result.reason,
        )

    @post("/hash", operation_id="HashAuditTerm", status_code=200, responses=R_READ)
    async def hash_term(self, request: Req, data: JSONBody[s.HashIn]) -> s.HashOut:
        """The ``target`` values under which the log records an ID number, a search text or a typed user
        name (keyed hashes: the log never holds the value). Use one as ``target=`` to find the entries."""
        return s.HashOut(targets=await queries.hash_lookup(principal(request), data.kind, data.value))
