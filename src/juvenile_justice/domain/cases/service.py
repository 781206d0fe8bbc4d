"""Cases service: authorisation on the object, transactions, and the shapes the API returns.

Visibility (API.md "Units, users, roles"): a case belongs to its handling unit. The unit's
prosecutors and aid officers read it; only its case prosecutors (creator and assigned prosecutors)
change it and see full names and ID numbers; everyone else sees masked names. Another unit's case
answers 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import msgspec

from juvenile_justice import db
from juvenile_justice.domain.accounts import repository as accounts_repo
from juvenile_justice.domain.accounts.repository import UnitRecord
from juvenile_justice.domain.audit import service as audit
from juvenile_justice.domain.cases import repository as repo
from juvenile_justice.domain.cases import rules
from juvenile_justice.domain.cases import schemas as s
from juvenile_justice.domain.cases.criminal_law import lookup_article
from juvenile_justice.lib.clock import now_utc, today_china
from juvenile_justice.lib.errors import Conflict, Forbidden, NotFound, SealedRecordRefused, ValidationFailed
from juvenile_justice.lib.names import mask_name
from juvenile_justice.lib.pagination import check_limit, decode_cursor, encode_cursor
from juvenile_justice.lib.resident_id import InvalidResidentId, parse_resident_id
from juvenile_justice.lib.security import Principal
from juvenile_justice.protection import audit_hash

READ_ROLES = frozenset({"prosecutor", "aid_officer"})


async def _records_of_id_number(id_number: str, units: list[int]) -> list[str]:
    """The persons with this ID number in ``units``' cases and their cases, as access-log targets (the
    auditors' search; blind index, candidates opened and compared in constant time)."""
    try:
        number = parse_resident_id(id_number, today=today_china()).number
    except InvalidResidentId as exc:
        raise ValidationFailed.one("value", str(exc)) from None
    targets: list[str] = []
    for person_id, case_id in await repo.person_and_case_ids_by_id_number(units, number):
        targets += [f"person:{person_id}", f"case:{case_id}"]
    return list(dict.fromkeys(targets))


audit.OWNER_RESOLVERS.update({"case": repo.unit_of_case, "person": repo.unit_of_person})
audit.RECORD_FINDERS["id_number"] = _records_of_id_number


async def _logged_read(p: Principal, action: str, target: str, unit_id: int, purpose: str | None = None) -> None:
    """Write the access-log entry of a read before it is answered (fail closed: 503 otherwise)."""
    await audit.protected_read(p, action, target, record_unit=unit_id, purpose=purpose)


async def _readable_case(p: Principal, case_id: int) -> repo.CaseRecord:
    case = await repo.case_by_id(case_id)
    if case is None or case.unit_id != p.unit_id or p.role not in READ_ROLES:
        raise NotFound("案件不存在或不属于本单位 / no such case")
    if case.seal_state == "sealed":  # R-SEAL-5: refused and logged, whoever asks
        await audit.access(p, "case.read", "refused", f"case:{case.id}", record_unit=case.unit_id, purpose="sealed")
        raise SealedRecordRefused()
    return case


def _is_case_prosecutor(p: Principal, case: repo.CaseRecord) -> bool:
    return p.role == "prosecutor" and p.user_id in case.prosecutor_ids()


async def _writable_case(p: Principal, case_id: int) -> repo.CaseRecord:
    case = await _readable_case(p, case_id)
    if not _is_case_prosecutor(p, case):
        raise Forbidden("只有本案承办检察官可以修改本案 / only the case's prosecutors may change this case")
    return case


SealingHook = Callable[
    [Principal, repo.CaseRecord, repo.PersonRecord, repo.DecisionRecord], Awaitable[s.SealingOutcome]
]
SealingLookup = Callable[[repo.CaseRecord, list[repo.DecisionRecord]], Awaitable[dict[int, s.SealingOutcome]]]
SEALING_HOOKS: dict[str, Any] = {}
"""The sealing area registers ``"evaluate"`` (a :data:`SealingHook`, run in the transaction recording a
decision: eligibility trace and sealing task, R-SEAL-4) and ``"outcomes"`` (a :data:`SealingLookup`: the
evaluation of a case's decisions by id: stored with their task, else evaluated as of today). Without them
decisions carry no evaluation."""

NO_EVALUATION = s.SealingOutcome(eligible=None, trace=[], task_id=None)


async def readable_case(p: Principal, case_id: int) -> repo.CaseRecord:
    """The case, when ``p`` may read it (its unit's prosecutors and aid officers).

    Raises:
        NotFound: no such case, another unit's case, or a role that reads no cases (404).
        SealedRecordRefused: the whole case is sealed (403, logged; R-SEAL-5).
    """
    return await _readable_case(p, case_id)


async def writable_case(p: Principal, case_id: int) -> repo.CaseRecord:
    """The case, when ``p`` is one of its case prosecutors (creator or assigned).

    Raises:
        NotFound: as :func:`readable_case`.
        Forbidden: a reader of the case who is not its prosecutor (403).
    """
    return await _writable_case(p, case_id)


def _charges_out(charges: tuple[tuple[str, str, int], ...]) -> list[s.ChargeOut]:
    out = []
    for name, article, chapter in charges:
        info = lookup_article(article)
        out.append(
            s.ChargeOut(name=name, article=article, chapter=chapter, chapter_title=info.chapter_title if info else "")
        )
    return out


def case_out(case: repo.CaseRecord) -> s.CaseOut:
    """API shape of a case."""
    return s.CaseOut(
        id=case.id,
        case_number=case.case_number,
        case_type=case.case_type,  # type: ignore[arg-type]
        title=case.title,
        unit=case.unit_name,
        offense_date=case.offense_date,
        received_on=case.received_on,
        charges=_charges_out(case.charges),
        case_prosecutor=case.created_by,
        assigned=[name for _, name in case.assigned],
        version=case.version,
        created_at=case.created_at,
        updated_at=case.updated_at,
        contains_sealed_records=case.seal_state == "partial",
    )


def person_out(person: repo.PersonRecord, *, reveal: bool) -> s.PersonOut:
    """API shape of a person; personal fields only when ``reveal`` (need-to-know)."""
    out = s.PersonOut(
        id=person.id,
        case_id=person.case_id,
        role=person.role,  # type: ignore[arg-type]
        display_name=mask_name(person.name),
        gender=person.gender,  # type: ignore[arg-type]
        birth_date=person.birth_date,
        age_at_offense=person.age_at_offense,
        minor_at_offense=person.minor_at_offense,
        version=person.version,
        spp_approval_document=person.spp_approval_document,
    )
    if reveal:
        out.name, out.id_number, out.phone, out.address = (
            person.name,
            person.id_number,
            person.phone,
            person.address,
        )
    return out


def decision_out(d: repo.DecisionRecord, sealing: s.SealingOutcome = NO_EVALUATION) -> s.DecisionOut:
    """API shape of a decision with its sealing evaluation (R-SEAL-1..4, from the sealing area)."""
    return s.DecisionOut(
        id=d.id,
        case_id=d.case_id,
        person_id=d.person_id,
        kind=d.kind,  # type: ignore[arg-type]
        decision_date=d.decision_date,
        document_number=d.document_number,
        effective_date=d.effective_date,
        sentence_kind=d.sentence_kind,  # type: ignore[arg-type]
        sentence_months=d.sentence_months,
        basis_article=d.basis_article,
        created_at=d.created_at,
        sealing=sealing,
    )


def case_number(doc_prefix: str | None, unit_id: int, year: int, serial: int) -> str:
    """Case number per unit and year, e.g. 任检未受〔2021〕12号."""
    return f"{doc_prefix or f'U{unit_id}'}受〔{year}〕{serial}号"


async def insert_case(
    *,
    unit: UnitRecord,
    case_type: str,
    title: str,
    offense_date: date,
    received_on: date,
    charges: list[tuple[str, str, int]],
    created_by: int | None,
    external_id: str | None = None,
) -> repo.CaseRecord:
    """Insert a validated case with its number and charges (caller holds the transaction)."""
    serial = await repo.next_case_serial(unit.id, received_on.year)
    now = now_utc()
    number = case_number(unit.doc_prefix, unit.id, received_on.year, serial)
    values = {
        "unit": unit.id,
        "case_number": number,
        "case_type": case_type,
        "title": title,
        "offense_date": offense_date,
        "received_on": received_on,
        "external_id": external_id,
        "created_by": created_by,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    case_id = await repo.insert_case(values)
    await repo.insert_charges(case_id, charges)
    return repo.CaseRecord(
        id=case_id,
        unit_id=unit.id,
        unit_name=unit.name,
        case_number=number,
        case_type=case_type,
        title=title,
        offense_date=offense_date,
        received_on=received_on,
        external_id=external_id,
        created_by_id=created_by,
        created_by=None,
        version=1,
        created_at=now,
        updated_at=now,
        charges=tuple(charges),
        assigned=(),
    )


async def create_case(p: Principal, data: s.CaseCreate) -> s.CaseOut:
    """Open a case in the user's unit; the creator becomes its case prosecutor.

    Raises:
        Forbidden: not a prosecutor.
        ValidationFailed: another unit named, unknown charge, impossible dates.
    """
    if p.role != "prosecutor":
        raise Forbidden("只有检察官可以新建案件 / only prosecutors open cases")
    if data.unit is not None and data.unit.strip() != p.unit_name:
        raise ValidationFailed.one("unit", "只能是本单位 / must be your own unit")
    title = rules.clean_text(data.title, "title")
    received_on = data.received_on or today_china()
    rules.check_case_dates(data.offense_date, received_on, today_china())
    charges = rules.check_charges([(c.name, c.article) for c in data.charges])
    unit = await accounts_repo.unit_by_id(p.unit_id)
    assert unit is not None
    async with db.transaction():
        case = await insert_case(
            unit=unit,
            case_type=data.case_type,
            title=title,
            offense_date=data.offense_date,
            received_on=received_on,
            charges=charges,
            created_by=p.user_id,
        )
        await audit.access(p, "case.create", "allowed", f"case:{case.id}", record_unit=case.unit_id)
    return case_out(await _readable_case(p, case.id))


async def get_writable_case(p: Principal, case_id: int) -> s.CaseOut:
    """One case the user may change (its forms; logged ``case.read``). Raises NotFound or Forbidden."""
    case = await _writable_case(p, case_id)
    await _logged_read(p, "case.read", f"case:{case.id}", case.unit_id, purpose="form")
    return case_out(case)


async def get_case(p: Principal, case_id: int) -> s.CaseOut:
    """One case (logged ``case.read``). Raises NotFound for unknown ids and other units' cases."""
    case = await _readable_case(p, case_id)
    await _logged_read(p, "case.read", f"case:{case.id}", case.unit_id)
    return case_out(case)


async def list_cases(
    p: Principal,
    *,
    limit: int | None,
    cursor: str | None,
    case_type: str | None = None,
    text: str | None = None,
    charge: str | None = None,
    offense_from: date | None = None,
    offense_to: date | None = None,
    mine: bool = False,
) -> s.CasePage:
    """The user's unit's cases, newest first.

    Raises:
        Forbidden: a role that reads no cases.
        ValidationFailed: bad ``limit`` or ``cursor``.
    """
    if p.role not in READ_ROLES:
        raise Forbidden("该角色不能查看案件列表 / this role reads no case lists")
    for field, value in (("q", text), ("charge", charge)):
        if value and "\x00" in value:
            raise ValidationFailed.one(field, "不能含NUL字符 / must not contain NUL characters")
        if value and rules.contains_resident_id(value):
            raise ValidationFailed.one(
                field, "不得用公民身份号码检索，请用人员查询 / search by ID number with the person lookup"
            )
    size = check_limit(limit)
    before = decode_cursor(cursor)
    f = repo.CaseFilter(
        case_type=case_type,
        text=(text or "").strip() or None,
        charge=charge or None,
        offense_from=offense_from,
        offense_to=offense_to,
        prosecutor_id=p.user_id if mine else None,
    )
    rows = await repo.list_cases(p.unit_id, f, size + 1, before)
    terms = " ".join(x for x in ((text or "").strip(), (charge or "").strip()) if x)
    target = f"search:{audit_hash('search', terms)}" if terms else f"unit:{p.unit_id}"
    await _logged_read(p, "case.list", target, p.unit_id, purpose=f"page:{min(len(rows), size)}")
    items = [
        s.CaseListItem(
            id=r.id,
            case_number=r.case_number,
            case_type=r.case_type,  # type: ignore[arg-type]
            title=r.title,
            unit=r.unit_name,
            offense_date=r.offense_date,
            received_on=r.received_on,
            charges=list(r.charges),
            version=r.version,
        )
        for r in rows[:size]
    ]
    more = len(rows) > size
    return s.CasePage(items=items, next_cursor=encode_cursor(items[-1].id) if more and items else None)


async def update_case(p: Principal, case_id: int, data: s.CaseUpdate) -> s.CaseOut:
    """Change a case's title, dates or charges; ages at the offence are recomputed with the date.

    Raises:
        Conflict: ``version`` is not the stored one.
        ValidationFailed: bad dates or charges.
    """
    async with db.transaction():
        case = await _writable_case(p, case_id)
        values: dict[str, Any] = {}
        if data.title is not msgspec.UNSET:
            values["title"] = rules.clean_text(data.title, "title")
            names = await repo.person_names(case_id)
            rules.check_no_person_names(values["title"], names, "title")
        offense = case.offense_date if data.offense_date is msgspec.UNSET else data.offense_date
        received = case.received_on if data.received_on is msgspec.UNSET else data.received_on
        rules.check_case_dates(offense, received, today_china())
        if offense != case.offense_date:
            if await repo.has_final_decision(case_id):  # the ages it fixed decide sealing (R-SEAL-1)
                raise Conflict(
                    "已作出判决或不起诉决定，案发日期不能再修改 / the offence date is fixed once a final decision "
                    "is recorded"
                )
            values["offense_date"] = offense
        if received != case.received_on:
            values["received_on"] = received
        charges = None
        if data.charges is not msgspec.UNSET:
            charges = rules.check_charges([(c.name, c.article) for c in data.charges])
        if not await repo.update_case(case_id, data.version, values, now_utc()):
            raise Conflict(
                "案件已被他人修改，请刷新后重试 / the case was changed by someone else: reload and apply again",
                extra={"current_version": case.version},
            )
        if charges is not None:
            await repo.replace_charges(case_id, charges)
        if "offense_date" in values:
            await _recompute_ages(case, offense)
        await audit.access(p, "case.update", "allowed", f"case:{case_id}", record_unit=case.unit_id)
    return case_out(await _readable_case(p, case_id))


async def _recompute_ages(case: repo.CaseRecord, offense: date) -> None:
    ages = []
    for person in await repo.persons_of_case(case.id, include_sealed=True):
        try:
            facts = rules.person_facts(
                role=person.role,
                case_type=case.case_type,
                id_number=person.id_number,
                gender=person.gender,
                offense_date=offense,
                today=today_china(),
                spp_approval_document=person.spp_approval_document,
            )
        except ValidationFailed as exc:
            raise ValidationFailed.one(
                "offense_date",
                f"与人员 {person.id} 不符 / does not fit person {person.id}: {exc.errors[0].message}",
            ) from None
        ages.append((person.id, facts.age_at_offense, facts.minor_at_offense))
    await repo.update_ages(case.id, ages)


async def assign(p: Principal, case_id: int, data: s.AssignmentCreate) -> s.AssignmentOut:
    """Assign another prosecutor of the unit (by the case prosecutor or a chief).

    Raises:
        Forbidden: neither a case prosecutor nor chief of the unit.
        ValidationFailed: the user is unknown or not a prosecutor of the unit.
        Conflict: already a prosecutor of this case.
    """
    case = await _readable_case(p, case_id)
    if not (_is_case_prosecutor(p, case) or (p.role == "prosecutor" and p.is_chief)):
        raise Forbidden("只有承办检察官或检察长可以指派 / only the case prosecutor or a chief prosecutor assigns")
    user = await accounts_repo.user_by_username(data.username.strip().lower())
    if user is None or user.role != "prosecutor" or user.unit_id != case.unit_id or not user.active:
        raise ValidationFailed.one("username", "不是本案承办单位的检察官 / not a prosecutor of this case's unit")
    if user.id in case.prosecutor_ids():
        raise Conflict("已是本案承办检察官 / already a prosecutor of this case")
    now = now_utc()
    async with db.transaction():
        if not await repo.insert_assignment(case_id, user.id, now):
            raise Conflict("已是本案承办检察官 / already a prosecutor of this case")
        await audit.access(
            p, "case.assign", "allowed", f"case:{case_id}", record_unit=case.unit_id, purpose=f"user:{user.username}"
        )
    return s.AssignmentOut(case_id=case_id, username=user.username, assigned_at=now)


async def add_person(p: Principal, case_id: int, data: s.PersonCreate) -> s.PersonOut:
    """Add a person to a case, deriving birth date and age at the offence from the ID number.

    Raises:
        ValidationFailed: bad ID number, gender disagreeing with it, age rules of R-GEN-1.
        Conflict: the same ID number already has this role in the case.
    """
    async with db.transaction():
        case = await _writable_case(p, case_id)
        person_id = await insert_person(case, data)
        person = await repo.person_by_id(person_id)
        await audit.access(p, "person.create", "allowed", f"person:{person_id}", record_unit=case.unit_id)
    assert person is not None
    return person_out(person, reveal=True)


def person_row(case: repo.CaseRecord, data: s.PersonCreate) -> dict[str, Any]:
    """Validate a person for ``case`` (R-GEN-1, R-GEN-2) and return the row to store (pure)."""
    name = rules.clean_text(data.name, "name")
    facts = rules.person_facts(
        role=data.role,
        case_type=case.case_type,
        id_number=data.id_number,
        gender=data.gender,
        offense_date=case.offense_date,
        today=today_china(),
        spp_approval_document=data.spp_approval_document,
    )
    return {
        "case_file": case.id,
        "role": data.role,
        "name": name,
        "id_number": facts.id_number,
        "gender": data.gender,
        "birth_date": facts.birth_date,
        "age_at_offense": facts.age_at_offense,
        "minor_at_offense": facts.minor_at_offense,
        "phone": (data.phone or "").strip() or None,
        "address": (data.address or "").strip() or None,
        "spp_approval_document": _spp_document(data.spp_approval_document, [name]),
        "version": 1,
        "created_at": now_utc(),
    }


def _spp_document(value: str | None, names: list[str]) -> str | None:
    """The SPP approval document number, or None: free text shown with the person, so it refuses ID
    numbers and the names of the case's persons like every free text (R-GEN-6)."""
    if not (value or "").strip():
        return None
    text = rules.clean_text(value or "", "spp_approval_document")
    rules.check_no_person_names(text, names, "spp_approval_document")
    return text


DUPLICATE_PERSON = "该人员已以此身份列入本案 / this person already has this role in the case"


async def insert_person(case: repo.CaseRecord, data: s.PersonCreate) -> int:
    """Validate and insert a person into ``case`` (caller holds the transaction).

    Raises:
        ValidationFailed: see :func:`person_row`.
        Conflict: the same ID number already has this role in the case.
    """
    row = person_row(case, data)
    if row["spp_approval_document"]:
        names = await repo.person_names(case.id)
        rules.check_no_person_names(row["spp_approval_document"], names, "spp_approval_document")
    if await repo.person_exists(case.id, row["id_number"], row["role"]):
        raise Conflict(DUPLICATE_PERSON)
    return await repo.insert_person(row)


async def list_persons(p: Principal, case_id: int) -> s.PersonList:
    """The persons of a case (masked unless the reader is a case prosecutor)."""
    case = await _readable_case(p, case_id)
    reveal = _is_case_prosecutor(p, case)
    persons = await repo.persons_of_case(case_id)
    await _logged_read(p, "person.list", f"case:{case_id}", case.unit_id, purpose="full" if reveal else "masked")
    return s.PersonList(items=[person_out(x, reveal=reveal) for x in persons])


async def _readable_person(p: Principal, person_id: int) -> tuple[repo.PersonRecord, repo.CaseRecord]:
    person = await repo.person_by_id(person_id)
    if person is None:
        raise NotFound("人员不存在 / no such person")
    try:
        case = await _readable_case(p, person.case_id)
    except NotFound:
        raise NotFound("人员不存在 / no such person") from None
    if person.sealed:  # R-SEAL-5
        await audit.access(
            p, "person.read", "refused", f"person:{person.id}", record_unit=case.unit_id, purpose="sealed"
        )
        raise SealedRecordRefused()
    return person, case


async def get_person(p: Principal, person_id: int) -> s.PersonOut:
    """A person's detail: full fields for the case's prosecutors, masked for others."""
    person, case = await _readable_person(p, person_id)
    reveal = _is_case_prosecutor(p, case)
    await _logged_read(p, "person.read", f"person:{person.id}", case.unit_id, purpose="full" if reveal else "masked")
    return person_out(person, reveal=reveal)


async def update_person(p: Principal, person_id: int, data: s.PersonUpdate) -> s.PersonOut:
    """Change a person's contact details or SPP approval document.

    Raises:
        Forbidden: not a case prosecutor.
        Conflict: stale ``version``.
    """
    async with db.transaction():
        person, case = await _readable_person(p, person_id)
        if not _is_case_prosecutor(p, case):
            raise Forbidden("只有本案承办检察官可以修改 / only the case's prosecutors may change this person")
        values: dict[str, Any] = {}
        for field in ("phone", "address", "spp_approval_document"):
            value = getattr(data, field)
            if value is not msgspec.UNSET:
                values[field] = (value or "").strip() or None
        if values.get("spp_approval_document"):
            names = await repo.person_names(case.id)
            values["spp_approval_document"] = _spp_document(values["spp_approval_document"], names)
        if "spp_approval_document" in values:
            rules.person_facts(
                role=person.role,
                case_type=case.case_type,
                id_number=person.id_number,
                gender=person.gender,
                offense_date=case.offense_date,
                today=today_china(),
                spp_approval_document=values["spp_approval_document"],
            )
        if not await repo.update_person(person_id, case.id, data.version, values):
            raise Conflict(
                "人员信息已被他人修改，请刷新后重试 / the person was changed by someone else: reload and apply again",
                extra={"current_version": person.version},
            )
        updated = await repo.person_by_id(person_id)
        await audit.access(p, "person.update", "allowed", f"person:{person_id}", record_unit=case.unit_id)
    assert updated is not None
    return person_out(updated, reveal=True)


async def lookup_persons(p: Principal, data: s.LookupIn) -> s.LookupOut:
    """Search before create: persons with this resident ID number in the user's unit's cases.

    Raises:
        Forbidden: not a prosecutor.
        ValidationFailed: not a valid resident ID number.
    """
    if p.role != "prosecutor":
        raise Forbidden("只有检察官可以查询人员 / only prosecutors search persons")
    try:
        number = parse_resident_id(data.id_number, today=today_china()).number
    except InvalidResidentId as exc:
        raise ValidationFailed.one("id_number", str(exc)) from None
    hits = await repo.persons_by_id_number(p.unit_id, number)
    await _logged_read(
        p, "person.lookup", f"id_number:{audit_hash('id_number', number)}", p.unit_id, purpose=f"hits:{len(hits)}"
    )
    for x, _ in hits:
        await _logged_read(p, "person.lookup.hit", f"person:{x.id}", p.unit_id, purpose="masked")
    return s.LookupOut(
        items=[
            s.LookupHit(
                id=x.id,
                case_id=x.case_id,
                case_number=num,
                role=x.role,  # type: ignore[arg-type]
                display_name=mask_name(x.name),
                birth_date=x.birth_date,
            )
            for x, num in hits
        ]
    )


async def add_step(p: Principal, case_id: int, data: s.StepCreate) -> s.StepOut:
    """Add a timeline step.

    Raises:
        ValidationFailed: blank text, a date before the offence or in the future, a person's full name.
    """
    async with db.transaction():
        case = await _writable_case(p, case_id)
        row = step_row(case, data.kind, data.occurred_on, data.summary, p.user_id)
        names = await repo.person_names(case_id)
        rules.check_no_person_names(row["summary"], names, "summary")
        rules.check_no_person_names(row["kind"], names, "kind")
        step_id = await repo.insert_step(row)
        await audit.access(p, "step.create", "allowed", f"case:{case_id}", record_unit=case.unit_id)
    return s.StepOut(
        id=step_id,
        case_id=case_id,
        kind=row["kind"],
        occurred_on=row["occurred_on"],
        summary=row["summary"],
        created_by=p.username,
        created_at=row["created_at"],
    )


def step_row(
    case: repo.CaseRecord, kind: str, occurred_on: date, summary: str, created_by: int | None
) -> dict[str, Any]:
    """Validate a timeline step and return the row to store (pure)."""
    kind = rules.clean_text(kind, "kind")
    summary = rules.clean_text(summary, "summary")
    if occurred_on < case.offense_date:
        raise ValidationFailed.one("occurred_on", "不能早于案发日期 / must not be before the offence date")
    if occurred_on > today_china():
        raise ValidationFailed.one("occurred_on", "不能晚于今天 / must not be in the future")
    return {
        "case_file": case.id,
        "kind": kind,
        "occurred_on": occurred_on,
        "summary": summary,
        "created_by": created_by,
        "created_at": now_utc(),
    }


def _step_out(x: repo.StepRecord) -> s.StepOut:
    return s.StepOut(
        id=x.id,
        case_id=x.case_id,
        kind=x.kind,
        occurred_on=x.occurred_on,
        summary=x.summary,
        created_by=x.created_by,
        created_at=x.created_at,
    )


async def list_steps(p: Principal, case_id: int) -> s.StepList:
    """The case timeline, oldest first."""
    case = await _readable_case(p, case_id)
    steps = await repo.steps_of_case(case_id)
    await _logged_read(p, "step.list", f"case:{case_id}", case.unit_id)
    return s.StepList(items=[_step_out(x) for x in steps])


async def add_decision(p: Principal, case_id: int, data: s.DecisionCreate) -> s.DecisionOut:
    """Record a decision about a suspect (CPL 177, 282, 284; judgments).

    Raises:
        Conflict: a conditional non-prosecution kind (only its workflow makes those), or a duplicate.
        ValidationFailed: person not a suspect of this case, inconsistent sentence, bad dates.
    """
    if data.kind in rules.WORKFLOW_ONLY_KINDS:
        raise Conflict(
            "附条件不起诉决定须通过其程序作出 / conditional non-prosecution decisions are made by its workflow"
        )
    async with db.transaction():
        case = await _writable_case(p, case_id)
        record = await insert_decision(case, data, p.user_id)
        await audit.access(p, "decision.create", "allowed", f"case:{case_id}", record_unit=case.unit_id)
        sealing = NO_EVALUATION
        if "evaluate" in SEALING_HOOKS:
            person = await repo.person_by_id(record.person_id)
            assert person is not None
            sealing = await SEALING_HOOKS["evaluate"](p, case, person, record)
    return decision_out(record, sealing)


def decision_row(
    case: repo.CaseRecord, person_id: int, person_role: str, data: s.DecisionCreate, created_by: int | None
) -> dict[str, Any]:
    """Validate a decision about a person of ``case`` and return the row to store (pure)."""
    rules.check_decision(
        kind=data.kind,
        decision_date=data.decision_date,
        effective_date=data.effective_date,
        sentence_kind=data.sentence_kind,
        sentence_months=data.sentence_months,
        offense_date=case.offense_date,
        person_role=person_role,
        today=today_china(),
    )
    return {
        "case_file": case.id,
        "person": person_id,
        "kind": data.kind,
        "decision_date": data.decision_date,
        "effective_date": data.effective_date,
        "document_number": rules.clean_text(data.document_number, "document_number"),
        "sentence_kind": data.sentence_kind,
        "sentence_months": data.sentence_months,
        "basis_article": data.basis_article,
        "created_by": created_by,
        "created_at": now_utc(),
    }


DUPLICATE_DECISION = "该决定已记录 / this decision is already recorded"


async def insert_decision(case: repo.CaseRecord, data: s.DecisionCreate, created_by: int | None) -> repo.DecisionRecord:
    """Validate and insert a decision (caller holds the transaction).

    Raises:
        ValidationFailed: no such person in the case, or see :func:`decision_row`.
        Conflict: the same decision (person, kind, document number) is recorded already.
    """
    person = await repo.person_by_id(data.person_id)
    if person is None or person.case_id != case.id:
        raise ValidationFailed.one("person_id", "本案中没有该人员 / no such person in this case")
    if person.sealed:
        raise Conflict("该人员的记录已封存 / this person's records are sealed (R-SEAL-5)")
    row = decision_row(case, person.id, person.role, data, created_by)
    names = await repo.person_names(case.id)
    rules.check_no_person_names(row["document_number"], names, "document_number")
    if await repo.decision_exists(case.id, person.id, row["kind"], row["document_number"]):
        raise Conflict(DUPLICATE_DECISION)
    return await repo.insert_decision(row)


async def list_decisions(p: Principal, case_id: int) -> s.DecisionList:
    """The decisions of a case."""
    case = await _readable_case(p, case_id)
    decisions = await repo.decisions_of_case(case_id)
    await _logged_read(p, "decision.list", f"case:{case_id}", case.unit_id)
    outcomes = await SEALING_HOOKS["outcomes"](case, decisions) if "outcomes" in SEALING_HOOKS else {}
    return s.DecisionList(items=[decision_out(d, outcomes.get(d.id, NO_EVALUATION)) for d in decisions])
