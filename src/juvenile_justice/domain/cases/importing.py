"""Import of cases from JSON Lines (``juvenile-justice import FILE``), also used by the demo data set.

One line is one case with its people, steps and decisions. Every line is validated like the API
calls it stands for; a bad line is reported (line, field, message) and nothing of it is written; each
good line is written in one transaction; a line whose ``external_id`` exists already is left alone, so
importing the same file again changes nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct

from juvenile_justice import db
from juvenile_justice.domain.accounts import repository as accounts_repo
from juvenile_justice.domain.accounts.repository import UnitRecord, UserRecord
from juvenile_justice.domain.audit import service as audit
from juvenile_justice.domain.cases import repository as repo
from juvenile_justice.domain.cases import rules, service
from juvenile_justice.domain.cases import schemas as s
from juvenile_justice.lib.clock import today_china
from juvenile_justice.lib.errors import (
    DomainError,
    FieldError,
    ValidationFailed,
    field_error_from_msgspec,
)

Ref = Annotated[str, Meta(min_length=1, max_length=20, pattern=s.NO_NUL)]


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

    external_id: Annotated[str, Meta(min_length=1, max_length=100, pattern=s.NO_NUL)]
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


def normalise_external_id(value: str) -> str:
    """External ids compare after Unicode NFKC normalisation and stripping (``"Ｘ "`` is ``"X"``)."""
    return unicodedata.normalize("NFKC", value).strip()


def _parse(obj: Any) -> ImportLine:
    try:
        return msgspec.convert(obj, type=ImportLine)
    except msgspec.ValidationError as exc:
        raise ValidationFailed([field_error_from_msgspec(str(exc), root="line")]) from None


@dataclass
class _Lookups:
    """Units and prosecutors seen during one import run (they do not change during it)."""

    units: dict[str, UnitRecord | None] = field(default_factory=dict)
    users: dict[str, UserRecord | None] = field(default_factory=dict)

    async def unit(self, name: str) -> UnitRecord | None:
        if name not in self.units:
            self.units[name] = await accounts_repo.unit_by_name(name)
        return self.units[name]

    async def user(self, name: str) -> UserRecord | None:
        if name not in self.users:
            self.users[name] = await accounts_repo.user_by_username(name)
        return self.users[name]


@contextmanager
def _fields_under(prefix: str) -> Iterator[None]:
    """Prefix the fields of validation errors raised in the block with ``prefix`` (e.g. ``persons.0``)."""
    try:
        yield
    except ValidationFailed as exc:
        raise _prefixed(prefix, exc) from None


async def _write(line: ImportLine, lookups: _Lookups) -> bool:
    """Validate and write one parsed line in one transaction; False when its external id exists already.

    Uses the same row builders as the API (``service.person_row``, ``step_row``, ``decision_row``);
    persons are inserted one by one for their ids, steps and decisions in one statement each.
    """
    unit = await lookups.unit(line.unit)
    if unit is None or unit.kind != "procuratorate":
        raise ValidationFailed.one("unit", "没有这个检察院 / no procuratorate of this name")
    prosecutor_id = None
    if line.prosecutor:
        user = await lookups.user(line.prosecutor.strip().lower())
        if user is None or user.role != "prosecutor" or user.unit_id != unit.id:
            raise ValidationFailed.one("prosecutor", "不是该院的检察官 / not a prosecutor of this unit")
        prosecutor_id = user.id
    title = rules.clean_text(line.title, "title")
    received = line.received_on or today_china()
    rules.check_case_dates(line.offense_date, received, today_china())
    charges = rules.check_charges([(c.name, c.article) for c in line.charges])
    external_id = normalise_external_id(line.external_id)
    async with db.transaction():
        existing = await repo.case_unit_by_external(external_id)
        if existing is not None:
            if existing[1] != unit.id:
                raise ValidationFailed.one(
                    "external_id", "已被其他单位的案件使用 / already used by another unit's case"
                )
            return False
        case = await service.insert_case(
            unit=unit,
            case_type=line.case_type,
            title=title,
            offense_date=line.offense_date,
            received_on=received,
            charges=charges,
            created_by=prosecutor_id,
            external_id=external_id,
        )
        people: dict[str, tuple[int, str]] = {}
        seen: set[tuple[str, str]] = set()
        for i, person in enumerate(line.persons):
            if person.ref and person.ref in people:
                raise ValidationFailed.one(f"persons.{i}.ref", "在本行中重复 / used twice in this line")
            with _fields_under(f"persons.{i}"):
                row = service.person_row(case, person)
            if (row["id_number"], row["role"]) in seen:
                raise ValidationFailed.one(f"persons.{i}.id_number", service.DUPLICATE_PERSON)
            seen.add((row["id_number"], row["role"]))
            person_id = await repo.insert_person(row)
            if person.ref:
                people[person.ref] = (person_id, person.role)
        names = [person.name.strip() for person in line.persons]
        rules.check_no_person_names(title, names, "title")
        for i, person in enumerate(line.persons):
            if person.spp_approval_document:
                rules.check_no_person_names(person.spp_approval_document, names, f"persons.{i}.spp_approval_document")
        steps = []
        for i, st in enumerate(line.steps):
            with _fields_under(f"steps.{i}"):
                row = service.step_row(case, st.kind, st.occurred_on, st.summary, prosecutor_id)
                rules.check_no_person_names(row["summary"], names, "summary")
                rules.check_no_person_names(row["kind"], names, "kind")
            steps.append(row)
        decisions = []
        recorded: set[tuple[int, str, str]] = set()
        for i, d in enumerate(line.decisions):
            if d.kind in rules.WORKFLOW_ONLY_KINDS:
                raise ValidationFailed.one(
                    f"decisions.{i}.kind",
                    "须通过附条件不起诉程序作出 / made only by the conditional non-prosecution workflow",
                )
            if d.person_ref not in people:
                raise ValidationFailed.one(
                    f"decisions.{i}.person_ref", "本行中没有该人员 / no person with this ref in the line"
                )
            person_id, role = people[d.person_ref]
            fields = msgspec.structs.asdict(d)
            del fields["person_ref"]
            data = s.DecisionCreate(person_id=person_id, **fields)
            with _fields_under(f"decisions.{i}"):
                row = service.decision_row(case, person_id, role, data, prosecutor_id)
                rules.check_no_person_names(row["document_number"], names, "document_number")
            key = (person_id, row["kind"], row["document_number"])
            if key in recorded:
                raise ValidationFailed.one(f"decisions.{i}", service.DUPLICATE_DECISION)
            recorded.add(key)
            decisions.append(row)
        await repo.insert_many("case_step", steps)
        await repo.insert_many("decision", decisions)
        await audit.admin_action(
            "case.import", f"case:{case.id}", f"persons:{len(people) or len(line.persons)}", unit.id
        )
    return True


async def import_objects(
    lines: Iterable[tuple[int, Any]], progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Import parsed JSON values, each with its 1-based line number."""
    report = ImportReport()
    lookups = _Lookups()
    for number, obj in lines:
        try:
            if isinstance(obj, LineError):
                report.errors.append(obj)
            elif await _write(_parse(obj), lookups):
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


def read_jsonl(lines: Iterable[str | bytes]) -> Iterable[tuple[int, Any]]:
    """Parse JSON Lines; blank lines are skipped; a line that cannot be parsed becomes a :class:`LineError`.

    Lines may be bytes (as read from a file, split on ``\\n`` only) or text. A UTF-8 byte-order mark on the
    first line is ignored. Invalid UTF-8, lone surrogates, over-deep nesting and oversized numbers are
    reported for their line; the import goes on with the next.
    """
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            raw = raw.rstrip(b"\r")
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                yield number, LineError(number, "line", "不是有效的UTF-8 / not valid UTF-8")
                continue
        else:
            raw = raw.removeprefix("\ufeff") if number == 1 else raw
        if not raw.strip():
            continue
        try:
            yield number, msgspec.json.decode(raw)
        except (msgspec.DecodeError, ValueError, RecursionError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:100]
            yield number, LineError(number, "line", f"不是有效的JSON / not valid JSON ({reason})")


def read_jsonl_file(path: Path) -> list[bytes]:
    """The lines of a JSON Lines file as bytes, split on ``\\n`` only (not on U+2028 and the like)."""
    lines = path.read_bytes().split(b"\n")
    return lines[:-1] if lines and lines[-1] == b"" else lines
