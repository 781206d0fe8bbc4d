"""Lawful queries of sealed records (依法查询, R-SEAL-6, R-SEAL-7) and lifting a seal (解除封存, R-SEAL-11).

- **Filing.** A judge or prosecutor files a written application for one sealed record: purpose, legal
  basis, requesting unit and its type, and the state regulation it relies on, if any. A prosecutor may
  record an outside body's written application on its behalf (the read is then granted to that
  prosecutor). An application that cannot qualify is refused at once with the reason (R-SEAL-6):
  a unit that is not a judicial organ and cites no state regulation; and, for non-prosecution records,
  anyone but a judicial organ (SPP Rules 486). Otherwise it waits for a decision due in 3 working days
  (2022 sealing measures) or, with ``JJ_SEALED_QUERY_DEADLINE=7d``, 7 days (SPP Rules 484).
- **Decision.** A prosecutor of the sealing unit other than the requester approves (for 1 to 90 days) or
  denies, with a reason; the decision document (查询许可决定书 / 不予许可查询决定书) is issued with it.
- **Reading.** ``GET /api/sealed-records/{id}`` answers the record's content only to a requester holding an
  approved, unexpired grant; every read, allowed (purpose ``grant:<id>``) or refused, is logged. Judicial
  organs read the whole record; other units only what their purpose needs: whether the person was
  punished, for what and how (R-SEAL-7, scope).
- **Unsealing.** A prosecutor of the sealing unit requests it on a ground of R-SEAL-11 with its facts
  (422 with the trace when no ground holds); a second prosecutor approves, and only then the record's
  status becomes ``unsealed``: its records are ordinary data again, and the sealed record stays as history.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from juvenile_justice import db
from juvenile_justice.domain.audit import service as audit
from juvenile_justice.domain.calendar.service import working_day_calendar
from juvenile_justice.domain.cases import repository as cases_repo
from juvenile_justice.domain.cases.rules import clean_text
from juvenile_justice.domain.documents import service as documents
from juvenile_justice.domain.sealing import eligibility as el
from juvenile_justice.domain.sealing import notices
from juvenile_justice.domain.sealing import repository as repo
from juvenile_justice.domain.sealing import request_repository as rr
from juvenile_justice.domain.sealing import schemas as s
from juvenile_justice.lib.clock import now_utc, today_china
from juvenile_justice.lib.errors import Conflict, Forbidden, NotFound, SealedRecordRefused, ValidationFailed
from juvenile_justice.lib.pagination import check_limit, decode_cursor, encode_cursor
from juvenile_justice.lib.periods import age_in_full_years
from juvenile_justice.lib.phone_numbers import contains_mobile_number
from juvenile_justice.lib.security import Principal
from juvenile_justice.settings import get_settings

MIN_CRIMINAL_AGE = 12
"""No criminal liability under 12 (CL 17): no new or earlier crime can date from before that age."""
JUDICIAL_ORGANS = frozenset({"court", "procuratorate", "public_security", "state_security"})
"""Judicial organs handling a case (API.md "Units, users, roles"; R-SEAL-6)."""
QUERY_ROLES = frozenset({"judge", "prosecutor"})
MAX_TEXT = 500


def refusal_reason(basis: str, unit_type: str, cited_regulation: str | None) -> str | None:
    """Why an application cannot qualify (R-SEAL-6), or None when it may be decided.

    - Non-prosecution records: only judicial organs handling a case (SPP Rules 486).
    - Other records: judicial organs, or units querying under a state regulation they cite (CPL 286(2)).
    """
    judicial = unit_type in JUDICIAL_ORGANS
    if basis == "non_prosecution" and not judicial:
        return "不起诉记录仅限司法机关因办案需要查询（《人民检察院刑事诉讼规则》第四百八十六条）"
    if not judicial and not (cited_regulation or "").strip():
        return "申请单位不是司法机关，且未援引国家规定（《中华人民共和国刑事诉讼法》第二百八十六条第二款）"
    return None


def decision_due(filed_on: date, rule: str, add_working_days: Any) -> date:
    """The day a decision is due: ``3wd`` → 3 working days after filing (2022 sealing measures; the
    holiday calendar counts), ``7d`` → 7 days after (SPP Rules 484). ``add_working_days(start, n)`` is the
    calendar's (returns an object with ``date``)."""
    if rule == "7d":
        return filed_on + timedelta(days=7)
    return add_working_days(filed_on, 3).date


def _text(value: str | None, field: str, *, required: bool = True) -> str | None:
    if value is None or not value.strip():
        if required:
            raise ValidationFailed.one(field, "必填 / required")
        return None
    text = clean_text(value, field)
    if len(text) > MAX_TEXT:
        raise ValidationFailed.one(field, f"至多{MAX_TEXT}字 / at most {MAX_TEXT} characters")
    if contains_mobile_number(text):
        raise ValidationFailed.one(field, "不得写入电话号码 / must not contain a phone number")
    return text


_CITES_NOTHING = re.compile(r"\s*(?:暂?无|没有|未|不适用|尚无|并无)")
"""A citation that says there is none ("暂无规定", "没有相关法")."""
_REGULATION = re.compile(r"《[^》]{2,}》|[\u4e00-\u9fff]{2,}(?:法|条例|规定|办法|规则|决定)")


def _regulation(value: str | None) -> str | None:
    """A cited state regulation: blank, or text naming one (《…》, or a name ending in 法/条例/规定/办法/规则/
    决定); "无" or "-" cite nothing."""
    text = _text(value, "cited_regulation", required=False)
    if text is not None and (not _REGULATION.search(text) or _CITES_NOTHING.match(text)):
        raise ValidationFailed.one(
            "cited_regulation", "请写明所依据的国家规定的名称，如《征兵工作条例》 / name the state regulation relied on"
        )
    return text


async def _record(record_id: int) -> repo.SealedRecordRow:
    record = await repo.record_by_id(record_id)
    if record is None:
        raise NotFound("封存记录不存在 / no such sealed record")
    return record


def query_out(q: rr.QueryRecord, today: date) -> s.QueryRequestOut:
    """The API form of a query request."""
    return s.QueryRequestOut(
        id=q.id,
        record_id=q.record_id,
        status=q.status,  # type: ignore[arg-type]
        reason=q.reason,
        requester=q.requester,
        requesting_unit=q.requesting_unit,
        requesting_unit_type=q.requesting_unit_type,  # type: ignore[arg-type]
        purpose=q.purpose,
        legal_basis=q.legal_basis,
        cited_regulation=q.cited_regulation,
        filed_on=q.filed_on,
        due_on=q.due_on,
        overdue=q.status == "pending" and today > q.due_on,
        decided_by=q.decided_by,
        valid_until=q.valid_until,
        document_id=q.decision_document_id,
    )


async def file_query(p: Principal, record_id: int, data: s.QueryRequestIn) -> s.QueryRequestOut:
    """File a written application to read a sealed record (R-SEAL-7); refused at once when it cannot
    qualify (R-SEAL-6, with the reason).

    Raises:
        Forbidden: not a judge or prosecutor (403).
        NotFound: no such sealed record (404).
        Conflict: the record is no longer sealed (409).
        ValidationFailed: a blank or over-long text, an ID number in it, or a judge naming another type of
            unit than a court (422, naming the field).
    """
    if p.role not in QUERY_ROLES:
        raise Forbidden("只有法官和检察官可以申请查询 / only judges and prosecutors file queries")
    record = await _record(record_id)
    if record.status != "sealed":
        raise Conflict("该记录已解除封存 / this record is no longer sealed")
    if p.role == "judge" and data.requesting_unit_type != "court":
        raise ValidationFailed.one("requesting_unit_type", "法官以人民法院名义申请 / a judge applies for a court")
    if p.role == "judge" and data.requesting_unit.strip() != p.unit_name:
        raise ValidationFailed.one("requesting_unit", "法官以本院名义申请 / a judge applies for their own court")
    purpose = _text(data.purpose, "purpose")
    legal_basis = _text(data.legal_basis, "legal_basis")
    requesting_unit = _text(data.requesting_unit, "requesting_unit")
    cited = _regulation(data.cited_regulation)
    assert purpose and legal_basis and requesting_unit
    today = today_china()
    reason = refusal_reason(record.basis, data.requesting_unit_type, cited)
    due = decision_due(today, get_settings().sealed_query_deadline, (await working_day_calendar()).add_working_days)
    async with db.transaction():
        request_id = await rr.insert_query(
            {
                "sealed_record": record.id,
                "record_unit": record.unit_id,
                "requester": p.user_id,
                "requester_unit": p.unit_id,
                "requesting_unit": requesting_unit,
                "requesting_unit_type": data.requesting_unit_type,
                "purpose": purpose,
                "legal_basis": legal_basis,
                "cited_regulation": cited,
                "filed_on": today,
                "filed_at": now_utc(),
                "due_on": due,
                "status": "refused" if reason else "pending",
                "reason": reason,
            }
        )
        await audit.access(
            p, "query_request.create", "refused" if reason else "allowed", f"sealed_record:{record.id}",
            record_unit=record.unit_id, purpose=f"request:{request_id}",
        )  # fmt: skip
    q = await rr.query_by_id(request_id)
    assert q is not None
    return query_out(q, today)


async def _deciding_prosecutor(p: Principal, record_unit_id: int, requester_id: int) -> None:
    if p.role != "prosecutor" or p.unit_id != record_unit_id:
        raise NotFound("申请不存在 / no such request")
    if p.user_id == requester_id:
        raise Forbidden("申请人不能决定自己的申请 / a requester cannot decide their own request")


async def decide_query(p: Principal, request_id: int, data: s.QueryDecisionIn) -> s.QueryRequestOut:
    """Approve (for ``valid_days`` days) or deny a pending query, with the decision document.

    Raises:
        NotFound: no such request, or not a prosecutor of the sealing unit (404).
        Forbidden: the requester (403).
        Conflict: decided already, or refused at filing (409).
        ValidationFailed: a blank reason, or ``valid_days`` missing for an approval (422).
    """
    q = await rr.query_by_id(request_id)
    if q is None:
        raise NotFound("申请不存在 / no such request")
    await _deciding_prosecutor(p, q.record_unit_id, q.requester_id)
    if q.status != "pending":
        raise Conflict("该申请已有决定 / this request has been decided")
    reason = _text(data.reason, "reason")
    if data.approve and data.valid_days is None:
        raise ValidationFailed.one("valid_days", "批准须写明查阅期限（天） / an approval needs its days")
    today = today_china()
    valid_until = today + timedelta(days=(data.valid_days or 1) - 1) if data.approve else None
    kind = notices.QUERY_PERMIT if data.approve else notices.QUERY_REFUSAL
    content = notices.query_decision_content(q, approve=data.approve, reason=reason or "", valid_until=valid_until)
    async with db.transaction():
        document_id = await documents.issue(p, kind, content)
        decided = await rr.decide_query(
            request_id,
            {
                "status": "approved" if data.approve else "denied",
                "reason": reason,
                "decided_by": p.user_id,
                "decided_at": now_utc(),
                "valid_days": data.valid_days if data.approve else None,
                "valid_until": valid_until,
                "decision_document": document_id,
            },
        )
        if not decided:
            raise Conflict("该申请已有决定 / this request has been decided")
        await audit.access(
            p, "query_request.decide", "allowed", f"sealed_record:{q.record_id}", record_unit=q.record_unit_id,
            purpose=f"{'approve' if data.approve else 'deny'}:{request_id}",
        )  # fmt: skip
    # the decision document is rendered on its first download (or by the background retry)
    updated = await rr.query_by_id(request_id)
    assert updated is not None
    return query_out(updated, today)


async def get_query(p: Principal, request_id: int) -> s.QueryRequestOut:
    """One request: to its requester and to the prosecutors of the sealing unit (404 otherwise)."""
    q = await rr.query_by_id(request_id)
    if q is None or not (q.requester_id == p.user_id or (p.role == "prosecutor" and p.unit_id == q.record_unit_id)):
        raise NotFound("申请不存在 / no such request")
    return query_out(q, today_china())


async def list_queries(
    p: Principal, *, status: str | None, limit: int | None, cursor: str | None
) -> s.QueryRequestPage:
    """The requests ``p`` filed and, for prosecutors, those about records their unit sealed; newest first.

    Raises:
        Forbidden: not a judge or prosecutor (403). ValidationFailed: bad ``limit`` or ``cursor``.
    """
    if p.role not in QUERY_ROLES:
        raise Forbidden("只有法官和检察官可以查看查询申请 / only judges and prosecutors see query requests")
    size = check_limit(limit)
    rows = await rr.queries_visible_to(
        p.user_id, p.unit_id, deciding=p.role == "prosecutor", status=status, limit=size + 1,
        before_id=decode_cursor(cursor),
    )  # fmt: skip
    today = today_china()
    items = [query_out(q, today) for q in rows[:size]]
    more = len(rows) > size
    return s.QueryRequestPage(items=items, next_cursor=encode_cursor(items[-1].id) if more and items else None)


LIMITED_FIELDS = ("name", "id_number", "gender", "birth_date")


def _scoped(content: dict[str, Any], unit_type: str) -> tuple[str, dict[str, Any]]:
    """Judicial organs read the whole record; other units whether the person was punished, for what and
    how (R-SEAL-7, scope disclosed)."""
    if unit_type in JUDICIAL_ORGANS:
        return "full", content
    person = {k: content["person"].get(k) for k in LIMITED_FIELDS}
    charges = [c["name"] for c in content["case"]["charges"]]
    decisions = [
        {k: d.get(k) for k in ("kind", "kind_label", "decision_date", "sentence_kind", "sentence_months")}
        for d in content["decisions"]
    ]
    return "limited", {"person": person, "charges": charges, "decisions": decisions}


async def read_sealed_record(p: Principal, record_id: int) -> s.SealedReadOut:
    """The content of a sealed record, for a requester holding an approved, unexpired grant (logged with
    purpose ``grant:<request id>``); anyone else is refused (403, logged).

    Raises:
        NotFound: no such record (404). SealedRecordRefused: no grant (403).
        DecryptionError: the stored content fails its check (500 "integrity").
        AuditUnavailable: the read cannot be logged (503; nothing is answered).
    """
    record = await _record(record_id)
    target = f"sealed_record:{record.id}"
    grant = await rr.active_grant(record.id, p.user_id, today_china())
    if grant is None:
        await audit.access(p, "sealed_record.read", "refused", target, record_unit=record.unit_id, purpose="no grant")
        raise SealedRecordRefused(
            "没有有效的查询许可：须依法提出查询申请并经批准 / no approved, unexpired query for this record"
        )
    content = await repo.content_of(record.id)
    scope, shown = _scoped(content, grant.requesting_unit_type)
    await audit.protected_read(p, "sealed_record.read", target, record_unit=record.unit_id, purpose=f"grant:{grant.id}")
    return s.SealedReadOut(
        id=record.id,
        status=record.status,  # type: ignore[arg-type]
        sealed_on=record.sealed_on,
        sealing_unit=record.unit_name,
        basis=record.basis,  # type: ignore[arg-type]
        scope=scope,  # type: ignore[arg-type]
        content=shown,
        request_id=grant.id,
        valid_until=grant.valid_until,  # type: ignore[arg-type]
        purpose=grant.purpose,
        notice="查询所得信息仅限用于申请所述用途，应当予以保密，不得泄露（R-SEAL-12）。",
    )


# ---------------------------------------------------------------------------------------- unsealing


async def request_unseal(p: Principal, record_id: int, data: s.UnsealIn) -> s.UnsealAccepted:
    """Ask to lift a seal on a ground of R-SEAL-11 (202); a second prosecutor decides.

    Raises:
        NotFound: no such record, or not a prosecutor of the sealing unit (404).
        Conflict: not sealed, or a request is pending already (409).
        ValidationFailed: bad facts, or no ground holds (422 with ``ground``: the trace).
    """
    record = await _record(record_id)
    if p.role != "prosecutor" or p.unit_id != record.unit_id:
        raise NotFound("封存记录不存在 / no such sealed record")
    if record.status != "sealed":
        raise Conflict("该记录未处于封存状态 / this record is not sealed")
    reason = _text(data.reason, "reason")
    number = _text(data.judgment_document_number, "judgment_document_number")
    today = today_china()
    if data.new_offense_date is not None and data.new_offense_date > today:
        raise ValidationFailed.one("new_offense_date", "不能晚于今天 / must not be in the future")
    person = await cases_repo.person_by_id(record.person_id)
    assert person is not None
    if data.new_offense_date is not None and (
        data.new_offense_date < person.birth_date
        or age_in_full_years(person.birth_date, data.new_offense_date) < MIN_CRIMINAL_AGE
    ):
        raise ValidationFailed.one(
            "new_offense_date", "行为时不满十二周岁，不负刑事责任（刑法第十七条） / under 12 at that date (CL 17)"
        )
    comparator = get_settings().unseal_comparator
    trace = el.unsealing_ground(
        rule=data.rule,
        birth_date=person.birth_date,
        new_offense_date=data.new_offense_date,
        combined_sentence_months=data.combined_sentence_months,
        as_of=today,
        comparator=comparator,  # type: ignore[arg-type]
    )
    if trace.eligible is not True:
        field, message = _why_no_ground(trace, data.rule, comparator)
        raise ValidationFailed.one(field, message, ground=trace.as_dict())
    async with db.transaction():
        request_id = await rr.insert_unseal(
            {
                "sealed_record": record.id,
                "record_unit": record.unit_id,
                "rule": data.rule,
                "reason": reason,
                "combined_sentence_months": data.combined_sentence_months,
                "new_offense_date": data.new_offense_date,
                "judgment_document_number": number,
                "ground": trace.as_dict(),
                "requested_by": p.user_id,
                "requested_at": now_utc(),
            }
        )
        if request_id is None:
            raise Conflict("已有待决定的解除封存申请 / a request to lift this seal is pending")
        await audit.access(p, "unseal_request.create", "allowed", f"sealed_record:{record.id}",
                           record_unit=record.unit_id, purpose=f"unseal:{request_id}")  # fmt: skip
    return s.UnsealAccepted(unseal_request_id=request_id, ground=trace.as_dict())


def _why_no_ground(trace: el.Trace, rule: str, comparator: str) -> tuple[str, str]:
    """The field and the reason why no ground of R-SEAL-11 holds, in words."""
    inputs = trace.rules[0].inputs
    missing = [m for r in trace.rules for m in r.missing]
    if missing:
        return missing[0], f"缺少事实 / a fact is missing: {', '.join(missing)}"
    age = inputs.get("age_at_new_offense")
    if rule != "retrial" and age is not None and age >= el.ADULT_AGE:
        return "new_offense_date", (
            f"新罪或漏罪行为时已满十八周岁（{age}周岁），不是解除封存的理由 / committed as an adult: not a ground"
        )
    months = inputs.get("combined_sentence_months")
    limit = "六十个月以上" if rule == "retrial" or comparator == ">=" else "超过六十个月"
    return "combined_sentence_months", (
        f"刑期{months}个月，未达到{limit}，不是解除封存的理由 / the sentence is not long enough to lift the seal"
    )


def unseal_out(x: rr.UnsealRecord) -> s.UnsealRequestOut:
    """The API form of an unseal request."""
    return s.UnsealRequestOut(
        id=x.id,
        record_id=x.record_id,
        rule=x.rule,  # type: ignore[arg-type]
        reason=x.reason,
        combined_sentence_months=x.combined_sentence_months,
        new_offense_date=x.new_offense_date,
        judgment_document_number=x.judgment_document_number,
        ground=x.ground,
        requested_by=x.requested_by,
        status=x.status,  # type: ignore[arg-type]
        decided_by=x.decided_by,
        decision_reason=x.decision_reason,
    )


async def decide_unseal(p: Principal, request_id: int, data: s.UnsealDecisionIn) -> s.UnsealRequestOut:
    """Approve or reject a request to lift a seal; approval by a second prosecutor of the sealing unit
    unseals the record (its records are ordinary data again; the sealed record stays as history).

    Raises:
        NotFound: no such request, or not a prosecutor of the sealing unit (404).
        Forbidden: the prosecutor who asked (403).
        Conflict: decided already (409). ValidationFailed: a blank reason (422).
    """
    x = await rr.unseal_by_id(request_id)
    if x is None:
        raise NotFound("申请不存在 / no such request")
    await _deciding_prosecutor(p, x.record_unit_id, x.requested_by_id)
    if x.status != "pending":
        raise Conflict("该申请已有决定 / this request has been decided")
    reason = _text(data.reason, "reason")
    async with db.transaction():
        decided = await rr.decide_unseal(
            request_id,
            {"status": "approved" if data.approve else "rejected", "decided_by": p.user_id, "decided_at": now_utc(),
             "decision_reason": reason},
        )  # fmt: skip
        if not decided:
            raise Conflict("该申请已有决定 / this request has been decided")
        # the log entry first: the database lets a record's status change only once its unsealing is logged
        await audit.access(
            p, "sealed_record.unseal" if data.approve else "unseal_request.reject", "allowed",
            f"sealed_record:{x.record_id}", record_unit=x.record_unit_id, purpose=f"unseal:{request_id}",
        )  # fmt: skip
        if data.approve and not await repo.unseal(x.record_id, today_china()):
            raise Conflict("该记录未处于封存状态 / this record is not sealed")
    updated = await rr.unseal_by_id(request_id)
    assert updated is not None
    return unseal_out(updated)


async def list_unseals(p: Principal, *, status: str | None, limit: int | None) -> s.UnsealRequestPage:
    """The unit's requests to lift seals, newest first (prosecutors)."""
    if p.role != "prosecutor":
        raise Forbidden("只有检察官可以查看解除封存申请 / only prosecutors see unseal requests")
    rows = await rr.unseals_of_unit(p.unit_id, status=status, limit=check_limit(limit))
    return s.UnsealRequestPage(items=[unseal_out(x) for x in rows])


audit.OWNER_RESOLVERS.update({"query_request": rr.unit_of_query, "unseal_request": rr.unit_of_unseal})
