"""无犯罪记录证明 (no-criminal-record certificate, R-SEAL-8; SPP Rules 487).

A person whose records this procuratorate sealed, or their legal representative, may have one: the
procuratorate must issue it. It is refused while the person has a criminal record that is not sealed (a
judgment in any unit's cases): the system has no "has a criminal record" certificate at all (SPP Rules
484(1)). The certificate names the person and says only that no criminal record was found; it never
mentions sealing (R-SEAL-9), its number leaves out the juvenile department's mark (任检证〔2026〕1号, not
任检未证), and it carries its verification code like every document. The applicant gives the name as on
the identity card: a name that does not match the sealed record is refused, so the route never tells
anyone a name.
"""

from __future__ import annotations

import unicodedata

from juvenile_justice.domain.audit import service as audit
from juvenile_justice.domain.cases import repository as cases_repo
from juvenile_justice.domain.documents import repository as documents_repo
from juvenile_justice.domain.documents import service as documents
from juvenile_justice.domain.sealing import notices
from juvenile_justice.domain.sealing import repository as repo
from juvenile_justice.domain.sealing import schemas as s
from juvenile_justice.lib.clock import today_china
from juvenile_justice.lib.errors import Conflict, Forbidden, ValidationFailed
from juvenile_justice.lib.periods import age_in_full_years
from juvenile_justice.lib.resident_id import InvalidResidentId, parse_resident_id
from juvenile_justice.lib.security import Principal
from juvenile_justice.protection import audit_hash

ADULT_AGE = 18


def same_name(stored: str, given: str) -> bool:
    """The names agree, ignoring white space and full-width/half-width forms (NFKC)."""
    return "".join(unicodedata.normalize("NFKC", stored).split()) == "".join(
        unicodedata.normalize("NFKC", given).split()
    )


async def issue_certificate(p: Principal, data: s.CertificateIn) -> s.CertificateOut:
    """Issue a 无犯罪记录证明 for the person with this ID number.

    Raises:
        Forbidden: not a prosecutor (403).
        ValidationFailed: a bad ID number, or no record of this person sealed by ``p``'s unit (422,
            ``id_number``); a name that does not match (``name``); a legal representative applying for an
            adult (``applicant``).
        Conflict: the person has a criminal record that is not sealed (409; nothing is issued).
    """
    if p.role != "prosecutor":
        raise Forbidden("只有检察官可以出具无犯罪记录证明 / only prosecutors issue these certificates")
    try:
        number = parse_resident_id(data.id_number, today=today_china()).number
    except InvalidResidentId as exc:
        raise ValidationFailed.one("id_number", str(exc)) from None
    ours = [r for r in await repo.records_by_id_number(number) if r.unit_id == p.unit_id]
    target = f"id_number:{audit_hash('id_number', number)}"
    if not ours:
        await audit.access(p, "no_record_certificate.issue", "refused", target, record_unit=p.unit_id,
                           purpose="no sealed record")  # fmt: skip
        raise ValidationFailed.one(
            "id_number", "本院没有该人被封存的犯罪记录 / your unit has sealed no records of this person"
        )
    born = parse_resident_id(number, today=today_china()).birth_date
    if data.applicant == "legal_representative" and age_in_full_years(born, today_china()) >= ADULT_AGE:
        raise ValidationFailed.one("applicant", "该人已成年，应由本人申请 / an adult applies in person")
    person = (await repo.content_of(ours[0].id))["person"]
    if not same_name(person["name"], data.name):
        await audit.access(p, "no_record_certificate.issue", "refused", target, record_unit=p.unit_id,
                           purpose="name mismatch")  # fmt: skip
        raise ValidationFailed.one("name", "姓名与公民身份号码不符 / the name does not match the ID number")
    if await cases_repo.has_unsealed_conviction(number):
        await audit.access(p, "no_record_certificate.issue", "refused", target, record_unit=p.unit_id,
                           purpose="unsealed record")  # fmt: skip
        raise Conflict(
            "该人有未封存的犯罪记录，不能出具无犯罪记录证明 / this person has a criminal record that is not sealed"
        )
    await audit.protected_read(p, "sealed_record.read", f"sealed_record:{ours[0].id}", record_unit=p.unit_id,
                               purpose="certificate")  # fmt: skip
    content = notices.certificate_content(person["name"], person["gender"], person["id_number"], data.applicant,
                                          today_china())  # fmt: skip
    document_id = await documents.issue(p, notices.NO_RECORD_CERTIFICATE, content)
    await documents.store_copy(p, document_id)
    doc = await documents_repo.document_by_id(document_id)
    assert doc is not None
    return s.CertificateOut(document_id=doc.id, number=doc.number, verification_code=doc.verification_code)
