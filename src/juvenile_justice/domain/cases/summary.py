"""The content of a case summary (案件摘要): what the case file holds, for the document renderer.

Only the case's prosecutors may have one made (it names every person in full, with ID numbers:
need-to-know, API.md "Units, users, roles"). The documents area records and logs the issue; this
module reads the case and shapes the facts, in the order the summary prints them.
"""

from __future__ import annotations

from typing import Any

from juvenile_justice.domain.cases import repository as repo
from juvenile_justice.domain.cases import service
from juvenile_justice.domain.cases.criminal_law import lookup_article
from juvenile_justice.domain.cases.labels import CASE_TYPES, DECISION_KINDS, GENDERS, PERSON_ROLES, SENTENCE_KINDS
from juvenile_justice.lib.security import Principal

MAX_STEPS = 100
"""Steps printed in a summary at most (the latest); the case page and the API have them all."""
MAX_PERSONS = 200
"""Persons (and decisions) printed in a summary at most; the note says how many there are."""
MAX_STEP_TEXT = 500
"""Characters of a step's summary printed in a case summary at most (a longer one ends with …)."""


def _charge(name: str, article: str) -> str:
    info = lookup_article(article)
    return f"{name}（《中华人民共和国刑法》第{article}条{('，' + info.chapter_title) if info else ''}）"


def _clip(text: str) -> str:
    return text if len(text) <= MAX_STEP_TEXT else text[: MAX_STEP_TEXT - 1] + "…"


def _sentence(kind: str | None, months: int | None) -> str:
    if kind is None:
        return ""
    return SENTENCE_KINDS.get(kind, kind) + (f"{months}个月" if months else "")


async def summary_content(p: Principal, case_id: int) -> tuple[repo.CaseRecord, dict[str, Any]]:
    """The case and the JSON-ready content of its summary: ``case`` (number, title, type, dates, charges,
    prosecutors), ``persons`` (role, full name, sex, birth date, ID number, age at the offence, minor),
    ``steps`` (date, kind, summary clipped to :data:`MAX_STEP_TEXT`; the latest :data:`MAX_STEPS`,
    ``steps_total`` counts them all) and ``decisions`` (date, person, kind, document number, sentence).
    Dates are ``YYYY-MM-DD`` text. Sealed persons and their decisions are left out (R-SEAL-5);
    ``contains_sealed_records`` then marks the summary 含犯罪记录封存信息.

    Raises:
        NotFound: no such case in ``p``'s unit (404); Forbidden: not one of its prosecutors (403).
        DecryptionError: a stored personal field fails its check (integrity).
    """
    case = await service.writable_case(p, case_id)
    persons = await repo.persons_of_case(case.id)
    steps = await repo.steps_of_case(case.id)
    decisions = await repo.decisions_of_case(case.id)
    names = {x.id: x.name for x in persons}
    prosecutors = ([case.created_by] if case.created_by else []) + [name for _, name in case.assigned]
    content = {
        "case": {
            "case_number": case.case_number,
            "title": case.title,
            "case_type": CASE_TYPES.get(case.case_type, case.case_type),
            "offense_date": case.offense_date.isoformat(),
            "received_on": case.received_on.isoformat(),
            "charges": [_charge(name, article) for name, article, _ in case.charges],
            "prosecutors": prosecutors,
        },
        "persons": [
            {
                "role": PERSON_ROLES.get(x.role, x.role),
                "name": x.name,
                "gender": GENDERS.get(x.gender, x.gender),
                "birth_date": x.birth_date.isoformat(),
                "id_number": x.id_number,
                "age_at_offense": x.age_at_offense,
                "minor": x.minor_at_offense,
            }
            for x in persons[:MAX_PERSONS]
        ],
        "persons_total": len(persons),
        "steps": [
            {"occurred_on": x.occurred_on.isoformat(), "kind": x.kind, "summary": _clip(x.summary)}
            for x in steps[-MAX_STEPS:]
        ],
        "steps_total": len(steps),
        "decisions": [
            {
                "decision_date": d.decision_date.isoformat(),
                "person": names.get(d.person_id, ""),
                "kind": DECISION_KINDS.get(d.kind, d.kind),
                "document_number": d.document_number,
                "sentence": _sentence(d.sentence_kind, d.sentence_months),
            }
            for d in decisions[-MAX_PERSONS:]
        ],
        "decisions_total": len(decisions),
        "contains_sealed_records": case.seal_state == "partial",
    }
    return case, content
