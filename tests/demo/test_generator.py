"""Tests for the synthetic Jining 2021 demo-data generator."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from juvenile_justice.domain.demo import generator as gen
from juvenile_justice.domain.demo.units import COUNTIES, COURT_CODES, JURISDICTIONS, UNIT_NAMES, UNITS
from juvenile_justice.domain.demo.users import DEMO_USERS

SRC = Path(__file__).resolve().parents[2] / "src"
ALLOWED_DECISIONS = {
    "arrest_approved",
    "arrest_not_approved",
    "prosecuted",
    "non_prosecution_relative",
    "non_prosecution_absolute",
    "judgment",
    "acquittal",
}
SENTENCES = {"fixed_term", "criminal_detention", "public_surveillance", "fine_only", "exemption"}
NON_PROSECUTION = ("conditional_non_prosecution", "non_prosecution_relative")


@pytest.fixture(scope="module")
def timed() -> tuple[list[gen.CasePlan], float]:
    start = time.perf_counter()
    plans = gen.generate(2021)
    return plans, time.perf_counter() - start


@pytest.fixture(scope="module")
def plans(timed: tuple[list[gen.CasePlan], float]) -> list[gen.CasePlan]:
    return timed[0]


@pytest.fixture(scope="module")
def lines(plans: list[gen.CasePlan]) -> list[dict[str, Any]]:
    return [gen.to_import_line(p) for p in plans]


def _digest(lines: list[dict[str, Any]]) -> str:
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    return hashlib.sha256(text.encode()).hexdigest()


def _d(value: str) -> date:
    return date.fromisoformat(value)


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_data_other_seed_differs(lines: list[dict[str, Any]]) -> None:
    assert list(gen.import_lines(2021)) == lines
    assert list(gen.import_lines(7)) != lines


def test_deterministic_across_processes_and_hash_seeds(lines: list[dict[str, Any]]) -> None:
    code = (
        "import hashlib, json; from juvenile_justice.domain.demo.generator import import_lines; "
        "print(hashlib.sha256('\\n'.join(json.dumps(x, ensure_ascii=False) "
        "for x in import_lines(2021)).encode()).hexdigest())"
    )
    for hash_seed in ("0", "12345"):
        env = {
            **os.environ,
            "PYTHONPATH": str(SRC),
            "PYTHONHASHSEED": hash_seed,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == _digest(lines)


def test_no_global_random_state(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*_: object, **__: object) -> None:
        raise AssertionError("global random used")

    state = random.getstate()
    for name in (
        "random",
        "randint",
        "randrange",
        "choice",
        "choices",
        "sample",
        "shuffle",
        "uniform",
        "triangular",
        "seed",
        "getrandbits",
    ):
        monkeypatch.setattr(random, name, forbidden)
    gen.generate(3)
    assert random.getstate() == state


def test_no_wall_clock() -> None:
    source = inspect.getsource(gen)
    for needle in ("today(", "now(", "time.time", "perf_counter", "import time", "utcnow"):
        assert needle not in source


def test_generation_is_fast(timed: tuple[list[gen.CasePlan], float]) -> None:
    assert timed[1] < 3.0


# --------------------------------------------------------------------------- published figures


@pytest.mark.parametrize("seed", [2021, 1, 99])
def test_exact_published_counts(seed: int, plans: list[gen.CasePlan]) -> None:
    s = gen.plan_summary(plans if seed == 2021 else gen.generate(seed))
    assert s["cases_juvenile_victim"] == 774
    assert s["suspects_juvenile_victim"] == 1064
    assert s["planned_juvenile_non_prosecution"] == 236
    assert s["planned_conditional_non_prosecution"] == 140
    assert s["juvenile_relative_non_prosecution"] == 96
    assert s["planned_sealing"] == 254
    assert s["planned_social_investigation"] == 773
    assert s["planned_psych_service"] == 691
    assert 600 <= s["cases_juvenile_suspect"] <= 700
    assert 900 <= s["suspects_juvenile_suspect"] <= 1000
    assert 1 <= s["decisions_non_prosecution_absolute"] <= 25
    approved, refused = s["decisions_arrest_approved"], s["decisions_arrest_not_approved"]
    assert approved > 0 and refused > 0


def test_juvenile_arrest_review_roughly_even(plans: list[gen.CasePlan]) -> None:
    kinds = Counter(
        d.kind
        for c in plans
        if c.case_type == "juvenile_suspect"
        for p in c.suspects
        for d in p.decisions
        if d.kind.startswith("arrest")
    )
    share = kinds["arrest_approved"] / (kinds["arrest_approved"] + kinds["arrest_not_approved"])
    assert 0.4 < share < 0.6


def test_victim_cases_mostly_adult_suspects(plans: list[gen.CasePlan]) -> None:
    ages = [
        gen.age_on(p.birth_date, c.offense_date) for c in plans if c.case_type == "juvenile_victim" for p in c.suspects
    ]
    assert sum(a >= 18 for a in ages) / len(ages) > 0.9


def test_co_offender_cases(plans: list[gen.CasePlan]) -> None:
    sizes = Counter(len(c.suspects) for c in plans if c.case_type == "juvenile_suspect")
    assert set(sizes) == {1, 2, 3, 4}
    assert sizes[1] > sizes[2] > sizes[3]


def test_charge_mix(plans: list[gen.CasePlan]) -> None:
    juvenile = Counter(c.charge.article for c in plans if c.case_type == "juvenile_suspect")
    assert juvenile.most_common(1)[0][0] == "264"
    assert set(juvenile) == {c.article for c in gen.JUVENILE_CHARGES}
    victim = {(c.charge.name, c.charge.article) for c in plans if c.case_type == "juvenile_victim"}
    assert {("猥亵儿童罪", "237"), ("负有照护职责人员性侵罪", "236-1"), ("强奸罪", "236")} <= victim
    for c in plans:
        if c.charge.since is not None:
            assert c.offense_date >= c.charge.since


# --------------------------------------------------------------------------- people


def test_resident_ids_valid_unique_and_consistent(plans: list[gen.CasePlan]) -> None:
    seen: set[str] = set()
    for c in plans:
        for p in c.persons:
            number = ric.validate(p.id_number)
            assert number == p.id_number and number not in seen
            seen.add(number)
            assert number[:4] in {"3708", "3727"}
            assert (int(number[16]) % 2 == 1) == (p.gender == "male")
            assert ric.get_birth_date(number) == p.birth_date
    assert len(seen) > 5000


def test_ages_at_offence(lines: list[dict[str, Any]]) -> None:
    for line in lines:
        on = _d(line["offense_date"])
        for person in line["persons"]:
            age = gen.age_on(ric.get_birth_date(person["id_number"]), on)
            role = person["role"]
            if role == "legal_representative":
                assert 30 <= age <= 60
            elif role == "suspect" and line["case_type"] == "juvenile_suspect":
                assert 14 <= age <= 17
            elif role == "suspect":
                assert 16 <= age <= 65
            elif line["case_type"] == "juvenile_victim":
                assert 3 <= age <= 17
            else:
                assert 12 <= age <= 45


def test_young_juveniles_only_for_grave_crimes(plans: list[gen.CasePlan]) -> None:
    for c in plans:
        for p in c.juvenile_suspects():
            if gen.age_on(p.birth_date, c.offense_date) < 16:
                assert c.charge.article in {"234", "236", "263"}


def test_every_minor_has_a_legal_representative(plans: list[gen.CasePlan]) -> None:
    for c in plans:
        represented = {p.represents for p in c.persons if p.role == "legal_representative"}
        minors = {
            p.ref
            for p in c.persons
            if p.role != "legal_representative" and gen.age_on(p.birth_date, c.offense_date) < 18
        }
        assert minors == represented


def test_names_titles_and_masking(lines: list[dict[str, Any]], plans: list[gen.CasePlan]) -> None:
    compound = 0
    for plan, line in zip(plans, lines, strict=True):
        first = plan.suspects[0]
        assert line["title"].startswith(first.surname + "某某")
        assert line["title"].endswith(plan.charge.name.removesuffix("罪") + "案")
        assert first.name not in line["title"]
        compound += len(first.surname) == 2
    assert compound > 0


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(2005, 3, 10), date(2021, 3, 10), 15),
        (date(2005, 3, 10), date(2021, 3, 11), 16),
        (date(2004, 2, 29), date(2021, 2, 28), 16),
        (date(2004, 2, 29), date(2021, 3, 1), 17),
        (date(2003, 12, 31), date(2021, 1, 1), 17),
    ],
)
def test_age_counts_from_day_after_birthday(birth: date, on: date, age: int) -> None:
    assert gen.age_on(birth, on) == age


@settings(database=None, max_examples=200, deadline=None)
@given(st.dates(date(1940, 1, 1), date(2021, 12, 31)), st.integers(0, 3650))
def test_age_property(birth: date, days: int) -> None:
    on = birth + timedelta(days=days)
    age = gen.age_on(birth, on)
    assert gen.age_on(birth, on + timedelta(days=1)) in {age, age + 1}
    assert 0 <= days - age * 365 <= 366 + age


@settings(database=None, max_examples=300, deadline=None)
@given(st.text("0123456789", min_size=17, max_size=17))
def test_check_digit_matches_stdnum(body: str) -> None:
    assert gen.id_check_digit(body) == ric.calc_check_digit(body + "0")


def test_region_code_years_match_stdnum_table() -> None:
    for county in COUNTIES.values():
        for rc in county.codes:
            for year in range(1950, 2022):
                body = f"{rc.code}{year}0615001"
                assert ric.is_valid(body + gen.id_check_digit(body)) == rc.valid_for(year), (rc, year)


def test_phones_and_addresses_synthetic_shape(lines: list[dict[str, Any]]) -> None:
    for line in lines:
        for person in line["persons"]:
            assert re.fullmatch(r"1[3-9]\d{9}", person.get("phone", "13000000000"))
            pattern = r"山东省济宁市\w+?(区|县|市)\w+(街道|镇|乡)\w+号(楼\w+室)?"
            assert re.fullmatch(pattern, person["address"])


# --------------------------------------------------------------------------- output shape


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_lines_json_and_field_limits(lines: list[dict[str, Any]]) -> None:
    top = [
        "external_id",
        "unit",
        "case_type",
        "title",
        "offense_date",
        "received_on",
        "charges",
        "persons",
        "steps",
        "decisions",
    ]
    for line in lines:
        assert list(line) == top
        assert json.loads(json.dumps(line, ensure_ascii=False)) == line
        assert len(line["title"]) <= 100
        assert all(0 < len(s) <= 200 for s in _strings(line))
        assert line["case_type"] in {"juvenile_suspect", "juvenile_victim"}
        refs = {p["ref"] for p in line["persons"]}
        assert len(refs) == len(line["persons"])
        for p in line["persons"]:
            assert set(p) <= {"ref", "role", "name", "id_number", "gender", "phone", "address"}
            assert p["role"] in {"suspect", "victim", "legal_representative"}
        for d in line["decisions"]:
            assert d["person_ref"] in refs and d["kind"] in ALLOWED_DECISIONS
            if d["kind"] == "judgment":
                assert d["sentence_kind"] in SENTENCES
                assert ("sentence_months" in d) == (d["sentence_kind"] in gen.MONTH_SENTENCES)
            else:
                assert "sentence_kind" not in d and "sentence_months" not in d
    assert [line["external_id"] for line in lines] == [f"jn2021-{i:06d}" for i in range(1, len(lines) + 1)]


def test_date_ordering(lines: list[dict[str, Any]]) -> None:
    end = date(2021, 12, 31)
    for line in lines:
        offence, received = _d(line["offense_date"]), _d(line["received_on"])
        assert date(2020, 7, 1) <= offence <= received and date(2021, 1, 1) <= received <= end
        steps = {s["kind"]: _d(s["occurred_on"]) for s in line["steps"]}
        assert steps["受理"] == received
        assert sorted(steps.values()) == list(steps.values()) and max(steps.values()) <= end
        by_person: dict[str, dict[str, date]] = {}
        for d in line["decisions"]:
            decided = _d(d["decision_date"])
            by_person.setdefault(d["person_ref"], {})[d["kind"]] = decided
            if d["kind"].startswith("arrest"):
                assert steps["审查逮捕"] <= decided < steps.get("审查起诉", end)
            elif d["kind"] in {"judgment", "acquittal"}:
                assert decided <= _d(d["effective_date"]) <= end
            else:
                assert steps["审查起诉"] <= decided <= end
        for kinds in by_person.values():
            dates = [
                kinds[k]
                for k in ("arrest_approved", "arrest_not_approved", "prosecuted", "judgment", "acquittal")
                if k in kinds
            ]
            assert dates == sorted(dates)
            if "judgment" in kinds or "acquittal" in kinds:
                assert "prosecuted" in kinds


def test_document_numbers(lines: list[dict[str, Any]]) -> None:
    prefixes = {u.name: u.doc_prefix for u in UNITS}
    court_codes = "|".join(COURT_CODES.values())
    seen: set[str] = set()
    for line in lines:
        for d in line["decisions"]:
            number = d["document_number"]
            assert number not in seen
            seen.add(number)
            if d["kind"] in {"judgment", "acquittal"}:
                assert re.fullmatch(rf"\(2021\)({court_codes})刑初\d+号", number)
            else:
                assert re.fullmatch(rf"{prefixes[line['unit']]}(批捕|不捕|刑诉|刑不诉)〔2021〕\d+号", number)


def test_planned_measures_not_emitted(plans: list[gen.CasePlan], lines: list[dict[str, Any]]) -> None:
    for plan, line in zip(plans, lines, strict=True):
        emitted = {(d["person_ref"], d["kind"]) for d in line["decisions"]}
        for p in plan.suspects:
            if p.decision("conditional_non_prosecution"):
                assert "审查起诉" in {s["kind"] for s in line["steps"]}
                assert not {k for ref, k in emitted if ref == p.ref} - {"arrest_not_approved"}
                assert p.social_investigation_on is not None and 6 <= (p.cnp_probation_months or 0) <= 12
            if p.decision(*NON_PROSECUTION):
                assert p.decision("arrest_approved") is None
            if p.sealed_on is not None:
                j = p.decision("judgment")
                assert j is not None and j.effective_date is not None
                assert j.effective_date <= p.sealed_on <= date(2021, 12, 31)
                assert j.sentence_kind != "fixed_term" or (j.sentence_months or 0) <= 60
        text = json.dumps(line, ensure_ascii=False)
        assert "conditional" not in text and "seal" not in text and "psych" not in text


# --------------------------------------------------------------------------- units, users, files


def test_units_registry(lines: list[dict[str, Any]]) -> None:
    procs = [u for u in UNITS if u.kind == "procuratorate"]
    courts = [u for u in UNITS if u.kind == "court"]
    assert len(procs) == 15 and len(courts) == 13
    assert len(UNIT_NAMES) == len(UNITS)
    assert all(u.province_code == "370000" for u in UNITS)
    assert all(u.parent is None or u.parent in UNIT_NAMES for u in UNITS)
    assert all(u.doc_prefix for u in procs) and not any(u.doc_prefix for u in courts)
    assert len({u.doc_prefix for u in procs}) == 15
    assert {j.procuratorate for j in JURISDICTIONS} == {u.name for u in procs}
    assert {j.court for j in JURISDICTIONS} <= {u.name for u in courts}
    per_unit = Counter(line["unit"] for line in lines)
    assert set(per_unit) <= {u.name for u in procs}
    assert per_unit.most_common(1)[0][0] == "济宁市任城区人民检察院"


def test_demo_users() -> None:
    roles = Counter(u.role for u in DEMO_USERS)
    assert roles == {"prosecutor": 3, "aid_officer": 2, "judge": 1, "auditor": 1, "admin": 1}
    assert len({u.username for u in DEMO_USERS}) == len(DEMO_USERS)
    assert all(u.unit in UNIT_NAMES for u in DEMO_USERS)
    chief = next(u for u in DEMO_USERS if u.username == "demo_chief")
    assert chief.capabilities == ("chief",) and chief.role == "prosecutor"


def test_write_jsonl(tmp_path: Path, lines: list[dict[str, Any]]) -> None:
    path = tmp_path / "demo.jsonl"
    assert gen.write_jsonl(path) == len(lines)
    written = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x) for x in written] == lines
