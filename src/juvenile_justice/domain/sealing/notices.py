"""Documents of the sealing workflow: the 犯罪记录封存通知书 (sealing notice, R-SEAL-4).

The notice names the person (it tells the police which records to seal), so it is itself sealed
(``sealed`` documents carry the 封存记录 marking) and only its issuer opens it: the prosecutor who sealed
the record and sends the notice. Everyone else is refused like any reader of sealed records (403).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from juvenile_justice.domain.cases import repository as cases_repo
from juvenile_justice.domain.documents import repository as documents_repo
from juvenile_justice.domain.documents import service as documents
from juvenile_justice.lib.errors import NotFound, SealedRecordRefused
from juvenile_justice.lib.pdf import chinese_date
from juvenile_justice.lib.security import Principal

SEALING_NOTICE = documents.register(
    documents.DocumentKind("sealing_notice", "未成年人犯罪记录封存通知书", "封", "sealing_notice.html")
)
"""未成年人犯罪记录封存通知书: sent with the decision to the same-level police (Seal-Measures Arts 11-12)."""

_LEGAL_BASIS = {
    "judgment": "《中华人民共和国刑事诉讼法》第二百八十六条、《人民检察院刑事诉讼规则》第四百八十二条",
    "non_prosecution": "《中华人民共和国刑事诉讼法》第二百八十六条、《人民检察院刑事诉讼规则》第四百八十六条",
    "acquittal": "《中华人民共和国刑事诉讼法》第二百八十六条及《关于未成年人犯罪记录封存的实施办法》",
}


def _sentence(kind: str | None, months: int | None) -> str:
    from juvenile_justice.domain.cases.labels import SENTENCE_KINDS

    if kind is None:
        return ""
    if kind == "exemption":
        return "免予刑事处罚"
    return "判处" + SENTENCE_KINDS.get(kind, kind) + (f"{months}个月" if months else "")


def sealing_notice_content(
    content: dict[str, Any], decision: cases_repo.DecisionRecord, advised_on: date | None, unit_name: str
) -> dict[str, Any]:
    """What the notice prints, from the sealed snapshot ``content`` and the decision sealed on: who, on what
    decision (for a judgment, the sentence and the day it took effect), why the law seals it, what the
    police must do within three days, who may still query it (judicial organs only, for non-prosecution
    records: SPP Rules 486), and the advisement given (R-SEAL-10), when it has been."""
    from juvenile_justice.domain.sealing.service import BASIS_OF_KIND  # the service imports this module

    person, case = content["person"], content["case"]
    charges = "、".join(c["name"] for c in case["charges"]) or "犯罪"
    basis = BASIS_OF_KIND.get(decision.kind, "judgment")
    who = f"{person['name']}（{person['gender']}，{person['birth_date']}出生，公民身份号码{person['id_number']}）"
    on = chinese_date(decision.decision_date)
    if basis == "judgment":
        took_effect = chinese_date(decision.effective_date or decision.decision_date)
        facts = (
            f"{who}犯{charges}，人民法院于{on}以{decision.document_number}刑事判决书"
            f"{_sentence(decision.sentence_kind, decision.sentence_months)}，判决已于{took_effect}发生法律效力。"
            "该人犯罪时不满十八周岁，被判处五年有期徒刑以下刑罚或者免予刑事处罚。"
        )
    elif basis == "acquittal":
        facts = (
            f"{who}被指控{charges}，人民法院于{on}以{decision.document_number}刑事判决书宣告无罪。"
            "该人行为时不满十八周岁。"
        )
    else:
        facts = (
            f"{who}涉嫌{charges}一案，本院于{on}以{decision.document_number}不起诉决定书决定不起诉。"
            "该人行为时不满十八周岁。"
        )
    who_may_query = (
        "除司法机关为办案需要进行查询的以外"
        if basis == "non_prosecution"
        else "除司法机关为办案需要或者有关单位根据国家规定进行查询的以外"
    )
    paragraphs = [
        facts,
        f"根据{_LEGAL_BASIS[basis]}的规定，其犯罪记录应当封存。请你单位自收到本通知书之日起三日内对相关记录予以封存，"
        f"在卷宗封面标注“未成年人犯罪记录封存”，对电子信息添加封存标记。{who_may_query}，不得向任何单位和个人提供。",
    ]
    if advised_on:
        paragraphs.append(
            f"本院已于{chinese_date(advised_on)}向该未成年人及其法定代理人告知犯罪记录封存制度及相关权利义务。"
        )
    paragraphs.append(f"封存单位：{unit_name}。")
    return {"addressee": "公安机关", "paragraphs": paragraphs, "basis": "依据：" + _LEGAL_BASIS[basis]}


async def _issuer_only(p: Principal, doc: documents_repo.DocumentRecord) -> None:
    if doc.unit_id != p.unit_id or p.role != "prosecutor":
        raise NotFound("文书不存在 / no such document")
    if doc.issued_by != p.username:
        raise SealedRecordRefused()


documents.READERS[SEALING_NOTICE.kind] = _issuer_only


QUERY_PERMIT = documents.register(
    documents.DocumentKind("sealed_query_permit", "查询封存犯罪记录许可决定书", "许", "sealing_notice.html")
)
"""查询许可决定书: a lawful query approved (R-SEAL-7); it names the record by number, never the person."""
QUERY_REFUSAL = documents.register(
    documents.DocumentKind("sealed_query_refusal", "不予许可查询封存犯罪记录决定书", "不许", "sealing_notice.html")
)
"""不予许可查询决定书: a lawful query denied."""
NO_RECORD_CERTIFICATE = documents.register(
    documents.DocumentKind("no_record_certificate", "无犯罪记录证明", "证", "sealing_notice.html", neutral_prefix=True)
)
"""无犯罪记录证明 (R-SEAL-8): for a person whose only records are sealed; it says nothing about sealing."""

UNIT_TYPES = {"court": "人民法院", "procuratorate": "人民检察院", "public_security": "公安机关",
              "state_security": "国家安全机关", "justice_admin": "司法行政机关", "other": "其他单位"}  # fmt: skip


def query_decision_content(q: Any, *, approve: bool, reason: str, valid_until: date | None) -> dict[str, Any]:
    """What a query decision prints: the application and the decision, the record by its number only."""
    head = (
        f"{q.requesting_unit}（{UNIT_TYPES.get(q.requesting_unit_type, q.requesting_unit_type)}）于"
        f"{chinese_date(q.filed_on)}申请查询本院封存的犯罪记录（封存记录编号{q.record_id}）。"
        f"查询用途：{q.purpose}。法律依据：{q.legal_basis}。"
        + (f"所依据的国家规定：{q.cited_regulation}。" if q.cited_regulation else "")
    )
    if approve:
        assert valid_until is not None
        body = [
            head,
            f"经审查，本院决定许可查询。理由：{reason}。查阅期限至{chinese_date(valid_until)}止。",
            "查询单位应当按照申请的用途和范围使用所获信息，对其予以保密，不得泄露或者用于其他用途；"
            "违反规定造成不良后果的，依法追究责任。",
        ]
    else:
        body = [head, f"经审查，本院决定不予许可查询。理由：{reason}。"]
    basis = "依据：《中华人民共和国刑事诉讼法》第二百八十六条、《人民检察院刑事诉讼规则》第四百八十四条"
    return {"addressee": q.requesting_unit, "paragraphs": body, "basis": basis}


def certificate_content(name: str, gender: str, id_number: str, applicant: str, today: date) -> dict[str, Any]:
    """What a no-criminal-record certificate prints: the person and "no criminal record", nothing else
    (it says nothing about sealing: R-SEAL-9, no duty to report the sealed record)."""
    who = "本人" if applicant == "self" else "其法定代理人"
    return {
        "paragraphs": [
            f"{name}，{gender}，公民身份号码{id_number}。",
            f"经{who}申请，经查，截至{chinese_date(today)}，未发现该人有犯罪记录。",
            "特此证明。",
        ],
    }


async def _issuer_or_requester(p: Principal, doc: documents_repo.DocumentRecord) -> None:
    """A query decision: its issuer and the requester it answers."""
    from juvenile_justice.domain.sealing import request_repository as rr  # imports documents in turn

    if p.username == doc.issued_by and p.unit_id == doc.unit_id:
        return
    if await rr.requester_of_document(doc.id) == p.user_id:
        return
    raise NotFound("文书不存在 / no such document")


documents.READERS[QUERY_PERMIT.kind] = _issuer_or_requester
documents.READERS[QUERY_REFUSAL.kind] = _issuer_or_requester
documents.READERS[NO_RECORD_CERTIFICATE.kind] = _issuer_only
