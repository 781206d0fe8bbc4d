"""Pure rules of the cases area: charges, ages, persons, decisions (no I/O).

Each function raises :class:`~juvenile_justice.lib.errors.ValidationFailed` naming the field, so the
API, the pages and the importer give the same answer for the same bad input.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from juvenile_justice.domain.cases.criminal_law import UnknownCharge, check_charge
from juvenile_justice.lib.errors import FieldError, ValidationFailed
from juvenile_justice.lib.periods import age_in_full_years
from juvenile_justice.lib.resident_id import InvalidResidentId, check_digit, parse_resident_id

EARLIEST_OFFENSE = date(1980, 1, 1)
"""The Criminal Law took effect on 1980-01-01; earlier offence dates are refused."""

ADULT_AGE = 18
"""R-GEN-1: a juvenile case is one where the suspect was under 18 at the offence."""
MIN_LIABILITY_AGE = 14
"""CL 17(1)-(2): criminal liability from 14 full years."""
MIN_SPP_APPROVAL_AGE = 12
"""CL 17(3) (Amendment XI): 12–13 liable for the gravest crimes with SPP approval (核准追诉)."""

SENTENCE_LABELS = {
    "fixed_term": "有期徒刑",
    "criminal_detention": "拘役",
    "public_surveillance": "管制",
    "fine_only": "单处罚金",
    "exemption": "免予刑事处罚",
    "life": "无期徒刑",
    "death": "死刑",
}
"""Chinese names of the sentence kinds (刑罚种类)."""

SENTENCE_MONTHS = {
    "fixed_term": (6, 300),  # CL 45: 6 months–15 years; CL 69: up to 25 years combined
    "criminal_detention": (1, 12),  # CL 42: 1–6 months; CL 69: up to 1 year combined
    "public_surveillance": (3, 36),  # CL 38: 3 months–2 years; CL 69: up to 3 years combined
}
"""Sentence kinds measured in months, with the lawful range (months)."""

WORKFLOW_ONLY_KINDS = frozenset({"conditional_non_prosecution", "non_prosecution_after_probation"})
"""Decision kinds made only by the conditional non-prosecution workflow (CPL 282, 284)."""


def check_charges(charges: list[tuple[str, str]], field: str = "charges") -> list[tuple[str, str, int]]:
    """Validate (name, article) pairs against the Criminal Law table; returns (name, article, chapter).

    Raises:
        ValidationFailed: with one error per bad charge, field ``charges.N``.
    """
    out: list[tuple[str, str, int]] = []
    errors: list[FieldError] = []
    for i, (name, article) in enumerate(charges):
        try:
            info = check_charge(name.strip(), article.strip())
        except UnknownCharge as exc:
            errors.append(FieldError(f"{field}.{i}", str(exc)))
            continue
        out.append((name.strip(), info.article, info.chapter))
    if errors:
        raise ValidationFailed(errors)
    return out


def check_case_dates(offense_date: date, received_on: date, today: date) -> None:
    """Offence ≤ receipt ≤ today, offence not before 1980.

    Raises:
        ValidationFailed: field ``offense_date`` or ``received_on``.
    """
    if offense_date < EARLIEST_OFFENSE:
        raise ValidationFailed.one(
            "offense_date",
            "不能早于1980年1月1日（刑法施行） / must be on or after 1980-01-01 (Criminal Law in force)",
        )
    if offense_date > today:
        raise ValidationFailed.one("offense_date", "不能晚于今天 / must not be in the future")
    if received_on < offense_date:
        raise ValidationFailed.one("received_on", "不能早于案发日期 / must not be before the offence date")
    if received_on > today:
        raise ValidationFailed.one("received_on", "不能晚于今天 / must not be in the future")


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What the system derives from a resident ID number and the offence date."""

    id_number: str
    birth_date: date
    age_at_offense: int | None
    minor_at_offense: bool


def person_facts(
    *,
    role: str,
    case_type: str,
    id_number: str,
    gender: str,
    offense_date: date,
    today: date,
    spp_approval_document: str | None,
) -> PersonFacts:
    """Check a person's ID number and derive birth date and age at the offence (周岁).

    Age follows R-GEN-2 (a person reaches N 周岁 the day after the Nth birthday); a juvenile is under
    18 at the offence (R-GEN-1). A suspect of a juvenile-suspect case under 12 is refused (CL 17); one
    aged 12–13 needs the SPP approval of prosecution document (R-GEN-1, CL 17(3)).

    Raises:
        ValidationFailed: field ``id_number``, ``gender`` or ``spp_approval_document``.
    """
    try:
        rid = parse_resident_id(id_number, today=today)
    except InvalidResidentId as exc:
        raise ValidationFailed.one("id_number", str(exc)) from None
    if rid.sex != gender:
        raise ValidationFailed.one(
            "gender", "与公民身份号码的性别位不一致 / does not agree with the ID number's sex digit"
        )
    if rid.birth_date > offense_date:
        if role in ("suspect", "victim"):
            raise ValidationFailed.one("id_number", "出生日期晚于案发日期 / the birth date is after the offence date")
        return PersonFacts(rid.number, rid.birth_date, None, False)
    age = age_in_full_years(rid.birth_date, offense_date)
    if role == "suspect" and case_type == "juvenile_suspect":
        if age < MIN_SPP_APPROVAL_AGE:
            raise ValidationFailed.one(
                "id_number",
                "行为时不满12周岁，不负刑事责任（刑法第17条） / under 12 at the offence: no criminal liability (CL 17)",
            )
        if age < MIN_LIABILITY_AGE and not (spp_approval_document or "").strip():
            raise ValidationFailed.one(
                "spp_approval_document",
                "行为时已满12周岁不满14周岁，须有最高人民检察院核准追诉文书（刑法第17条第3款） / "
                "age 12–13 at the offence requires the SPP approval of prosecution (R-GEN-1)",
            )
    return PersonFacts(rid.number, rid.birth_date, age, age < ADULT_AGE)


def check_decision(
    *,
    kind: str,
    decision_date: date,
    effective_date: date | None,
    sentence_kind: str | None,
    sentence_months: int | None,
    offense_date: date,
    person_role: str,
    today: date,
) -> None:
    """A decision's own consistency.

    Judgments carry a sentence kind; months only, and always, for fixed-term imprisonment (CL 45),
    criminal detention (CL 42) and public surveillance (CL 38), within their lawful ranges.

    Raises:
        ValidationFailed: naming the field.
    """
    if person_role != "suspect":
        raise ValidationFailed.one("person_id", "决定只能针对本案犯罪嫌疑人 / decisions concern a suspect of the case")
    if decision_date < offense_date:
        raise ValidationFailed.one("decision_date", "不能早于案发日期 / must not be before the offence date")
    if decision_date > today:
        raise ValidationFailed.one("decision_date", "不能晚于今天 / must not be in the future")
    if effective_date is not None and effective_date < decision_date:
        raise ValidationFailed.one("effective_date", "不能早于决定日期 / must not be before the decision date")
    if effective_date is not None and effective_date > today:
        raise ValidationFailed.one(
            "effective_date",
            "不能晚于今天：判决生效后再记录生效日期 / must not be in the future: record it once in effect",
        )
    if kind == "judgment":
        if sentence_kind is None:
            raise ValidationFailed.one("sentence_kind", "判决须写明刑罚种类 / a judgment needs its sentence kind")
    elif sentence_kind is not None or sentence_months is not None:
        raise ValidationFailed.one("sentence_kind", "只有判决才有刑罚 / only a judgment carries a sentence")
    if sentence_kind in SENTENCE_MONTHS:
        low, high = SENTENCE_MONTHS[sentence_kind]
        if sentence_months is None:
            raise ValidationFailed.one(
                "sentence_months",
                f"{SENTENCE_LABELS[sentence_kind]}须填写刑期（月） / required for {sentence_kind}",
            )
        if not low <= sentence_months <= high:
            raise ValidationFailed.one(
                "sentence_months",
                f"{SENTENCE_LABELS[sentence_kind]}刑期为{low}至{high}个月 / {sentence_kind}: {low} to {high} months",
            )
    elif sentence_months is not None:
        raise ValidationFailed.one("sentence_months", f"该刑罚不填刑期 / not applicable to {sentence_kind}")


_ID_LIKE = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
_DIGIT_RUN = re.compile(r"[0-9]{17,}[0-9X]?")
_CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
"""Hangul and braille blanks: letters or symbols that show as nothing."""
_PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)


def fold(text: str) -> str:
    """``text`` as it reads, for matching hidden ID numbers and names.

    NFKC (full-width forms become ASCII), every decimal digit of any script and the Chinese numerals
    〇一二…九 become ASCII digits, case is folded, and what does not show or separates (spaces, line
    breaks, controls, punctuation, symbols, combining marks, variation selectors, blank fillers) is
    removed: "３７０８\n1120-05…" and "司马 测试" match their plain forms.
    """
    out = []
    for ch in unicodedata.normalize("NFKC", text).casefold():
        category = unicodedata.category(ch)
        if category[0] in "ZPSMC" or ch in _FILLERS:
            continue
        if category == "Nd":
            ch = str(unicodedata.digit(ch))
        out.append(ch)
    return "".join(out).translate(_CHINESE_DIGITS)


def _plausible_id(number: str) -> bool:
    """An 18-character string that could be a resident ID: check digit, province code, real birth date."""
    if check_digit(number[:17]) != number[17] or number[:2] not in _PROVINCES:
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2100


def contains_resident_id(text: str) -> bool:
    """True when ``text`` contains a resident ID number: as written (valid check digit), or hidden in
    its :func:`fold` (full-width or other-script digits, Chinese numerals, split by spaces, dashes or
    line breaks, glued to letters or inside a longer run of digits, where a window also needs a real
    province code and birth date)."""
    if any(check_digit(m.group(0)[:17]) == m.group(0)[17].upper() for m in _ID_LIKE.finditer(text)):
        return True
    folded = fold(text).upper()
    return any(_plausible_id(run[i : i + 18]) for run in _DIGIT_RUN.findall(folded) for i in range(len(run) - 17))


def check_no_person_names(text: str, names: list[str], field: str) -> None:
    """Refuse free text that contains the full name of a person of the case (R-GEN-6, MPL 103).

    Free text is shown to everyone who reads the case; names there would bypass masking. Use the
    masked form (张某某). Names shorter than two characters are not checked. Spacing, punctuation and
    full-width forms do not hide a name (see :func:`fold`).

    Raises:
        ValidationFailed: naming ``field``; the message does not repeat the name.
    """
    folded = fold(text)
    if any(len(name) >= 2 and (name in text or (fold(name) and fold(name) in folded)) for name in names):
        raise ValidationFailed.one(
            field, "不得写入涉案人员姓名，请使用“张某某”形式 / must not contain the name of a person of the case"
        )


def clean_text(value: str, field: str) -> str:
    """Strip a free-text value; refuse control, invisible and bidi-control characters and ID numbers.

    Free text (titles, summaries, document numbers) is shown to everyone who reads the case, so a
    resident ID number there would bypass masking (R-GEN-6, MPL 103): it belongs in a person's record.

    Raises:
        ValidationFailed: empty, with control or format (Unicode Cf) characters, or with an ID number.
    """
    text = value.strip()
    if any(unicodedata.category(ch) == "Cf" for ch in text):
        raise ValidationFailed.one(
            field, "不能含不可见或方向控制字符 / must not contain invisible or bidi-control characters"
        )
    if contains_resident_id(text):
        raise ValidationFailed.one(
            field, "不得包含公民身份号码，请在人员信息中填写 / must not contain a resident ID number"
        )
    if not text:
        raise ValidationFailed.one(field, "必填 / must not be blank")
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text) or "\x7f" in text:
        raise ValidationFailed.one(field, "不能含控制字符 / must not contain control characters")
    return text
