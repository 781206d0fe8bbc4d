"""Request and response shapes of the cases API (msgspec Structs; API.md "Cases, people, decisions").

Dates are ``YYYY-MM-DD``; periods are in months (``sentence_months``). Unknown fields are refused.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from juvenile_justice.db import MAX_ID

NO_NUL = r"^[^\x00]*$"
"""Text fields refuse NUL characters (PostgreSQL cannot store them)."""

CaseType = Literal["juvenile_suspect", "juvenile_victim"]
PersonRole = Literal[
    "suspect", "victim", "guardian", "legal_representative", "appropriate_adult", "relative", "witness"
]
Gender = Literal["male", "female"]
DecisionKind = Literal[
    "arrest_approved",
    "arrest_not_approved",
    "prosecuted",
    "non_prosecution_relative",
    "non_prosecution_absolute",
    "non_prosecution_after_probation",
    "conditional_non_prosecution",
    "judgment",
    "acquittal",
]
SentenceKind = Literal[
    "fixed_term", "criminal_detention", "public_surveillance", "fine_only", "exemption", "life", "death"
]

Title = Annotated[str, Meta(min_length=1, max_length=200, pattern=NO_NUL)]
ShortText = Annotated[str, Meta(min_length=1, max_length=100, pattern=NO_NUL)]
Article = Annotated[str, Meta(min_length=1, max_length=20, pattern=NO_NUL)]
PersonName = Annotated[str, Meta(min_length=1, max_length=50, pattern=NO_NUL)]
IdNumber = Annotated[str, Meta(min_length=1, max_length=30, pattern=NO_NUL)]
Phone = Annotated[str, Meta(max_length=20, pattern=r"^[0-9+\- ]{0,20}$")]
Address = Annotated[str, Meta(max_length=200, pattern=NO_NUL)]
StepKind = Annotated[str, Meta(min_length=1, max_length=50, pattern=NO_NUL)]
Summary = Annotated[str, Meta(min_length=1, max_length=4000, pattern=NO_NUL)]
Months = Annotated[int, Meta(ge=1, le=600)]
Version = Annotated[int, Meta(ge=1, le=MAX_ID)]
DbId = Annotated[int, Meta(ge=1, le=MAX_ID)]
Username = Annotated[str, Meta(min_length=1, max_length=64, pattern=NO_NUL)]


class ChargeIn(Struct, forbid_unknown_fields=True):
    """A charge: the crime (罪名) and its Criminal Law article.

    Example: ``{"name": "盗窃罪", "article": "264"}``.
    """

    name: ShortText
    article: Article


class CaseCreate(Struct, forbid_unknown_fields=True):
    """``POST /api/cases``. ``unit`` (a unit's name), when given, must be the user's own unit."""

    case_type: CaseType
    title: Title
    offense_date: date
    charges: Annotated[list[ChargeIn], Meta(min_length=1, max_length=20)]
    unit: ShortText | None = None
    received_on: date | None = None


class CaseUpdate(Struct, forbid_unknown_fields=True):
    """``PATCH /api/cases/{case_id}``: carries the ``version`` read; a stale one gets 409."""

    version: Version
    title: Title | UnsetType = UNSET
    offense_date: date | UnsetType = UNSET
    received_on: date | UnsetType = UNSET
    charges: Annotated[list[ChargeIn], Meta(min_length=1, max_length=20)] | UnsetType = UNSET


class ChargeOut(Struct):
    """A charge with its Criminal Law chapter (分则 第N章)."""

    name: str
    article: str
    chapter: int
    chapter_title: str


class CaseOut(Struct):
    """A case's detail."""

    id: int
    case_number: str
    case_type: CaseType
    title: str
    unit: str
    offense_date: date
    received_on: date
    charges: list[ChargeOut]
    case_prosecutor: str | None
    assigned: list[str]
    version: int
    created_at: datetime
    updated_at: datetime
    contains_sealed_records: bool = False
    """含犯罪记录封存信息: some persons' records in this case are sealed and left out (Seal-Measures Arts 5–6)."""


class CaseListItem(Struct):
    """A case in a list (no personal data: titles use masked names)."""

    id: int
    case_number: str
    case_type: CaseType
    title: str
    unit: str
    offense_date: date
    received_on: date
    charges: list[str]
    version: int


class CasePage(Struct):
    """A page of cases; ``next_cursor`` is opaque, null on the last page."""

    items: list[CaseListItem]
    next_cursor: str | None


class PersonCreate(Struct, forbid_unknown_fields=True):
    """``POST /api/cases/{case_id}/persons``. ``id_number`` is an 18-character resident ID (GB 11643)."""

    role: PersonRole
    name: PersonName
    id_number: IdNumber
    gender: Gender
    phone: Phone | None = None
    address: Address | None = None
    spp_approval_document: ShortText | None = None


class PersonUpdate(Struct, forbid_unknown_fields=True):
    """``PATCH /api/persons/{person_id}``: contact details; carries the ``version`` read."""

    version: Version
    phone: Phone | UnsetType | None = UNSET
    address: Address | UnsetType | None = UNSET
    spp_approval_document: ShortText | UnsetType | None = UNSET


class PersonOut(Struct):
    """A person. ``name``, ``id_number``, ``phone`` and ``address`` are null unless the reader is one of
    the case's prosecutors (need-to-know); ``display_name`` is always masked (张某某)."""

    id: int
    case_id: int
    role: PersonRole
    display_name: str
    gender: Gender
    birth_date: date
    age_at_offense: int | None
    minor_at_offense: bool
    version: int
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    address: str | None = None
    spp_approval_document: str | None = None


class PersonList(Struct):
    """The persons of a case."""

    items: list[PersonOut]
    next_cursor: str | None = None


class LookupIn(Struct, forbid_unknown_fields=True):
    """``POST /api/persons/lookup``: search before create, by resident ID number (never in a URL)."""

    id_number: IdNumber


class LookupHit(Struct):
    """A person with that ID number in one of the user's unit's cases."""

    id: int
    case_id: int
    case_number: str
    role: PersonRole
    display_name: str
    birth_date: date


class LookupOut(Struct):
    """Lookup result."""

    items: list[LookupHit]
    next_cursor: str | None = None


class StepCreate(Struct, forbid_unknown_fields=True):
    """``POST /api/cases/{case_id}/steps``: ``kind`` is free text such as 受理, 讯问, 审查逮捕."""

    kind: StepKind
    occurred_on: date
    summary: Summary


class StepOut(Struct):
    """A timeline entry."""

    id: int
    case_id: int
    kind: str
    occurred_on: date
    summary: str
    created_by: str | None
    created_at: datetime


class StepList(Struct):
    """The timeline, oldest first."""

    items: list[StepOut]
    next_cursor: str | None = None


class DecisionCreate(Struct, forbid_unknown_fields=True):
    """``POST /api/cases/{case_id}/decisions``. ``sentence_months`` for fixed_term, criminal_detention
    and public_surveillance only."""

    person_id: DbId
    kind: DecisionKind
    decision_date: date
    document_number: ShortText
    effective_date: date | None = None
    sentence_kind: SentenceKind | None = None
    sentence_months: Months | None = None
    basis_article: Article | None = None


class SealingOutcome(Struct):
    """The sealing evaluation of a decision (R-SEAL-1..4): ``eligible`` (None: a fact is missing, named in
    the trace's ``missing``), ``trace`` (the rules applied: ``{"rule", "source", "inputs", "result",
    "missing"?}``), the ruleset version and as-of date, and the sealing task opened with its deadline."""

    eligible: bool | None
    trace: list[dict[str, object]]
    task_id: int | None
    ruleset_version: str | None = None
    as_of: date | None = None
    due_on: date | None = None


class DecisionOut(Struct):
    """A recorded decision."""

    id: int
    case_id: int
    person_id: int
    kind: DecisionKind
    decision_date: date
    document_number: str
    effective_date: date | None
    sentence_kind: SentenceKind | None
    sentence_months: int | None
    basis_article: str | None
    created_at: datetime
    sealing: SealingOutcome


class DecisionList(Struct):
    """The decisions of a case."""

    items: list[DecisionOut]
    next_cursor: str | None = None


class AssignmentCreate(Struct, forbid_unknown_fields=True):
    """``POST /api/cases/{case_id}/assignments``: a prosecutor of the same unit."""

    username: Username


class AssignmentOut(Struct):
    """An assignment."""

    case_id: int
    username: str
    assigned_at: datetime


def to_builtins(obj: object) -> object:
    """JSON-ready builtins of a Struct."""
    return msgspec.to_builtins(obj)
