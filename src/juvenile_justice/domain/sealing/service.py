"""Sealing service (犯罪记录封存, issue 6; rules.md §5, API.md "Sealing").

- **Evaluation.** Recording a decision evaluates it (:func:`evaluate_decision`, registered with the cases
  service): the full trace of :mod:`eligibility` and, when the records must be sealed, a sealing task due
  three days after the decision reached the procuratorate (its effective date, else its date; R-SEAL-4).
- **Sealing.** :func:`seal_person` seals a person's records in a case in one transaction: the sealed
  record (with the trace, the ruleset version and the as-of date, and the records' snapshot encrypted
  under the crypto module), the task closed, the 犯罪记录封存通知书 issued, the advisement date
  (R-SEAL-10) recorded, and the access-log entry. From then on the sealing-aware query layer
  (:mod:`visibility`) keeps the person's records out of every ordinary answer.
- **Status check.** :func:`lookup_status` answers judges and prosecutors whether a person (by ID number,
  in the body) has records sealed now, and for each only the sealing unit, date and basis; every check is
  logged.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from juvenile_justice import db
from juvenile_justice.domain.accounts import repository as accounts_repo
from juvenile_justice.domain.audit import service as audit
from juvenile_justice.domain.cases import repository as cases_repo
from juvenile_justice.domain.cases import schemas as cs
from juvenile_justice.domain.cases import service as cases
from juvenile_justice.domain.cases.labels import CASE_TYPES, DECISION_KINDS, GENDERS, PERSON_ROLES
from juvenile_justice.domain.documents import service as documents
from juvenile_justice.domain.sealing import eligibility as el
from juvenile_justice.domain.sealing import notices
from juvenile_justice.domain.sealing import repository as repo
from juvenile_justice.domain.sealing import schemas as s
from juvenile_justice.lib.clock import now_utc, today_china
from juvenile_justice.lib.errors import Conflict, Forbidden, NotFound, ValidationFailed
from juvenile_justice.lib.names import mask_name
from juvenile_justice.lib.pagination import check_limit, decode_cursor, encode_cursor
from juvenile_justice.lib.periods import add_days
from juvenile_justice.lib.resident_id import InvalidResidentId, parse_resident_id
from juvenile_justice.lib.security import Principal
from juvenile_justice.protection import audit_hash

SEAL_WITHIN_DAYS = 3
"""Days from receipt of the effective judgment or the decision to seal (Seal-Measures Arts 11-12; R-SEAL-4)."""
LOOKUP_ROLES = frozenset({"judge", "prosecutor"})

BASIS_OF_KIND = {
    "judgment": "judgment",
    "acquittal": "acquittal",
    "non_prosecution_relative": "non_prosecution",
    "non_prosecution_absolute": "non_prosecution",
    "non_prosecution_after_probation": "non_prosecution",
    "conditional_non_prosecution": "non_prosecution",
}
"""Decision kind → the basis of the sealing (what the status check shows)."""
KIND_OF_BASIS = {"judgment": "judgment", "non_prosecution": "non_prosecution_relative"}
"""The decision recorded when ``POST /api/persons/{id}/sealing`` carries the decision itself."""


def facts_of(
    person: cases_repo.PersonRecord,
    case: cases_repo.CaseRecord,
    decision: cases_repo.DecisionRecord,
    *,
    offense_dates: list[date] | None = None,
    main_offense_date: date | None = None,
) -> el.Facts:
    """The facts the eligibility rules read, from the stored person, case and decision; ``offense_dates``
    and ``main_offense_date`` for several acts before and after 18 (R-SEAL-2)."""
    return el.Facts(
        kind=decision.kind,
        birth_date=person.birth_date,
        offense_dates=tuple(offense_dates or [case.offense_date]),
        main_offense_date=main_offense_date,
        sentence_kind=decision.sentence_kind,
        sentence_months=decision.sentence_months,
    )


def seal_due(received_on: date) -> date:
    """The day by which records must be sealed: :data:`SEAL_WITHIN_DAYS` days after the decision or the
    effective judgment was received (R-SEAL-4; Seal-Measures Arts 11-12)."""
    return add_days(received_on, SEAL_WITHIN_DAYS)


def is_overdue(due_on: date, today: date, *, done: bool = False) -> bool:
    """True when an open task is past its deadline (the whole of ``due_on`` counts)."""
    return not done and today > due_on


def _outcome(trace: el.Trace, task_id: int | None, due_on: date | None) -> cs.SealingOutcome:
    data = trace.as_dict()
    return cs.SealingOutcome(
        eligible=trace.eligible,
        trace=data["rules"],
        task_id=task_id,
        ruleset_version=trace.ruleset_version,
        as_of=trace.as_of,
        due_on=due_on,
    )


async def evaluate_decision(
    p: Principal, case: cases_repo.CaseRecord, person: cases_repo.PersonRecord, decision: cases_repo.DecisionRecord
) -> cs.SealingOutcome:
    """Evaluate a decision just recorded (in its transaction): the trace and, when the records must be
    sealed, an open sealing task due :data:`SEAL_WITHIN_DAYS` days after receipt (R-SEAL-4), logged."""
    trace = el.sealing_eligibility(facts_of(person, case, decision), today_china())
    if trace.eligible is not True or decision.kind not in BASIS_OF_KIND:
        return _outcome(trace, None, None)
    received = decision.effective_date or decision.decision_date
    due = seal_due(received)
    task_id = await repo.insert_task(
        {
            "unit": case.unit_id,
            "case_file": case.id,
            "person": person.id,
            "decision": decision.id,
            "basis": BASIS_OF_KIND[decision.kind],
            "received_on": received,
            "due_on": due,
            "eligibility": trace.as_dict(),
            "created_by": p.user_id,
            "created_at": now_utc(),
        }
    )
    await audit.access(
        p, "sealing_task.create", "allowed", f"case:{case.id}", record_unit=case.unit_id, purpose=f"task:{task_id}"
    )
    return _outcome(trace, task_id, due)


async def stored_outcomes(
    case: cases_repo.CaseRecord, decisions: list[cases_repo.DecisionRecord]
) -> dict[int, cs.SealingOutcome]:
    """The evaluation of a case's decisions: as stored with the sealing task a decision opened, else
    evaluated again as of today (the rules are pure; nothing is written)."""
    out: dict[int, cs.SealingOutcome] = {}
    tasks = await repo.tasks_of_decisions([d.id for d in decisions])
    for decision_id, task in tasks.items():
        trace = task.eligibility
        out[decision_id] = cs.SealingOutcome(
            eligible=trace.get("eligible"),
            trace=trace.get("rules", []),
            task_id=task.id,
            ruleset_version=trace.get("ruleset_version"),
            as_of=date.fromisoformat(trace["as_of"]) if trace.get("as_of") else None,
            due_on=task.due_on,
        )
    births: dict[int, cases_repo.PersonRecord | None] = {}
    for d in decisions:
        if d.id in out:
            continue
        if d.person_id not in births:
            births[d.person_id] = await cases_repo.person_by_id(d.person_id)
        person = births[d.person_id]
        if person is not None:
            out[d.id] = _outcome(el.sealing_eligibility(facts_of(person, case, d), today_china()), None, None)
    return out


cases.SEALING_HOOKS["evaluate"] = evaluate_decision
cases.SEALING_HOOKS["outcomes"] = stored_outcomes


# ------------------------------------------------------------------------------------------ sealing


async def _sealable_person(p: Principal, person_id: int) -> tuple[cases_repo.PersonRecord, cases_repo.CaseRecord]:
    """The person and case ``p`` may seal: a suspect of a case ``p`` prosecutes, not sealed yet."""
    person = await cases_repo.person_by_id(person_id)
    if person is None or p.role != "prosecutor":
        raise NotFound("人员不存在 / no such person")
    case = await cases_repo.case_by_id(person.case_id)
    if case is None or case.unit_id != p.unit_id:
        raise NotFound("人员不存在 / no such person")
    if person.role != "suspect":
        raise ValidationFailed.one("person_id", "只有犯罪嫌疑人的记录需要封存 / only a suspect's records are sealed")
    if person.sealed:
        raise Conflict("该人员在本案中的记录已封存 / this person's records in the case are sealed already")
    if await repo.records_of_person(person.id):  # R-SEAL-11: an unsealed record stays unsealed
        raise Conflict("该人员在本案中的记录已依法解除封存，不再封存 / these records were lawfully unsealed")
    if p.user_id not in case.prosecutor_ids():
        raise Forbidden("只有本案承办检察官可以封存 / only the case's prosecutors seal its records")
    return person, case


def governing_decision(decisions: list[cases_repo.DecisionRecord]) -> cases_repo.DecisionRecord | None:
    """The decision that ends the person's case and decides the seal: the latest judgment if there is one
    (a later non-prosecution cannot undo it), else the latest acquittal, else the latest decision not to
    prosecute."""
    for kinds in (("judgment",), ("acquittal",), tuple(k for k, b in BASIS_OF_KIND.items() if b == "non_prosecution")):
        final = [d for d in decisions if d.kind in kinds]
        if final:
            return max(final, key=lambda d: (d.decision_date, d.id))
    return None


async def _decision_for(
    p: Principal, person: cases_repo.PersonRecord, case: cases_repo.CaseRecord, data: s.SealingIn
) -> cases_repo.DecisionRecord:
    if data.decision_id is not None:
        if data.basis is not None:
            raise ValidationFailed.one("basis", "与decision_id二选一 / give either decision_id or the decision")
        decision = await cases_repo.decision_by_id(data.decision_id)
        if decision is None or decision.person_id != person.id:
            raise ValidationFailed.one("decision_id", "不是该人员的决定 / not a decision about this person")
        return decision
    missing = [n for n in ("basis", "decision_date", "document_number") if getattr(data, n) is None]
    if missing:
        raise ValidationFailed.one(
            missing[0], "须填写决定，或给出decision_id / required unless decision_id names a recorded decision"
        )
    assert data.basis is not None and data.decision_date is not None and data.document_number is not None
    create = cs.DecisionCreate(
        person_id=person.id,
        kind=KIND_OF_BASIS[data.basis],  # type: ignore[arg-type]
        decision_date=data.decision_date,
        document_number=data.document_number,
        effective_date=data.effective_date,
        sentence_kind=data.sentence_kind,
        sentence_months=data.sentence_months,
    )
    decision = await cases.insert_decision(case, create, p.user_id)
    await audit.access(p, "decision.create", "allowed", f"case:{case.id}", record_unit=case.unit_id)
    return decision


def _check_advised_on(advised_on: date | None, decision: cases_repo.DecisionRecord) -> None:
    if advised_on is None:
        return
    if advised_on < decision.decision_date:
        raise ValidationFailed.one("advised_on", "不能早于决定日期 / must not be before the decision date")
    if advised_on > today_china():
        raise ValidationFailed.one("advised_on", "不能晚于今天 / must not be in the future")


def _check_offense_dates(data: s.SealingIn, case: cases_repo.CaseRecord, decision: cases_repo.DecisionRecord) -> None:
    """Several acts (R-SEAL-2): the case's offence date is the first of them, and none is after the decision."""
    dates = data.offense_dates or []
    if len(dates) > 50:
        raise ValidationFailed.one("offense_dates", "至多50个 / at most 50 dates")
    if dates and case.offense_date not in dates:
        raise ValidationFailed.one(
            "offense_dates", f"须包括本案案发日期{case.offense_date} / must include the case's offence date"
        )
    for i, d in enumerate(dates):
        if not case.offense_date <= d <= decision.decision_date:
            raise ValidationFailed.one(
                f"offense_dates.{i}", "须在案发日期与决定日期之间 / must lie between the offence and the decision"
            )
    if data.main_offense_date is not None and data.main_offense_date not in dates:
        raise ValidationFailed.one("main_offense_date", "须为offense_dates之一 / must be one of offense_dates")


async def snapshot(case: cases_repo.CaseRecord, person: cases_repo.PersonRecord) -> dict[str, Any]:
    """The sealed content: the case's facts, the person in full, the person's decisions and the case's
    steps as they stand at sealing (what a granted lawful query reads, R-SEAL-7)."""
    decisions = [
        d for d in await cases_repo.decisions_of_case(case.id, include_sealed=True) if d.person_id == person.id
    ]
    steps = await cases_repo.steps_of_case(case.id, include_sealed=True)
    return {
        "case": {
            "id": case.id,
            "case_number": case.case_number,
            "title": case.title,
            "case_type": CASE_TYPES.get(case.case_type, case.case_type),
            "offense_date": case.offense_date.isoformat(),
            "received_on": case.received_on.isoformat(),
            "charges": [{"name": n, "article": a} for n, a, _ in case.charges],
            "unit": case.unit_name,
        },
        "person": {
            "id": person.id,
            "role": PERSON_ROLES.get(person.role, person.role),
            "name": person.name,
            "id_number": person.id_number,
            "gender": GENDERS.get(person.gender, person.gender),
            "birth_date": person.birth_date.isoformat(),
            "age_at_offense": person.age_at_offense,
        },
        "decisions": [
            {
                "id": d.id,
                "kind": d.kind,
                "kind_label": DECISION_KINDS.get(d.kind, d.kind),
                "decision_date": d.decision_date.isoformat(),
                "effective_date": d.effective_date.isoformat() if d.effective_date else None,
                "document_number": d.document_number,
                "sentence_kind": d.sentence_kind,
                "sentence_months": d.sentence_months,
            }
            for d in decisions
        ],
        "steps": [{"occurred_on": x.occurred_on.isoformat(), "kind": x.kind, "summary": x.summary} for x in steps],
    }


async def seal_person(p: Principal, person_id: int, data: s.SealingIn) -> s.SealingOut:
    """Seal a suspect's records in a case (R-SEAL-1..5, R-SEAL-10, R-CNP-12), in one transaction.

    Raises:
        NotFound: no such person in ``p``'s unit, or not a prosecutor (404).
        Forbidden: not one of the case's prosecutors (403).
        Conflict: already sealed (409).
        ValidationFailed: not a suspect; a bad or missing decision; a date out of range; or the records
            are not sealable, or a fact is missing (422 with ``eligibility``: the trace; nothing is written).
        AuditUnavailable: the access log cannot be written (503; nothing is written).
    """
    today = today_china()
    async with db.transaction():
        person, case = await _sealable_person(p, person_id)
        decision = await _decision_for(p, person, case, data)
        _check_offense_dates(data, case, decision)
        _check_advised_on(data.advised_on, decision)
        ours = [d for d in await cases_repo.decisions_of_case(case.id, include_sealed=True) if d.person_id == person.id]
        final = governing_decision(ours)
        if final is not None and final.id != decision.id:
            raise ValidationFailed.one(
                "decision_id" if data.decision_id is not None else "basis",
                f"本案对该人的终局决定是{final.decision_date}的{DECISION_KINDS.get(final.kind, final.kind)}，"
                "应据此判断是否封存 / another decision is the final one for this person",
            )
        facts = facts_of(
            person, case, decision, offense_dates=data.offense_dates, main_offense_date=data.main_offense_date
        )
        trace = el.sealing_eligibility(facts, today)
        if trace.eligible is not True or decision.kind not in BASIS_OF_KIND:
            missing = [m for r in trace.rules for m in r.missing]
            detail = (
                f"缺少事实 / a fact is missing: {', '.join(missing)}"
                if trace.eligible is None
                else "不符合封存条件 / these records are not sealed by law"
            )
            raise ValidationFailed.one(missing[0] if missing else "decision_id", detail, eligibility=trace.as_dict())
        content = await snapshot(case, person)
        record_id = await repo.insert_record(
            {
                "unit": case.unit_id,
                "case_file": case.id,
                "person": person.id,
                "decision": decision.id,
                "basis": BASIS_OF_KIND[decision.kind],
                "sealed_on": today,
                "sealed_at": now_utc(),
                "sealed_by": p.user_id,
                "advised_on": data.advised_on,
                "eligibility": trace.as_dict(),
                "ruleset_version": trace.ruleset_version,
            },
            person.id_number,
            content,
        )
        await repo.close_tasks(await repo.open_tasks_of_person(person.id), record_id)
        await audit.access(
            p, "sealed_record.create", "allowed", f"sealed_record:{record_id}", record_unit=case.unit_id,
            purpose=f"person:{person.id}",
        )  # fmt: skip
        unit = await accounts_repo.unit_by_id(case.unit_id)
        assert unit is not None
        notice = notices.sealing_notice_content(content, decision, data.advised_on, unit.name)
        document_id = await documents.issue(p, notices.SEALING_NOTICE, notice, case_id=case.id, sealed=True)
        await repo.set_notice(record_id, document_id)
    # rendered on its first download (or by the background retry): sealing answers without waiting for a PDF
    return s.SealingOut(
        id=record_id, sealed_on=today, eligibility=trace.as_dict(), document_id=document_id, advised_on=data.advised_on
    )


# ------------------------------------------------------------------------------------ status check


async def lookup_status(p: Principal, data: s.StatusLookupIn) -> s.StatusLookupOut:
    """Whether the person with this ID number has records sealed now (any unit), with each record's
    sealing unit, date and basis, never its content (API.md "Sealing"; R-SEAL-5, R-SEAL-6). The check is
    logged (the ID number as a keyed hash) and so is each record it names (purpose ``status``).

    Raises:
        Forbidden: not a judge or prosecutor (403).
        ValidationFailed: not a valid resident ID number (422 naming ``id_number``).
        AuditUnavailable: the check cannot be logged (503; nothing is answered).
    """
    if p.role not in LOOKUP_ROLES:
        raise Forbidden("只有法官和检察官可以查询封存状态 / only judges and prosecutors check sealed status")
    try:
        number = parse_resident_id(data.id_number, today=today_china()).number
    except InvalidResidentId as exc:
        raise ValidationFailed.one("id_number", str(exc)) from None
    records = await repo.records_by_id_number(number)
    async with db.transaction():
        await audit.protected_read(
            p, "sealed_status.lookup", f"id_number:{audit_hash('id_number', number)}", record_unit=p.unit_id,
            purpose=f"hits:{len(records)}",
        )  # fmt: skip
        for r in records:
            await audit.protected_read(
                p, "sealed_status.lookup", f"sealed_record:{r.id}", record_unit=r.unit_id, purpose="status"
            )
    return s.StatusLookupOut(
        sealed=bool(records),
        records=[
            s.SealedStatusRecord(id=r.id, sealed_on=r.sealed_on, sealing_unit=r.unit_name, basis=r.basis)  # type: ignore[arg-type]
            for r in records
        ],
    )


# --------------------------------------------------------------------------------------- tasks


async def list_tasks(p: Principal, *, status: str | None, limit: int | None, cursor: str | None) -> s.TaskPage:
    """The sealing tasks of ``p``'s unit, newest first (prosecutors). A done task no longer names the
    case or the person (their records are sealed): only its deadline and the sealed record's id.

    Raises:
        Forbidden: not a prosecutor (403). ValidationFailed: bad ``limit``, ``cursor`` or ``status``.
    """
    if p.role != "prosecutor":
        raise Forbidden("只有检察官可以查看封存任务 / only prosecutors see sealing tasks")
    if status not in (None, "open", "done"):
        raise ValidationFailed.one("status", "open或done / open or done")
    size = check_limit(limit)
    tasks = await repo.tasks_of_unit(p.unit_id, status=status, limit=size + 1, before_id=decode_cursor(cursor))
    await audit.protected_read(p, "sealing_task.list", f"unit:{p.unit_id}", record_unit=p.unit_id,
                               purpose=f"page:{min(len(tasks), size)}")  # fmt: skip
    today = today_china()
    items: list[s.TaskOut] = []
    for t in tasks[:size]:
        open_ = t.status == "open"
        person = await cases_repo.person_by_id(t.person_id) if open_ else None
        visible = person is not None and not person.sealed
        case = await cases_repo.case_by_id(t.case_id) if visible else None
        items.append(
            s.TaskOut(
                id=t.id,
                case_id=t.case_id if visible else None,
                case_number=t.case_number if visible else None,
                person_id=t.person_id if visible else None,
                display_name=mask_name(person.name) if visible and person else None,
                decision_id=t.decision_id if visible else None,
                decision_kind=t.decision_kind,
                document_number=t.document_number if visible else None,
                basis=t.basis,  # type: ignore[arg-type]
                received_on=t.received_on,
                due_on=t.due_on,
                overdue=is_overdue(t.due_on, today, done=not open_),
                status=t.status,  # type: ignore[arg-type]
                sealed_record_id=t.sealed_record_id,
                eligibility=t.eligibility if visible else {},
                yours=case is not None and p.user_id in case.prosecutor_ids(),
            )
        )
    more = len(tasks) > size
    return s.TaskPage(items=items, next_cursor=encode_cursor(items[-1].id) if more and items else None)


audit.OWNER_RESOLVERS["sealed_record"] = repo.unit_of_record
