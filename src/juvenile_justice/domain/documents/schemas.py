"""Request and response shapes of the documents API (msgspec Structs; API.md "Documents")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct, field

NO_NUL = r"^[^\x00]*$"

CaseDocumentKind = Literal["case_summary"]
"""Kinds issued on demand about a case (``POST /api/cases/{case_id}/documents``)."""


class DocumentCreate(Struct, forbid_unknown_fields=True):
    """``POST /api/cases/{case_id}/documents``: the kind of document to issue."""

    kind: CaseDocumentKind


class ReissueIn(Struct, forbid_unknown_fields=True):
    """``POST /api/documents/{document_id}/reissue``: why the document is issued again (printed on it)."""

    reason: Annotated[str, Meta(min_length=2, max_length=200, pattern=NO_NUL)]


class DocumentOut(Struct):
    """A document's metadata (nothing personal). ``status`` is ``valid``, ``superseded`` (reissued; see
    ``replaced_by``) or ``pending`` (issued, PDF not rendered yet). ``pdf_hash`` is ``sha256:<hex>`` or
    ``sm3:<hex>`` of the stored PDF; ``size_bytes`` in bytes. ``sealed`` is true when the document is
    about sealed records (it carries the sealed-record marking). For an access-log report,
    ``statement`` is the signed plain text printed on it, ``signature`` its Ed25519 signature (base64)
    and ``signing_key_id`` the checkpoint key that made it (``audit public-key``)."""

    id: int
    kind: str
    title: str
    number: str
    verification_code: str
    unit: str
    issued_on: date
    issued_at: datetime
    issued_by: str | None
    case_id: int | None
    status: Literal["valid", "superseded", "pending"]
    replaces: int | None
    replaced_by: int | None
    sealed: bool
    pdf_hash: str | None
    pages: int | None
    size_bytes: int | None
    statement: str | None = None
    signature: str | None = None
    signing_key_id: str | None = None


class DocumentPage(Struct):
    """A page of documents, newest first."""

    items: list[DocumentOut]
    next_cursor: str | None


class VerificationOut(Struct):
    """``GET /api/verify/{code}``: only whether the code is valid and, if so, who issued it and when."""

    valid: bool
    issued_by: str | None
    issued_on: date | None


class ReportIn(Struct, forbid_unknown_fields=True):
    """``POST /api/audit/reports``: the period (``from``–``to``, whole days, China Standard Time, at most
    366 days) and the filters of ``GET /api/audit/access-log``."""

    from_: date = field(name="from")
    to: date
    actor: Annotated[str, Meta(min_length=1, max_length=64, pattern=NO_NUL)] | None = None
    record_id: Annotated[str, Meta(min_length=1, max_length=60, pattern=NO_NUL)] | None = None
    target: Annotated[str, Meta(min_length=1, max_length=170, pattern=NO_NUL)] | None = None
    unit: Annotated[int, Meta(ge=1, le=2**31 - 1)] | None = None
    outcome: Literal["allowed", "refused", "failed"] | None = None
    action: Annotated[str, Meta(min_length=1, max_length=80, pattern=NO_NUL)] | None = None
    flagged: bool = False
