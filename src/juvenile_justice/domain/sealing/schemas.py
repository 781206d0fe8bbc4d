"""Request and response shapes of the sealing API (msgspec Structs; API.md "Sealing").

Dates are ``YYYY-MM-DD``; sentences are in months. A trace is ``{"eligible", "ruleset_version", "as_of",
"rules": [{"rule", "source", "inputs", "result", "missing"?}]}`` (domain/sealing/eligibility.py).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from juvenile_justice.domain.cases.schemas import DbId, IdNumber, Months, PersonName, SentenceKind, ShortText

Basis = Literal["judgment", "non_prosecution", "acquittal"]
"""What a record is sealed on: an effective judgment (R-SEAL-1/2), a decision not to prosecute (R-SEAL-3,
R-CNP-12) or an acquittal for insufficient evidence (R-SEAL-3)."""


class SealingIn(Struct, forbid_unknown_fields=True):
    """``POST /api/persons/{person_id}/sealing``: either ``decision_id`` (a recorded decision about the
    person), or the decision itself (``basis``, ``decision_date``, ``document_number`` and, for a judgment,
    ``sentence_kind`` and ``sentence_months``), recorded in the same transaction. ``advised_on``: the day
    the juvenile and the legal representative were told about sealing (R-SEAL-10). ``offense_dates`` and
    ``main_offense_date``: several acts before and after 18 (R-SEAL-2); by default the case's offence date.
    """

    decision_id: DbId | None = None
    basis: Literal["judgment", "non_prosecution"] | None = None
    decision_date: date | None = None
    effective_date: date | None = None
    document_number: ShortText | None = None
    sentence_kind: SentenceKind | None = None
    sentence_months: Months | None = None
    advised_on: date | None = None
    offense_dates: list[date] | None = None
    main_offense_date: date | None = None


class SealingOut(Struct):
    """A record sealed: ``id`` is the sealed record's id (``record_id``); ``document_id`` the sealing notice
    (犯罪记录封存通知书) issued with it."""

    id: int
    sealed_on: date
    eligibility: dict[str, Any]
    document_id: int
    advised_on: date | None


class StatusLookupIn(Struct, forbid_unknown_fields=True):
    """``POST /api/sealed-status/lookup``: the ID number travels in the body, never in a URL."""

    id_number: IdNumber


class SealedStatusRecord(Struct):
    """One sealed record as the status check shows it: no content."""

    id: int
    sealed_on: date
    sealing_unit: str
    basis: Basis


class StatusLookupOut(Struct):
    """Whether the person has records sealed now, and which (sealing unit, date, basis)."""

    sealed: bool
    records: list[SealedStatusRecord]


class TaskOut(Struct):
    """A sealing task (封存任务): the decision that opened it and its deadline (R-SEAL-4: three days from
    receipt). ``display_name`` is masked; ``overdue`` is true past ``due_on`` while open. Once done, the
    task no longer names the case, the person or the decision (null): their records are sealed."""

    id: int
    case_id: int | None
    case_number: str | None
    person_id: int | None
    display_name: str | None
    decision_id: int | None
    decision_kind: str
    document_number: str | None
    basis: Basis
    received_on: date
    due_on: date
    overdue: bool
    status: Literal["open", "done"]
    sealed_record_id: int | None
    eligibility: dict[str, Any]
    yours: bool = False
    """You are one of the case's prosecutors (who seal it)."""


class TaskPage(Struct):
    """A page of sealing tasks."""

    items: list[TaskOut]
    next_cursor: str | None


UnitType = Literal["court", "procuratorate", "public_security", "state_security", "justice_admin", "other"]
"""The requesting unit's type: the first four are judicial organs handling a case (R-SEAL-6)."""
QueryText = Annotated[str, Meta(min_length=1, max_length=500)]
UnitName = Annotated[str, Meta(min_length=1, max_length=100)]


class QueryRequestIn(Struct, forbid_unknown_fields=True):
    """``POST /api/sealed-records/{record_id}/query-requests``: the written application (R-SEAL-7)."""

    purpose: QueryText
    legal_basis: QueryText
    requesting_unit: UnitName
    requesting_unit_type: UnitType
    cited_regulation: QueryText | None = None


class QueryRequestOut(Struct):
    """A query request: ``status`` ``pending`` (decision due on ``due_on``), ``refused`` at filing (R-SEAL-6,
    with ``reason``), ``approved`` (readable until ``valid_until``) or ``denied``; ``document_id`` is the
    decision document."""

    id: int
    record_id: int
    status: Literal["pending", "refused", "approved", "denied"]
    reason: str | None
    requester: str
    requesting_unit: str
    requesting_unit_type: UnitType
    purpose: str
    legal_basis: str
    cited_regulation: str | None
    filed_on: date
    due_on: date
    overdue: bool
    decided_by: str | None
    valid_until: date | None
    document_id: int | None


class QueryRequestPage(Struct):
    """A page of query requests."""

    items: list[QueryRequestOut]
    next_cursor: str | None


class QueryDecisionIn(Struct, forbid_unknown_fields=True):
    """``POST /api/query-requests/{request_id}/decision``: ``valid_days`` (1–90) for an approval."""

    approve: bool
    reason: QueryText
    valid_days: Annotated[int, Meta(ge=1, le=90)] | None = None


class SealedReadOut(Struct):
    """A granted read of a sealed record: ``scope`` ``full`` (judicial organs) or ``limited`` (whether the
    person was punished, for what and how); ``notice`` states the confidentiality duty (R-SEAL-12)."""

    id: int
    status: Literal["sealed", "unsealed"]
    sealed_on: date
    sealing_unit: str
    basis: Basis
    scope: Literal["full", "limited"]
    content: dict[str, Any]
    request_id: int
    valid_until: date
    purpose: str
    notice: str


class UnsealIn(Struct, forbid_unknown_fields=True):
    """``POST /api/sealed-records/{record_id}/unseal``: the ground of R-SEAL-11 and its facts."""

    rule: Literal["new_offense", "prior_offense", "retrial"]
    reason: QueryText
    combined_sentence_months: Annotated[int, Meta(ge=1, le=600)]
    judgment_document_number: UnitName
    new_offense_date: date | None = None


class UnsealAccepted(Struct):
    """202: the request waits for a second prosecutor; ``ground`` is the trace of R-SEAL-11."""

    unseal_request_id: int
    ground: dict[str, Any]


class UnsealDecisionIn(Struct, forbid_unknown_fields=True):
    """``POST /api/unseal-requests/{id}/decision``."""

    approve: bool
    reason: QueryText


class UnsealRequestOut(Struct):
    """A request to lift a seal and its decision."""

    id: int
    record_id: int
    rule: Literal["new_offense", "prior_offense", "retrial"]
    reason: str
    combined_sentence_months: int
    new_offense_date: date | None
    judgment_document_number: str
    ground: dict[str, Any]
    requested_by: str
    status: Literal["pending", "approved", "rejected"]
    decided_by: str | None
    decision_reason: str | None


class UnsealRequestPage(Struct):
    """The unit's requests to lift seals."""

    items: list[UnsealRequestOut]


class CertificateIn(Struct, forbid_unknown_fields=True):
    """``POST /api/no-record-certificates``: the person's ID number (in the body, never a URL) and name as
    on their identity card, and who applies (the person, or the legal representative of a minor)."""

    id_number: IdNumber
    name: PersonName
    applicant: Literal["self", "legal_representative"]


class CertificateOut(Struct):
    """An issued 无犯罪记录证明 (R-SEAL-8)."""

    document_id: int
    number: str
    verification_code: str
