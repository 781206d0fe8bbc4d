"""Deterministic generator of a synthetic year (2021) of Jining juvenile prosecution work.

The shape follows the figures Jining City published for 2021: 774 cases of crimes
against minors with 1,064 suspects, and juvenile-suspect cases in which 236
juveniles were not prosecuted (relative or conditional non-prosecution), 254 had
their records sealed, 773 had a social investigation and 691 a psychological
assessment or counselling.  Every person is invented.

Generation happens in two layers:

* :func:`generate` builds a :class:`CasePlan` per case.  The plan also records
  measures the importer does not support yet (conditional non-prosecution,
  record sealing, social investigation, psychological assessment/counselling);
* :func:`to_import_line` turns a plan into one JSON-Lines record restricted to
  what the current importer accepts.

Everything is driven by one ``random.Random(seed)``; no global random state and
no wall clock are used, so a seed always yields the same data.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from .units import COUNTIES, COURT_CODES, JURISDICTIONS, County, Jurisdiction

CaseType = Literal["juvenile_suspect", "juvenile_victim"]
Gender = Literal["male", "female"]
Role = Literal["suspect", "victim", "legal_representative"]
SentenceKind = Literal["fixed_term", "criminal_detention", "public_surveillance", "fine_only", "exemption"]
DecisionKind = Literal[
    "arrest_approved",
    "arrest_not_approved",
    "prosecuted",
    "non_prosecution_relative",
    "non_prosecution_absolute",
    "conditional_non_prosecution",
    "judgment",
    "acquittal",
]

YEAR = 2021
YEAR_START = date(YEAR, 1, 1)
YEAR_END = date(YEAR, 12, 31)

# Published 2021 figures for Jining City.
VICTIM_CASES = 774
VICTIM_CASE_SUSPECTS = 1064
NON_PROSECUTED_JUVENILES = 236  # relative + conditional non-prosecution (persons)
PLANNED_CNP = 140  # of the 236; the other 96 get relative non-prosecution
SEALED_JUVENILES = 254
SOCIAL_INVESTIGATIONS = 773
PSYCH_SERVICES = 691

# Decision kinds the importer accepts today; everything else stays in the plan.
EMITTED_DECISIONS: frozenset[str] = frozenset(
    {
        "arrest_approved",
        "arrest_not_approved",
        "prosecuted",
        "non_prosecution_relative",
        "non_prosecution_absolute",
        "judgment",
        "acquittal",
    }
)
MONTH_SENTENCES: frozenset[str] = frozenset({"fixed_term", "criminal_detention", "public_surveillance"})
_DOC_SERIES: dict[str, str] = {
    "arrest_approved": "批捕",
    "arrest_not_approved": "不捕",
    "prosecuted": "刑诉",
    "non_prosecution_relative": "刑不诉",
    "non_prosecution_absolute": "刑不诉",
    "conditional_non_prosecution": "附条件不诉",
    "judgment": "刑初",
    "acquittal": "刑初",
}
_SENTENCE_KINDS: tuple[SentenceKind, ...] = (
    "fixed_term",
    "criminal_detention",
    "public_surveillance",
    "fine_only",
    "exemption",
)


# --------------------------------------------------------------------------- charges


@dataclass(frozen=True, slots=True)
class Charge:
    """A charge with the shape of its cases: weights, ages, outcomes, sentences."""

    name: str
    article: str
    weight: float
    fixed_term: tuple[int, int]  # months, for fixed-term sentences
    sentences: tuple[float, float, float, float, float]  # weights in _SENTENCE_KINDS order
    min_age: int = 16  # juvenile suspects: 14-15 year olds answer only for grave crimes
    lenient: bool = False  # non-prosecution is realistic
    victim_ages: tuple[int, int] | None = None
    sexual: bool = False
    since: date | None = None  # offence created by 刑法修正案(十一), in force 2021-03-01
    group: float = 1.0  # propensity for co-offenders
    city_level: bool = False  # handled by the city procuratorate / intermediate court

    @property
    def short(self) -> str:
        return self.name.removesuffix("罪")


_FT = (1.0, 0.0, 0.0, 0.0, 0.0)
JUVENILE_CHARGES: tuple[Charge, ...] = (
    Charge("盗窃罪", "264", 22, (6, 36), (0.40, 0.25, 0.10, 0.20, 0.05), lenient=True, group=1.3),
    Charge("聚众斗殴罪", "292", 14, (8, 36), (0.60, 0.25, 0.10, 0.0, 0.05), lenient=True, group=4.0),
    Charge("寻衅滋事罪", "293", 13, (6, 30), (0.55, 0.30, 0.10, 0.0, 0.05), lenient=True, group=3.0),
    Charge("抢劫罪", "263", 10, (12, 72), _FT, min_age=14, victim_ages=(12, 45), group=2.0),
    Charge("帮助信息网络犯罪活动罪", "287-2", 10, (6, 18), (0.50, 0.30, 0.05, 0.10, 0.05), lenient=True),
    Charge(
        "故意伤害罪",
        "234",
        9,
        (6, 36),
        (0.60, 0.30, 0.05, 0.0, 0.05),
        min_age=14,
        lenient=True,
        victim_ages=(12, 45),
        group=1.5,
    ),
    Charge("强奸罪", "236", 8, (24, 84), _FT, min_age=14, victim_ages=(12, 17), sexual=True),
    Charge("诈骗罪", "266", 6, (6, 36), (0.50, 0.20, 0.10, 0.15, 0.05), lenient=True),
    Charge(
        "敲诈勒索罪",
        "274",
        4,
        (6, 24),
        (0.50, 0.30, 0.10, 0.05, 0.05),
        lenient=True,
        victim_ages=(12, 45),
        group=1.5,
    ),
    Charge("抢夺罪", "267", 2, (6, 24), (0.50, 0.30, 0.10, 0.05, 0.05), lenient=True, victim_ages=(14, 45)),
)

VICTIM_CHARGES: tuple[Charge, ...] = (
    Charge("强奸罪", "236", 30, (36, 150), _FT, victim_ages=(6, 17), sexual=True),
    Charge("猥亵儿童罪", "237", 24, (12, 84), _FT, victim_ages=(3, 13), sexual=True),
    Charge("强制猥亵、侮辱罪", "237", 6, (8, 60), (0.9, 0.1, 0.0, 0.0, 0.0), victim_ages=(14, 17), sexual=True),
    Charge("故意伤害罪", "234", 9, (6, 60), (0.70, 0.20, 0.05, 0.0, 0.05), lenient=True, victim_ages=(3, 17)),
    Charge("抢劫罪", "263", 5, (36, 120), _FT, victim_ages=(8, 17), group=1.5),
    Charge(
        "负有照护职责人员性侵罪",
        "236-1",
        4,
        (12, 72),
        _FT,
        victim_ages=(14, 15),
        sexual=True,
        since=date(2021, 3, 1),
    ),
    Charge(
        "寻衅滋事罪",
        "293",
        4,
        (6, 36),
        (0.7, 0.2, 0.1, 0.0, 0.0),
        lenient=True,
        victim_ages=(10, 17),
        group=2.0,
    ),
    Charge("虐待罪", "260", 3, (3, 24), (0.4, 0.3, 0.3, 0.0, 0.0), lenient=True, victim_ages=(3, 13)),
    Charge("敲诈勒索罪", "274", 3, (6, 36), (0.7, 0.2, 0.1, 0.0, 0.0), lenient=True, victim_ages=(10, 17)),
    Charge("拐骗儿童罪", "262", 2, (6, 60), (0.9, 0.1, 0.0, 0.0, 0.0), victim_ages=(3, 13)),
    Charge(
        "组织未成年人进行违反治安管理活动罪",
        "262-2",
        2,
        (6, 36),
        (0.8, 0.2, 0.0, 0.0, 0.0),
        victim_ages=(12, 17),
        group=1.5,
    ),
    Charge("非法拘禁罪", "238", 2, (6, 36), (0.8, 0.2, 0.0, 0.0, 0.0), lenient=True, victim_ages=(8, 17)),
    Charge("引诱幼女卖淫罪", "359", 1, (60, 120), _FT, victim_ages=(11, 13), sexual=True, city_level=True),
    Charge("故意杀人罪", "232", 1, (120, 180), _FT, victim_ages=(3, 17), city_level=True),
)


# --------------------------------------------------------------------------- plans


@dataclass(slots=True)
class DecisionPlan:
    """A decision on one person; ``document_number`` is filled in once all are known."""

    kind: DecisionKind
    decision_date: date
    issuer: str  # procuratorate or court issuing the document
    effective_date: date | None = None
    sentence_kind: SentenceKind | None = None
    sentence_months: int | None = None
    document_number: str = ""


@dataclass(slots=True)
class PersonPlan:
    ref: str
    role: Role
    surname: str
    name: str
    gender: Gender
    birth_date: date
    id_number: str
    address: str
    phone: str | None = None
    represents: str | None = None  # ref of the minor a legal representative acts for
    decisions: list[DecisionPlan] = field(default_factory=list)
    # Planned measures the importer does not know yet (not emitted).
    social_investigation_on: date | None = None
    psych_service_on: date | None = None
    sealed_on: date | None = None
    cnp_probation_months: int | None = None

    @property
    def masked_name(self) -> str:
        return self.surname + "某某"

    def decision(self, *kinds: str) -> DecisionPlan | None:
        return next((d for d in self.decisions if d.kind in kinds), None)


@dataclass(slots=True)
class CasePlan:
    external_id: str
    unit: str
    court: str
    case_type: CaseType
    charge: Charge
    offense_date: date
    received_on: date
    arrest_review_on: date | None  # None: suspects were not submitted for arrest review
    arrest_decision_on: date | None
    prosecution_review_on: date | None  # None: not yet transferred by 2021-12-31
    review_decision_on: date | None
    judgment_on: date | None
    judgment_effective_on: date | None
    persons: list[PersonPlan] = field(default_factory=list)

    @property
    def suspects(self) -> list[PersonPlan]:
        return [p for p in self.persons if p.role == "suspect"]

    def juvenile_suspects(self) -> list[PersonPlan]:
        return [p for p in self.suspects if age_on(p.birth_date, self.offense_date) < 18]


# --------------------------------------------------------------------------- people

_SURNAME_GROUPS: tuple[tuple[int, tuple[str, ...]], ...] = (  # (weight, surnames)
    (60, tuple("王李张刘")),
    (30, tuple("陈杨赵孙孔孟")),
    (18, tuple("黄周吴徐马朱胡郭何高")),
    (9, tuple("林罗郑梁谢宋唐许韩冯邓曹彭曾颜田董袁潘于蒋蔡杜程魏吕丁任姚卢姜崔秦")),
    (4, tuple("沈钟谭陆汪范金石贾夏付方白邹熊邱江尹薛闫段侯史郝邵武申")),
    (1, ("欧阳", "司马", "诸葛", "上官", "东方")),  # compound surnames
)
SURNAMES: tuple[tuple[str, int], ...] = tuple((s, w) for w, group in _SURNAME_GROUPS for s in group)
_SURNAME_LIST = [s for s, _ in SURNAMES]
_SURNAME_WEIGHTS = [w for _, w in SURNAMES]
GIVEN_CHARS: dict[tuple[Gender, bool], str] = {  # (gender, born before 1980)
    ("male", False): "浩宇轩睿泽昊航然子一嘉天成博文凯晨阳鹏飞俊杰涛明超磊洋鑫硕",
    ("female", False): "欣怡悦萱涵晴雨梦佳思诗雅可馨彤琪月蕾婷雪慧颖琳静娜敏",
    ("male", True): "建国军伟强勇刚峰斌东海平志明华林庆忠德福春永新立",
    ("female", True): "秀英兰桂芳玉梅凤霞红艳丽华敏琴云萍娟荣翠淑",
}
_PHONE_PREFIXES = (
    "30",
    "31",
    "32",
    "33",
    "35",
    "36",
    "37",
    "38",
    "39",
    "50",
    "51",
    "52",
    "53",
    "55",
    "56",
    "57",
    "58",
    "59",
    "66",
    "73",
    "75",
    "76",
    "77",
    "78",
    "80",
    "81",
    "82",
    "83",
    "85",
    "86",
    "87",
    "88",
    "89",
    "91",
    "98",
    "99",
)
_COMMUNITIES = (
    "幸福",
    "和平",
    "锦绣",
    "阳光",
    "翠苑",
    "明珠",
    "金色",
    "盛世",
    "康居",
    "书香",
    "银河",
    "如意",
)
_VILLAGE_SUFFIXES = ("庄", "楼", "集", "屯", "营", "店", "家洼", "家堂")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def age_on(birth: date, on: date) -> int:
    """Full years of age (周岁) on ``on``: N is reached the day *after* the Nth birthday."""
    years = on.year - birth.year
    if (on.month, on.day) <= (birth.month, birth.day):
        years -= 1
    return years


def id_check_digit(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character of an 18-digit resident ID number."""
    total = sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


class _People:
    """Creates synthetic people; owns the RNG and the set of issued ID numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used_ids: set[str] = set()
        self._all_codes = [c for county in COUNTIES.values() for c in county.codes]

    def surname(self) -> str:
        return self.rng.choices(_SURNAME_LIST, _SURNAME_WEIGHTS)[0]

    def given_name(self, gender: Gender, birth_year: int) -> str:
        chars = GIVEN_CHARS[(gender, birth_year < 1980)]
        return "".join(self.rng.choice(chars) for _ in range(self.rng.choice((1, 2, 2))))

    def birth_for_age(self, age: int, on: date) -> date:
        lo, hi = on - timedelta(days=366 * (age + 1)), on - timedelta(days=365 * age)
        while True:
            birth = lo + timedelta(days=self.rng.randint(0, (hi - lo).days))
            if age_on(birth, on) == age:
                return birth

    def id_number(self, county: County, birth: date, gender: Gender) -> str:
        codes = [c for c in county.codes if c.valid_for(birth.year)]
        if not codes:  # e.g. 梁山 before 1989: registered elsewhere in Jining
            codes = [c for c in self._all_codes if c.valid_for(birth.year)]
        code = self.rng.choice(codes).code
        while True:
            seq = self.rng.randrange(1 if gender == "male" else 2, 1000, 2)  # odd = male
            body = f"{code}{birth:%Y%m%d}{seq:03d}"
            number = body + id_check_digit(body)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def phone(self) -> str:
        return "1" + self.rng.choice(_PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def address(self, county: County) -> str:
        rng = self.rng
        town = rng.choice(county.towns)
        if town.endswith("街道"):
            place = (
                f"{rng.choice(_COMMUNITIES)}小区{rng.randint(1, 30)}号楼{rng.randint(1, 4)}单元"
                f"{rng.randint(1, 18)}0{rng.randint(1, 4)}室"
            )
        else:
            place = f"{self.surname()[0]}{rng.choice(_VILLAGE_SUFFIXES)}村{rng.randint(1, 320)}号"
        return f"山东省济宁市{county.name}{town}{place}"

    def person(
        self,
        ref: str,
        role: Role,
        *,
        age: int,
        on: date,
        gender: Gender,
        county: County,
        surname: str | None = None,
        address: str | None = None,
    ) -> PersonPlan:
        birth = self.birth_for_age(age, on)
        surname = surname or self.surname()
        return PersonPlan(
            ref=ref,
            role=role,
            surname=surname,
            name=surname + self.given_name(gender, birth.year),
            gender=gender,
            birth_date=birth,
            id_number=self.id_number(county, birth, gender),
            address=address or self.address(county),
            phone=self.phone() if age >= 14 and self.rng.random() < 0.85 else None,
        )

    def with_guardian(self, persons: list[PersonPlan], minor: PersonPlan, age: int, on: date, county: County) -> None:
        """Append ``minor`` and a parent acting as legal representative (30-60 years old)."""
        father = self.rng.random() < 0.65
        parent = self.person(
            f"p{len(persons) + 2}",
            "legal_representative",
            age=min(60, max(30, age + self.rng.randint(22, 38))),
            on=on,
            gender="male" if father else "female",
            county=county,
            surname=minor.surname if father else None,
            address=minor.address,
        )
        parent.represents = minor.ref
        if parent.phone is None:
            parent.phone = self.phone()
        persons += [minor, parent]


# --------------------------------------------------------------------------- generation


def _split(rng: random.Random, total: int, weights: Sequence[float], cap: int = 4) -> list[int]:
    """Distribute ``total`` people over cases: one each, the rest weighted, at most ``cap``."""
    counts = [1] * len(weights)
    open_cases = list(range(len(weights)))
    for _ in range(total - len(weights)):
        i = rng.choices(open_cases, [weights[j] for j in open_cases])[0]
        counts[i] += 1
        if counts[i] == cap:
            open_cases.remove(i)
    return counts


def _after(day: date | None, lo: int, hi: int, rng: random.Random) -> date | None:
    """A date ``lo``..``hi`` days after ``day``, or None when it falls after 2021."""
    if day is None:
        return None
    nxt = day + timedelta(days=rng.randint(lo, hi))
    return nxt if nxt <= YEAR_END else None


def _new_case(rng: random.Random, case_type: CaseType, charge: Charge, jur: Jurisdiction) -> CasePlan:
    earliest = YEAR_START + timedelta(days=14) if charge.since is None else charge.since + timedelta(days=14)
    received = earliest + timedelta(days=rng.randint(0, (date(YEAR, 12, 20) - earliest).days))
    offense = received - timedelta(days=rng.randint(2, 150))
    if charge.since is not None and offense < charge.since:
        offense = charge.since + timedelta(days=rng.randint(0, (received - charge.since).days - 2))
    detained = rng.random() < (0.45 if case_type == "juvenile_suspect" else 0.8)
    arrest_decision = received + timedelta(days=rng.randint(3, 7)) if detained else None
    review = _after(arrest_decision, 25, 75, rng) if detained else received
    decided = _after(review, 10, 45, rng)
    if decided is not None and rng.random() < 0.2:  # returned for supplementary investigation
        decided = _after(decided, 30, 60, rng)
    judged = _after(decided, 20, 70, rng)
    effective = _after(judged, 11, 20, rng)
    if effective is None:  # a judgment not yet in force by year end is left out
        judged = None
    return CasePlan(
        external_id="",
        unit=jur.procuratorate,
        court=jur.court,
        case_type=case_type,
        charge=charge,
        offense_date=offense,
        received_on=received,
        arrest_review_on=received if detained else None,
        arrest_decision_on=arrest_decision,
        prosecution_review_on=review,
        review_decision_on=decided,
        judgment_on=judged,
        judgment_effective_on=effective,
    )


_JUR_WEIGHTS = [j.weight for j in JURISDICTIONS]


def _skeletons(rng: random.Random, case_type: CaseType, n: int) -> list[CasePlan]:
    charges = JUVENILE_CHARGES if case_type == "juvenile_suspect" else VICTIM_CHARGES
    plans = []
    for _ in range(n):
        charge = rng.choices(charges, [c.weight for c in charges])[0]
        jur = JURISDICTIONS[0] if charge.city_level else rng.choices(JURISDICTIONS, _JUR_WEIGHTS)[0]
        plans.append(_new_case(rng, case_type, charge, jur))
    return plans


def _home(rng: random.Random, jur_unit: str) -> County:
    jur = next(j for j in JURISDICTIONS if j.procuratorate == jur_unit)
    names = jur.counties if rng.random() < 0.9 else tuple(COUNTIES)
    return COUNTIES[rng.choice(names)]


def _populate(people: _People, plan: CasePlan, n_suspects: int) -> None:
    rng, charge, on = people.rng, plan.charge, plan.offense_date
    persons: list[PersonPlan] = []
    for _ in range(n_suspects):
        county = _home(rng, plan.unit)
        male = charge.sexual or rng.random() < (0.5 if charge.article == "260" else 0.88)
        gender: Gender = "male" if male else "female"
        ref = f"p{len(persons) + 1}"
        if plan.case_type == "juvenile_suspect" or rng.random() < 0.03:
            grave = charge.min_age == 14 and plan.case_type == "juvenile_suspect"
            ages = (14, 15, 16, 17) if grave else (16, 17)
            age = rng.choices(ages, (0.08, 0.14, 0.33, 0.45)[-len(ages) :])[0]
            minor = people.person(ref, "suspect", age=age, on=on, gender=gender, county=county)
            people.with_guardian(persons, minor, age, on, county)
        else:
            age = min(65, int(rng.triangular(18, 66, 30)))
            persons.append(people.person(ref, "suspect", age=age, on=on, gender=gender, county=county))
    n_victims = 0
    if plan.case_type == "juvenile_victim":
        n_victims = rng.choices((1, 2, 3), (0.8, 0.15, 0.05))[0]
    elif charge.victim_ages is not None:
        n_victims = 1
    for _ in range(n_victims):
        assert charge.victim_ages is not None
        age = rng.randint(*charge.victim_ages)
        female = rng.random() < (0.9 if charge.sexual else 0.4)
        county = _home(rng, plan.unit)
        victim = people.person(
            f"p{len(persons) + 1}",
            "victim",
            age=age,
            on=on,
            gender="female" if female else "male",
            county=county,
        )
        if age < 18:
            people.with_guardian(persons, victim, age, on, county)
        else:
            persons.append(victim)
    plan.persons = persons


def _sentence(rng: random.Random, charge: Charge, mitigate: bool) -> tuple[SentenceKind, int | None]:
    kind = rng.choices(_SENTENCE_KINDS, charge.sentences)[0]
    lo, hi = max(6, charge.fixed_term[0]), charge.fixed_term[1]  # CL 45: at least 6 months
    if mitigate:  # juveniles are punished more leniently (刑法第十七条)
        lo, hi = max(6, lo * 6 // 10), max(12, hi * 6 // 10)
    months = {"fixed_term": (lo, hi), "criminal_detention": (1, 6), "public_surveillance": (3, 24)}.get(kind)
    return kind, (rng.randint(*months) if months else None)


_NON_PROSECUTION = ("conditional_non_prosecution", "non_prosecution_relative", "non_prosecution_absolute")


def _decide(rng: random.Random, plans: list[CasePlan]) -> None:
    """Arrest decisions, prosecution decisions, judgments and planned juvenile measures."""
    juveniles: list[tuple[CasePlan, PersonPlan]] = []
    for plan in plans:
        for p in plan.suspects:
            juvenile = age_on(p.birth_date, plan.offense_date) < 18
            if juvenile:
                juveniles.append((plan, p))
            if plan.arrest_decision_on is not None:
                approved = rng.random() < (0.5 if juvenile else 0.85)
                kind: DecisionKind = "arrest_approved" if approved else "arrest_not_approved"
                p.decisions.append(DecisionPlan(kind, plan.arrest_decision_on, plan.unit))

    def decided(plan: CasePlan, p: PersonPlan) -> bool:
        return plan.review_decision_on is not None and p.decision("arrest_approved") is None

    np_pool = [(c, p) for c, p in juveniles if c.case_type == "juvenile_suspect" and c.charge.lenient and decided(c, p)]
    if len(np_pool) < NON_PROSECUTED_JUVENILES:
        raise RuntimeError(f"only {len(np_pool)} juveniles eligible for non-prosecution")
    chosen = rng.sample(np_pool, NON_PROSECUTED_JUVENILES)
    for i, (plan, p) in enumerate(chosen):
        assert plan.review_decision_on is not None
        kind = "conditional_non_prosecution" if i < PLANNED_CNP else "non_prosecution_relative"
        p.decisions.append(DecisionPlan(kind, plan.review_decision_on, plan.unit))
        if i < PLANNED_CNP:
            p.cnp_probation_months = rng.randint(6, 12)
    for plan in plans:
        for p in plan.suspects:
            if plan.review_decision_on is None or p.decision(*_NON_PROSECUTION):
                continue
            adult = age_on(p.birth_date, plan.offense_date) >= 18
            r = rng.random()
            kind = "prosecuted"
            if r < 0.008:
                kind = "non_prosecution_absolute"
            elif r < 0.035 and adult and plan.charge.lenient and decided(plan, p):
                kind = "non_prosecution_relative"
            p.decisions.append(DecisionPlan(kind, plan.review_decision_on, plan.unit))
            if kind == "prosecuted" and plan.judgment_on is not None:
                _judge(rng, plan, p)
    _plan_measures(rng, juveniles, {id(p) for _, p in chosen})


def _judge(rng: random.Random, plan: CasePlan, p: PersonPlan) -> None:
    assert plan.judgment_on is not None
    juvenile = age_on(p.birth_date, plan.offense_date) < 18
    if not juvenile and rng.random() < 0.003:
        p.decisions.append(DecisionPlan("acquittal", plan.judgment_on, plan.court, plan.judgment_effective_on))
        return
    kind, months = _sentence(rng, plan.charge, juvenile and plan.case_type == "juvenile_victim")
    p.decisions.append(DecisionPlan("judgment", plan.judgment_on, plan.court, plan.judgment_effective_on, kind, months))


def _plan_measures(rng: random.Random, juveniles: list[tuple[CasePlan, PersonPlan]], non_prosecuted: set[int]) -> None:
    """Sealing, social investigations and psychological services for juvenile suspects."""

    def sealable(p: PersonPlan) -> bool:
        j = p.decision("judgment")
        return (
            j is not None
            and j.effective_date is not None
            and (j.sentence_kind != "fixed_term" or (j.sentence_months or 0) <= 60)
        )

    pools = {
        "sealing": [(c, p) for c, p in juveniles if sealable(p)],
        "si": [(c, p) for c, p in juveniles if id(p) not in non_prosecuted],
        "psych": juveniles,
    }
    wanted = {
        "sealing": SEALED_JUVENILES,
        "si": SOCIAL_INVESTIGATIONS - len(non_prosecuted),
        "psych": PSYCH_SERVICES,
    }
    for key, pool in pools.items():
        if len(pool) < wanted[key]:
            raise RuntimeError(f"only {len(pool)} juveniles eligible for {key}")
    for _, p in rng.sample(pools["sealing"], wanted["sealing"]):
        j = p.decision("judgment")
        assert j is not None and j.effective_date is not None
        p.sealed_on = min(YEAR_END, j.effective_date + timedelta(days=rng.randint(0, 10)))
    si = [(c, p) for c, p in juveniles if id(p) in non_prosecuted] + rng.sample(pools["si"], wanted["si"])
    for plan, p in si:
        p.social_investigation_on = _measure_date(rng, plan)
    for plan, p in rng.sample(pools["psych"], wanted["psych"]):
        p.psych_service_on = _measure_date(rng, plan)


def _measure_date(rng: random.Random, plan: CasePlan) -> date:
    latest = plan.review_decision_on or YEAR_END
    return min(latest, plan.received_on + timedelta(days=rng.randint(3, 30)))


def _number_documents(rng: random.Random, plans: list[CasePlan]) -> None:
    """Number documents per issuing unit and series in date order (courts with gaps)."""
    prefixes = {j.procuratorate: j.doc_prefix for j in JURISDICTIONS}
    series: dict[tuple[str, str], list[DecisionPlan]] = {}
    for plan in plans:
        for p in plan.suspects:
            for d in p.decisions:
                series.setdefault((d.issuer, _DOC_SERIES[d.kind]), []).append(d)
    for (issuer, name), decisions in series.items():
        n = 0
        for d in sorted(decisions, key=lambda d: d.decision_date):  # stable: case order breaks ties
            if issuer in COURT_CODES:
                n += rng.randint(1, 6)  # the court also tries adult cases
                d.document_number = f"({YEAR}){COURT_CODES[issuer]}{name}{n}号"
            else:
                n += 1
                d.document_number = f"{prefixes[issuer]}{name}〔{YEAR}〕{n}号"


def generate(seed: int = 2021) -> list[CasePlan]:
    """Plan a synthetic 2021 of Jining juvenile work; same seed, same plans."""
    rng = random.Random(seed)
    people = _People(rng)
    victim = _skeletons(rng, "juvenile_victim", VICTIM_CASES)
    juvenile = _skeletons(rng, "juvenile_suspect", rng.randint(630, 670))
    plans = victim + juvenile
    counts = _split(rng, VICTIM_CASE_SUSPECTS, [c.charge.group for c in victim]) + _split(
        rng, rng.randint(920, 970), [c.charge.group for c in juvenile]
    )
    for plan, n in zip(plans, counts, strict=True):
        _populate(people, plan, n)
    plans.sort(key=lambda c: (c.received_on, c.offense_date))  # stable sort: deterministic
    for i, plan in enumerate(plans, 1):
        plan.external_id = f"jn{YEAR}-{i:06d}"
    _decide(rng, plans)
    _number_documents(rng, plans)
    return plans


# --------------------------------------------------------------------------- output


def to_import_line(plan: CasePlan) -> dict[str, Any]:
    """The importer's view of a plan: only fields and decisions it supports today."""
    suspects = plan.suspects
    title = f"{suspects[0].masked_name}{'等' if len(suspects) > 1 else ''}{plan.charge.short}案"
    stage = "提请批准逮捕" if plan.arrest_review_on else "移送审查起诉"
    steps = [
        {
            "kind": "受理",
            "occurred_on": plan.received_on.isoformat(),
            "summary": f"受理公安机关{stage}的{title}",
        }
    ]
    if plan.arrest_review_on is not None:
        steps.append(
            {
                "kind": "审查逮捕",
                "occurred_on": plan.arrest_review_on.isoformat(),
                "summary": f"对犯罪嫌疑人{len(suspects)}人审查逮捕，讯问犯罪嫌疑人并听取辩护律师意见",
            }
        )
    if plan.prosecution_review_on is not None:
        steps.append(
            {
                "kind": "审查起诉",
                "occurred_on": plan.prosecution_review_on.isoformat(),
                "summary": "受理移送审查起诉，告知诉讼权利并通知法定代理人到场",
            }
        )
    decisions = [_decision_dict(p.ref, d) for p in suspects for d in p.decisions if d.kind in EMITTED_DECISIONS]
    decisions.sort(key=lambda d: d["decision_date"])
    return {
        "external_id": plan.external_id,
        "unit": plan.unit,
        "case_type": plan.case_type,
        "title": title,
        "offense_date": plan.offense_date.isoformat(),
        "received_on": plan.received_on.isoformat(),
        "charges": [{"name": plan.charge.name, "article": plan.charge.article}],
        "persons": [_person_dict(p) for p in plan.persons],
        "steps": steps,
        "decisions": decisions,
    }


def _person_dict(p: PersonPlan) -> dict[str, str]:
    out = {"ref": p.ref, "role": p.role, "name": p.name, "id_number": p.id_number, "gender": p.gender}
    if p.phone is not None:
        out["phone"] = p.phone
    out["address"] = p.address
    return out


def _decision_dict(ref: str, d: DecisionPlan) -> dict[str, Any]:
    out: dict[str, Any] = {"person_ref": ref, "kind": d.kind, "decision_date": d.decision_date.isoformat()}
    if d.effective_date is not None:
        out["effective_date"] = d.effective_date.isoformat()
    out["document_number"] = d.document_number
    if d.kind == "judgment":
        out["sentence_kind"] = d.sentence_kind
        if d.sentence_kind in MONTH_SENTENCES:
            out["sentence_months"] = d.sentence_months
    return out


def import_lines(seed: int = 2021) -> Iterator[dict[str, Any]]:
    """One importer record per planned case, in ``external_id`` order."""
    for plan in generate(seed):
        yield to_import_line(plan)


def write_jsonl(path: str | Path, seed: int = 2021) -> int:
    """Write the demo year as UTF-8 JSON Lines; returns the number of lines."""
    n = 0
    with Path(path).open("w", encoding="utf-8", newline="\n") as fh:
        for line in import_lines(seed):
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
            n += 1
    return n


def plan_summary(plans: Sequence[CasePlan]) -> dict[str, int]:
    """Counts over the plans, including measures that are planned but not emitted."""
    c: Counter[str] = Counter()
    for plan in plans:
        c[f"cases_{plan.case_type}"] += 1
        for p in plan.persons:
            c[f"persons_{p.role}"] += 1
        for p in plan.suspects:
            c[f"suspects_{plan.case_type}"] += 1
            c.update(f"decisions_{d.kind}" for d in p.decisions)
            if age_on(p.birth_date, plan.offense_date) >= 18:
                continue
            c["juvenile_suspects"] += 1
            if p.decision("conditional_non_prosecution", "non_prosecution_relative"):
                c["planned_juvenile_non_prosecution"] += 1
            if p.decision("conditional_non_prosecution"):
                c["planned_conditional_non_prosecution"] += 1
            if p.decision("non_prosecution_relative"):
                c["juvenile_relative_non_prosecution"] += 1
            c["planned_sealing"] += p.sealed_on is not None
            c["planned_social_investigation"] += p.social_investigation_on is not None
            c["planned_psych_service"] += p.psych_service_on is not None
    return dict(sorted(c.items()))
