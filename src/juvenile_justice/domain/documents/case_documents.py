"""Documents about a case: the case summary (案件摘要) now; the procedures add theirs (issue 5).

Who may do what (API.md "Units, users, roles"): the case's prosecutors issue, reissue and open a case
summary (it names every person in full: need-to-know); the unit's other readers of the case (its
prosecutors and aid officers) see the list and the metadata, not the content; other units get 404.
"""

from __future__ import annotations

from typing import Any

from juvenile_justice.domain.cases import service as cases
from juvenile_justice.domain.cases.rules import check_no_person_names
from juvenile_justice.domain.cases.summary import summary_content
from juvenile_justice.domain.documents import repository as repo
from juvenile_justice.domain.documents import service
from juvenile_justice.lib.errors import Forbidden, NotFound, SealedRecordRefused
from juvenile_justice.lib.security import Principal

CASE_SUMMARY = service.register(service.DocumentKind("case_summary", "案件摘要", "摘", "case_summary.html"))
"""案件摘要: the case's facts, persons, steps and decisions as recorded on the day of issue."""


NO_DOCUMENT = "文书不存在 / no such document"


async def _case_prosecutor(p: Principal, doc: repo.DocumentRecord) -> None:
    if doc.case_id is None:
        raise NotFound(NO_DOCUMENT)
    try:
        await cases.writable_case(p, doc.case_id)
    except NotFound:
        raise NotFound(NO_DOCUMENT) from None  # the same answer as for an id that does not exist
    except Forbidden:
        raise Forbidden(
            "只有本案承办检察官可以查看此文书 / only the case's prosecutors may open this document"
        ) from None
    if await repo.predates_seal(doc.id):  # it may name a person sealed since (R-SEAL-5)
        raise SealedRecordRefused(
            "本文书出具后，案中人员的犯罪记录已依法封存，不再提供；可重新出具案件摘要 / issued before a seal in this "
            "case: issue a new summary"
        )


async def _case_reader(p: Principal, doc: repo.DocumentRecord) -> None:
    if doc.case_id is None:
        raise NotFound(NO_DOCUMENT)
    try:
        await cases.readable_case(p, doc.case_id)
    except NotFound:
        raise NotFound(NO_DOCUMENT) from None


async def _rebuild_summary(p: Principal, doc: repo.DocumentRecord, reason: str) -> tuple[dict[str, Any], bool]:
    assert doc.case_id is not None
    _, content = await summary_content(p, doc.case_id)
    check_no_person_names(reason, [x["name"] for x in content["persons"]], "reason")
    return content, False


service.READERS[CASE_SUMMARY.kind] = _case_prosecutor
service.METADATA_READERS[CASE_SUMMARY.kind] = _case_reader
service.REBUILDERS[CASE_SUMMARY.kind] = _rebuild_summary


async def issue_case_document(p: Principal, case_id: int, kind: str) -> int:
    """Issue a document of ``kind`` (``case_summary``) about a case and render it; returns its id.

    Raises:
        NotFound: no such case in ``p``'s unit (404). Forbidden: not one of its prosecutors (403).
        AuditUnavailable: the access log cannot be written (503; nothing is issued).
    """
    if kind != CASE_SUMMARY.kind:
        raise NotFound("没有这种文书 / no such kind of document")
    case, content = await summary_content(p, case_id)
    doc_id = await service.issue(p, CASE_SUMMARY, content, case_id=case.id)
    await service.store_copy(p, doc_id)
    return doc_id


async def documents_of_case(p: Principal, case_id: int) -> list[repo.DocumentRecord]:
    """The documents issued about a case, newest first (metadata only).

    Raises:
        NotFound: no such case in ``p``'s unit, or a role that reads no cases (404).
    """
    case = await cases.readable_case(p, case_id)
    return await repo.documents_of_case(case.id)
