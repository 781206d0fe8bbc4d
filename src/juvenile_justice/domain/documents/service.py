"""Documents service: issue, store, read, reissue and verify documents (issue 5; API.md "Documents").

- **Issue.** One transaction takes the next serial of (unit, type, year), records the document with a
  fresh verification code and its sealed content snapshot, and writes the access-log entry
  (``document.issue``). A failure anywhere rolls all of it back, the serial included: no gap.
- **Render and store.** After the commit the PDF is rendered (lib/pdf.py, worker processes) from the
  snapshot and stored once, sealed, with its hash under the crypto suite (SHA-256 or SM3); the hash is
  written to the access log (``document.store``, purpose ``sha256:<hex>``). A failed render leaves the
  document issued and unrendered; a background task (:func:`render_pending_forever`) and the first
  download render it again from the same snapshot.
- **Read.** The stored copy is served only after its hash is checked against the stored hash (500
  "integrity" otherwise) and the read is logged.
- **Reissue.** A new numbered document with content rebuilt from the current records, linked to the
  one it replaces; the old one then verifies as not valid.
- **Verify.** Anyone with a code learns only whether it is valid and, if so, the issuing unit and date.
"""

from __future__ import annotations

import asyncio
import binascii
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import segno
import structlog

from juvenile_justice import db
from juvenile_justice.domain.accounts import repository as accounts_repo
from juvenile_justice.domain.audit import repository as audit_repo
from juvenile_justice.domain.audit import service as audit
from juvenile_justice.domain.cases.rules import clean_text
from juvenile_justice.domain.documents import repository as repo
from juvenile_justice.domain.documents.codes import document_number, grouped, new_verification_code, normalise_code
from juvenile_justice.lib.audit_chain import suite_hash
from juvenile_justice.lib.clock import now_utc, today_china
from juvenile_justice.lib.crypto import DecryptionError
from juvenile_justice.lib.errors import Conflict, DomainError, NotFound, ValidationFailed
from juvenile_justice.lib.pdf import Renderer, RenderError
from juvenile_justice.lib.phone_numbers import contains_mobile_number
from juvenile_justice.lib.security import Principal
from juvenile_justice.settings import get_settings

log = structlog.get_logger("juvenile_justice.documents")


@dataclass(frozen=True, slots=True)
class DocumentKind:
    """A kind of document: its title (文书名称), the type code in its number, and its template."""

    kind: str
    title: str
    type_code: str
    template: str
    neutral_prefix: bool = False
    """Numbered without the juvenile department's mark: a trailing 未 of the unit's prefix is left out
    (任检未 → 任检), for documents shown to outsiders that must not reveal a juvenile case (无犯罪记录证明)."""


KINDS: dict[str, DocumentKind] = {}
"""Every kind of document the product issues, by ``kind``; each area registers its own."""


def register(kind: DocumentKind) -> DocumentKind:
    """Add a document kind to :data:`KINDS` (once per kind)."""
    KINDS[kind.kind] = kind
    return kind


Authorise = Callable[[Principal, repo.DocumentRecord], Awaitable[None]]
READERS: dict[str, Authorise] = {}
"""Kind → a check that raises NotFound/Forbidden unless the principal may read that document's content."""

METADATA_READERS: dict[str, Authorise] = {}
"""Kind → a check for reading a document's metadata (number, dates, status; nothing personal); kinds
without one use :data:`READERS`."""

Rebuild = Callable[[Principal, repo.DocumentRecord, str], Awaitable[tuple[dict[str, Any], bool]]]
REBUILDERS: dict[str, Rebuild] = {}
"""Kind → a function rebuilding a document's content (and sealed flag) for a reissue with a reason (checks
rights, and that the reason names no person of the record: it is printed on the document)."""


class IntegrityFailure(DomainError):
    """500 "integrity": a stored copy does not match its recorded hash (API.md "Conventions")."""

    status = 500
    title = "integrity"


class DocumentNotReady(DomainError):
    """503: the document is issued but its PDF could not be rendered yet; try again."""

    status = 503
    title = "Service Unavailable"


VOID_ACTION = "document.void"
"""The access-log action that records a document replaced by a reissue: the log is hash-chained, so the
voiding cannot be undone by editing the documents' tables."""
MAX_REASON = 200


def _void_purpose(code: str) -> str:
    """The purpose of a ``document.void`` entry: the voided document's code (a document id alone could
    name another document in a restored or re-created database)."""
    return f"void:{code}"


"""Characters of a reissue reason at most."""

RENDERER = Renderer()
"""The process's document renderer (worker processes started on first use)."""


_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")
"""Hangul fillers: letters to Unicode, blanks on paper."""


def _reason(text: str) -> str:
    """A reissue reason as printed: free text (no ID number, control or invisible characters), 2 to
    :data:`MAX_REASON` characters with at least two letters or digits, and no phone number.

    Raises:
        ValidationFailed: naming ``reason``.
    """
    reason = clean_text(text, "reason")
    visible = [c for c in reason if unicodedata.category(c)[0] in "LN" and c not in _FILLERS]
    if not 2 <= len(reason) <= MAX_REASON or len(visible) < 2:
        raise ValidationFailed.one("reason", f"2至{MAX_REASON}字 / 2 to {MAX_REASON} characters, written out")
    if contains_mobile_number(reason):
        raise ValidationFailed.one("reason", "不得写入电话号码 / must not contain a phone number")
    return reason


def pdf_hash(pdf: bytes) -> str:
    """``<algorithm>:<hex>`` of a PDF under the configured suite: ``sha256:…`` (aes) or ``sm3:…`` (sm)."""
    suite = audit.suite()
    return f"{'sha256' if suite.value == 'aes' else 'sm3'}:{suite_hash(suite)(pdf).hex()}"


def verification_url(code: str) -> str:
    """The public page that checks ``code`` (``JJ_PUBLIC_URL``/verify/<code>)."""
    return f"{get_settings().public_url}/verify/{code}"


def _target(doc_id: int, case_id: int | None, kind: str) -> tuple[str, str]:
    """Access-log target and purpose: the document, and the case it is about (the auditors' record filter
    ``case:12`` finds these entries too) or, for other documents, its kind."""
    return f"document:{doc_id}", f"case:{case_id}" if case_id is not None else kind


async def issue(
    p: Principal,
    kind: DocumentKind,
    content: dict[str, Any],
    *,
    case_id: int | None = None,
    sealed: bool = False,
    replaces: int | None = None,
) -> int:
    """Record a new document of ``kind`` in ``p``'s unit and log it, in one transaction; returns its id.
    The PDF is rendered afterwards (:func:`store_copy`). ``content`` is what the template prints (JSON
    values); it is sealed in the database.

    Raises:
        Conflict: ``replaces`` has been reissued already (409).
        IntegrityFailure: the number counter was changed outside the service (500 "integrity"; nothing issued).
        AuditUnavailable: the access log cannot be written (503; nothing is recorded).
    """
    today = today_china()
    async with db.transaction():
        unit = await accounts_repo.unit_by_id(p.unit_id)
        assert unit is not None
        if replaces is not None and await repo.successor_of(replaces) is not None:
            raise Conflict("该文书已重新出具，请对新文书操作 / this document has been reissued already")
        try:
            serial = await repo.next_serial(unit.id, kind.type_code, today.year)
        except repo.CounterMismatch as exc:
            log.error("document_counter_mismatch", detail=str(exc))
            raise IntegrityFailure(
                "文号计数器与已出具的文号不符，已停止出具 / the number counter disagrees with the numbers issued"
            ) from None
        values = {
            "unit": unit.id,
            "kind": kind.kind,
            "type_code": kind.type_code,
            "year": today.year,
            "serial": serial,
            "number": document_number(_prefix(unit.doc_prefix, kind), unit.id, kind.type_code, today.year, serial),
            "verification_code": new_verification_code(),
            "case_file": case_id,
            "issued_on": today,
            "issued_at": now_utc(),
            "issued_by": p.user_id,
            "replaces": replaces,
            "sealed": sealed,
        }
        doc_id = await repo.insert_document(values, content)
        target, purpose = _target(doc_id, case_id, kind.kind)
        await audit.access(p, "document.issue", "allowed", target, record_unit=unit.id, purpose=purpose)
        if replaces is not None:  # the voiding of the old copy, where no one can quietly take it back
            old = await repo.document_by_id(replaces)
            assert old is not None
            await audit.access(p, VOID_ACTION, "allowed", f"document:{replaces}", record_unit=unit.id,
                               purpose=_void_purpose(old.verification_code))  # fmt: skip
    return doc_id


def _prefix(doc_prefix: str | None, kind: DocumentKind) -> str | None:
    if kind.neutral_prefix and doc_prefix and doc_prefix.endswith("未") and len(doc_prefix) > 1:
        return doc_prefix[:-1]
    return doc_prefix


def _context(doc: repo.DocumentRecord, content: dict[str, Any]) -> dict[str, Any]:
    kind = KINDS[doc.kind]
    url = verification_url(doc.verification_code)
    return {
        **content,
        "unit": doc.unit_name,
        "title": kind.title,
        "document_number": doc.number,
        "addressee": content.get("addressee"),
        "basis": content.get("basis"),
        "issued_on": doc.issued_on,
        "sealed": doc.sealed,
        "verification": {
            "code": grouped(doc.verification_code),
            "url": url,
            "qr": segno.make(url, error="m").png_data_uri(scale=3, border=2),
        },
    }


async def store_copy(p: Principal | None, doc_id: int) -> bool:
    """Render the document from its snapshot and store the copy (once) with its hash, logging the hash.
    Returns True when a copy is stored (now or before), False when rendering failed (logged; retried on
    the next download).

    Raises:
        AuditUnavailable: the hash could not be logged (nothing is stored).
    """
    doc = await repo.document_by_id(doc_id)
    if doc is None:
        raise NotFound("文书不存在 / no such document")
    if doc.pdf_hash is not None:
        return True
    content = await repo.content_of(doc_id)
    try:
        pdf, fetched = await RENDERER.render(KINDS[doc.kind].template, _context(doc, content))
    except RenderError as exc:
        log.error("document_render_failed", document_id=doc_id, kind=doc.kind, error=str(exc)[:200])
        return False
    if fetched.refused:
        log.warning("document_fetch_refused", document_id=doc_id, refused=len(fetched.refused))
    digest = pdf_hash(pdf)
    async with db.transaction():
        if await repo.insert_copy(doc_id, pdf, digest, fetched.pages, now_utc()):
            await audit.access(
                p, "document.store", "allowed", f"document:{doc_id}", record_unit=doc.unit_id, purpose=digest
            )
    return True


PENDING_POLL_SECONDS = 60.0
PENDING_BATCH = 5
PENDING_TRIES = 3
PENDING_AFTER_SECONDS = 180
_failed_renders: dict[int, int] = {}


async def render_pending() -> int:
    """Render and store documents whose earlier render failed (oldest first, a few at a time); a document
    that failed :data:`PENDING_TRIES` times in this process is left to the next download. Returns how
    many were stored."""
    stored = 0
    before = now_utc() - timedelta(seconds=PENDING_AFTER_SECONDS)  # not one its own request still renders
    for doc_id in await repo.unrendered_ids(PENDING_BATCH + len(_failed_renders), before):
        if _failed_renders.get(doc_id, 0) >= PENDING_TRIES:
            continue
        try:
            done = await store_copy(None, doc_id)
        except Exception as exc:  # a damaged row, or the log unwritable: counted, and the others go on
            log.error("document_render_retry_failed", document_id=doc_id, error=type(exc).__name__)
            done = False
        if done:
            stored += 1
            _failed_renders.pop(doc_id, None)
        else:
            _failed_renders[doc_id] = _failed_renders.get(doc_id, 0) + 1
    return stored


async def render_pending_forever(poll_seconds: float = PENDING_POLL_SECONDS) -> None:
    """The service's background task: :func:`render_pending` every ``poll_seconds``; failures are logged."""
    while True:
        await asyncio.sleep(poll_seconds)
        try:
            await render_pending()
        except Exception as exc:  # never fatal: the next round, or a download, tries again
            log.error("document_render_retry_failed", error=type(exc).__name__)


async def _readable(p: Principal, doc_id: int, *, metadata: bool = False) -> repo.DocumentRecord:
    doc = await repo.document_by_id(doc_id)
    if doc is None or doc.kind not in READERS:
        raise NotFound("文书不存在 / no such document")
    check = METADATA_READERS.get(doc.kind, READERS[doc.kind]) if metadata else READERS[doc.kind]
    await check(p, doc)
    if not await _genuine(doc, with_copy=False):  # its identity columns were rewritten behind the guards
        log.error("document_integrity_failure", document_id=doc.id, during="read")
        raise IntegrityFailure("文书记录与其封存内容不符 / the document's record does not match its seal")
    return doc


async def get_document(p: Principal, doc_id: int) -> repo.DocumentRecord:
    """The metadata of a document ``p`` may read (no content: nothing personal).

    Raises:
        NotFound: no such document, or another unit's (404). Forbidden: a reader without need-to-know (403).
    """
    return await _readable(p, doc_id, metadata=True)


async def get_pdf(p: Principal, doc_id: int) -> tuple[repo.DocumentRecord, bytes]:
    """The stored PDF of a document, hash-checked, after its read is logged (rendered first when the
    earlier render failed).

    Raises:
        NotFound / Forbidden: as :func:`get_document`. DocumentNotReady: it still cannot be rendered (503).
        IntegrityFailure: the stored copy does not match its hash (500 "integrity"; logged).
        AuditUnavailable: the read cannot be logged (503).
    """
    doc = await _readable(p, doc_id)
    if doc.pdf_hash is None:
        if not await store_copy(p, doc_id):
            raise DocumentNotReady("文书正在生成，请稍后再试 / the document is not rendered yet; try again shortly")
        refreshed = await repo.document_by_id(doc_id)
        assert refreshed is not None
        doc = refreshed
    try:
        pdf = await repo.pdf_of(doc_id)
    except (DecryptionError, binascii.Error):  # the copy's seal fails: moved, forged or damaged
        pdf = None
    if pdf is None or doc.pdf_hash is None or pdf_hash(pdf) != doc.pdf_hash:
        await audit.access(
            p, "document.read", "failed", f"document:{doc_id}", record_unit=doc.unit_id, purpose="integrity"
        )
        log.error("document_integrity_failure", document_id=doc_id)
        raise IntegrityFailure("文书副本与其哈希不符 / the stored copy does not match its hash")
    target, purpose = _target(doc.id, doc.case_id, doc.kind)
    await audit.protected_read(p, "document.read", target, record_unit=doc.unit_id, purpose=purpose)
    return doc, pdf


async def reissue(p: Principal, doc_id: int, reason: str) -> int:
    """Issue a new numbered document replacing ``doc_id``, its content rebuilt from the current records
    (the right to do so is the kind's: the same as issuing it) and ``reason`` printed on it with the old
    number. Returns the new document's id.

    Raises:
        NotFound / Forbidden: as :func:`get_document`, or the kind cannot be reissued (404).
        Conflict: already reissued (409: reissue the newest one).
        ValidationFailed: a blank or over-long reason, or one holding an ID number or a person's name (422).
    """
    doc = await _readable(p, doc_id)
    if doc.kind not in REBUILDERS:
        raise NotFound("此类文书不能重新出具 / this kind of document cannot be reissued")
    if doc.replaced_by is not None:
        raise Conflict("该文书已重新出具，请对新文书操作 / this document has been reissued already")
    reason = _reason(reason)
    content, sealed = await REBUILDERS[doc.kind](p, doc, reason)
    content["reissue"] = {"replaces_number": doc.number, "reason": reason}
    new_id = await issue(p, KINDS[doc.kind], content, case_id=doc.case_id, sealed=sealed, replaces=doc.id)
    await store_copy(p, new_id)
    return new_id


@dataclass(frozen=True, slots=True)
class Verification:
    """What the public learns from a code: valid or not, and for a valid one the unit and date only."""

    valid: bool
    issued_by: str | None = None
    issued_on: date | None = None


async def _genuine(doc: repo.DocumentRecord, *, with_copy: bool) -> bool:
    """True when the document's row is as issued (its sealed content opens under its identity columns)
    and, with ``with_copy``, its stored copy opens and matches its hash."""
    try:
        await repo.content_of(doc.id)
        if with_copy:
            pdf = await repo.pdf_of(doc.id)
            return pdf is not None and doc.pdf_hash is not None and pdf_hash(pdf) == doc.pdf_hash
    except (DecryptionError, LookupError, ValueError, binascii.Error):
        return False
    return True


async def verify(code_text: str) -> Verification:
    """Check a verification code (no log-in). Valid means: issued, stored, unaltered (the row's seal and
    the copy's hash check out), and not replaced by a reissue (its ``document.void`` entry in the access
    log, or a genuine successor row). Unknown, malformed, replaced,
    unrendered and tampered codes all answer only "not valid"; tampering is logged for the operators."""
    code = normalise_code(code_text)
    if code is None:
        return Verification(False)
    doc = await repo.document_by_code(code)
    if doc is None or doc.pdf_hash is None:
        return Verification(False)
    if not await _genuine(doc, with_copy=True):
        log.error("document_integrity_failure", document_id=doc.id, during="verify")
        return Verification(False)
    if await audit_repo.has_entry(VOID_ACTION, f"document:{doc.id}", _void_purpose(doc.verification_code)):
        return Verification(False)  # replaced by a reissue (whatever the documents' tables now say)
    if doc.replaced_by is not None:
        successor = await repo.document_by_id(doc.replaced_by)
        if successor is not None and await _genuine(successor, with_copy=False):
            return Verification(False)
        log.error("document_integrity_failure", document_id=doc.replaced_by, during="verify-successor")
    return Verification(True, doc.unit_name, doc.issued_on)


audit.OWNER_RESOLVERS["document"] = repo.unit_of_document
