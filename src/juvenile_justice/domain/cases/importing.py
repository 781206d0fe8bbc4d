"""Import of cases from JSON Lines (``juvenile-justice import FILE``), also used by the demo data set.

One line is one case with its people, steps and decisions. Every line is validated like the API
calls it stands for; a bad line is reported (line, field, message) and nothing of it is written; each
good line is written in one transaction; a line whose ``external_id`` exists already is left alone, so
importing the same file again changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct

from juvenile_justice import db
from juvenile_justice.domain.accounts import repository as accounts_repo
from juvenile_justice.domain.cases import repository as repo
from juvenile_justice.domain.cases import rules, service
from juvenile_justice.domain.cases import schemas as s
from juvenile_justice.lib.clock import today_china
from juvenile_justice.lib.errors import (
    Conflict,
    DomainError,
    FieldError,
    ValidationFailed,
    field_error_from_msgspec,
)

Ref = Annotated[str, Meta(min_length=1, max_length=20)]


class ImportPerson(s.PersonCreate, forbid_unknown_fields=True):
    """A person of an import line; ``ref`` names it for the line's decisions."""

    ref: Ref = ""


class ImportDecision(Struct, forbid_unknown_fields=True):
    """A decision of an import line, about the person ``person_ref``."""

    person_ref: Ref
    kind: s.DecisionKind
    decision_date: date
    document_number: s.ShortText
    effective_date: date | None = None
    sentence_kind: s.SentenceKind | None = None
    sentence_months: s.Months | None = None
    basis_article: s.Article | None = None


class ImportLine(Struct, forbid_unknown_fields=True):
    """One case: the fields of ``POST /api/cases`` plus its unit, people, steps and decisions."""

    external_id: Annotated[str, Meta(min_length=1, max_length=100)]
    unit: s.ShortText
    case_type: s.CaseType
    title: s.Title
    offense_date: date
    charges: Annotated[list[s.ChargeIn], Meta(min_length=1, max_length=20)]
    received_on: date | None = None
    prosecutor: s.Username | None = None
    persons: Annotated[list[ImportPerson], Meta(max_length=200)] = []
    steps: Annotated[list[s.StepCreate], Meta(max_length=500)] = []
    decisions: Annotated[list[ImportDecision], Meta(max_length=500)] = []


@dataclass(frozen=True, slots=True)
class LineError:
    """A refused line: 1-based line number, field path, message (never the field's value)."""

    line: int
    field: str
    message: str


@dataclass
class ImportReport:
    """What an import did: cases created, lines already imported, refused lines."""

    created: int = 0
    unchanged: int = 0
    errors: list[LineError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no line was refused."""
        return not self.errors


def _prefixed(prefix: str, exc: ValidationFailed) -> ValidationFailed:
    return ValidationFailed([FieldError(f"{prefix}.{e.field}", e.message) for e in exc.errors])


def _parse(obj: Any) -> ImportLine:
    try:
        return msgspec.convert(obj, type=ImportLine)
    except msgspec.ValidationError as exc:
        raise ValidationFailed([field_error_from_msgspec(str(exc), root="line")]) from None


async def _write(line: ImportLine) -> bool:
    """Write one parsed line in one transaction; False when its external id exists already."""
    async with db.transaction():
        if await repo.case_ids_by_external([line.external_id]):
            return False
        unit = await accounts_repo.unit_by_name(line.unit)
        if unit is None or unit.kind != "procuratorate":
            raise ValidationFailed.one("unit", "no procuratorate of this name")
        prosecutor_id = None
        if line.prosecutor:
            user = await accounts_repo.user_by_username(line.prosecutor.lower())
            if user is None or user.role != "prosecutor" or user.unit_id != unit.id:
                raise ValidationFailed.one("prosecutor", "not a prosecutor of this unit")
            prosecutor_id = user.id
        title = rules.clean_text(line.title, "title")
        received = line.received_on or today_china()
        rules.check_case_dates(line.offense_date, received, today_china())
        charges = rules.check_charges([(c.name, c.article) for c in line.charges])
        case_id = await service.insert_case(
            unit_id=unit.id,
            case_type=line.case_type,
            title=title,
            offense_date=line.offense_date,
            received_on=received,
            charges=charges,
            created_by=prosecutor_id,
            external_id=line.external_id,
        )
        case = await repo.case_by_id(case_id)
        assert case is not None
        refs: dict[str, int] = {}
        for i, person in enumerate(line.persons):
            try:
                if person.ref and person.ref in refs:
                    raise ValidationFailed.one("ref", "used twice in this line")
                person_id = await service.insert_person(case, person)
            except ValidationFailed as exc:
                raise _prefixed(f"persons.{i}", exc) from None
            except Conflict as exc:
                raise ValidationFailed.one(f"persons.{i}.id_number", exc.detail) from None
            if person.ref:
                refs[person.ref] = person_id
        for i, step in enumerate(line.steps):
            try:
                await service.insert_step(case, step.kind, step.occurred_on, step.summary, prosecutor_id)
            except ValidationFailed as exc:
                raise _prefixed(f"steps.{i}", exc) from None
        for i, d in enumerate(line.decisions):
            try:
                if d.kind in rules.WORKFLOW_ONLY_KINDS:
                    raise ValidationFailed.one(
                        "kind", "made only by the conditional non-prosecution workflow"
                    )
                if d.person_ref not in refs:
                    raise ValidationFailed.one("person_ref", "no person with this ref in the line")
                data = s.DecisionCreate(
                    person_id=refs[d.person_ref],
                    kind=d.kind,
                    decision_date=d.decision_date,
                    document_number=d.document_number,
                    effective_date=d.effective_date,
                    sentence_kind=d.sentence_kind,
                    sentence_months=d.sentence_months,
                    basis_article=d.basis_article,
                )
                await service.insert_decision(case, data, prosecutor_id)
            except ValidationFailed as exc:
                raise _prefixed(f"decisions.{i}", exc) from None
            except Conflict as exc:
                raise ValidationFailed.one(f"decisions.{i}", exc.detail) from None
    return True


async def import_objects(
    lines: Iterable[tuple[int, Any]], progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Import parsed JSON values, each with its 1-based line number."""
    report = ImportReport()
    for number, obj in lines:
        try:
            if isinstance(obj, LineError):
                report.errors.append(obj)
            elif await _write(_parse(obj)):
                report.created += 1
            else:
                report.unchanged += 1
        except ValidationFailed as exc:
            report.errors.extend(LineError(number, e.field, e.message) for e in exc.errors)
        except DomainError as exc:
            report.errors.append(LineError(number, "line", exc.detail))
        if progress:
            progress(1)
    return report


def read_jsonl(text_lines: Iterable[str]) -> Iterable[tuple[int, Any]]:
    """Parse JSON Lines; a line that is not JSON becomes a :class:`LineError`; blank lines are skipped."""
    for number, raw in enumerate(text_lines, start=1):
        if not raw.strip():
            continue
        try:
            yield number, json.loads(raw)
        except json.JSONDecodeError as exc:
            yield number, LineError(number, "line", f"not valid JSON ({exc.msg})")
