"""The sealing rules as given/when/then cases (../shared/domain/rules.md §5; issue 6, first slice)."""

from __future__ import annotations

from datetime import date

import pytest

from juvenile_justice.domain.sealing.eligibility import Facts, sealing_eligibility, unsealing_ground

BIRTH = date(2004, 5, 10)
AS_OF = date(2026, 11, 30)
AT_17 = date(2021, 6, 1)
AT_18 = date(2022, 6, 1)


def judgment(months: int | None, kind: str = "fixed_term", **over: object) -> Facts:
    values: dict = {"kind": "judgment", "birth_date": BIRTH, "offense_dates": (AT_17,), "sentence_kind": kind,
                    "sentence_months": months}  # fmt: skip
    return Facts(**{**values, **over})


@pytest.mark.parametrize(("months", "sealed"), [(60, True), (61, False), (24, True)])
def test_r_seal_1_five_years_is_the_boundary(months: int, sealed: bool) -> None:
    """Given an offence at 17 and exactly 5 years, then sealed; 5 years 1 month, then not (CL 99: 以下 includes)."""
    trace = sealing_eligibility(judgment(months), AS_OF)
    assert trace.eligible is sealed
    assert trace.as_dict()["rules"][1] == {
        "rule": "R-SEAL-1",
        "source": "CPL 286(1); CL 99",
        "inputs": {"sentence_kind": "fixed_term", "sentence_months": months},
        "result": sealed,
    }


@pytest.mark.parametrize("kind", ["exemption", "criminal_detention", "public_surveillance", "fine_only"])
def test_r_seal_1_exemption_and_lighter_punishments_are_sealed(kind: str) -> None:
    assert sealing_eligibility(judgment(None, kind), AS_OF).eligible is True


@pytest.mark.parametrize("kind", ["life", "death"])
def test_r_seal_1_heavier_punishments_are_not(kind: str) -> None:
    assert sealing_eligibility(judgment(None, kind), AS_OF).eligible is False


@pytest.mark.parametrize(
    ("offense", "sealed"),
    # 17 on the 18th birthday itself; 18 周岁 from the next day (R-GEN-2, SPC-2006 Art 2)
    [(date(2022, 5, 9), True), (date(2022, 5, 10), True), (date(2022, 5, 11), False)],
)
def test_r_seal_1_age_boundary(offense: date, sealed: bool) -> None:
    trace = sealing_eligibility(judgment(12, offense_dates=(offense,)), AS_OF)
    assert trace.eligible is sealed
    assert trace.rules[0].inputs["ages_at_offense"] == [17 if sealed else 18]


def test_r_seal_2_acts_before_and_after_18_follow_the_main_conduct() -> None:
    """Given a theft at 17 (main) and a minor theft at 18, combined 2 years, then the whole case is sealed."""
    facts = judgment(24, offense_dates=(AT_17, AT_18), main_offense_date=AT_17)
    trace = sealing_eligibility(facts, AS_OF)
    assert trace.eligible is True and trace.rules[0].rule == "R-SEAL-2"
    adult_main = judgment(24, offense_dates=(AT_17, AT_18), main_offense_date=AT_18)
    assert sealing_eligibility(adult_main, AS_OF).eligible is False


def test_missing_facts_are_named() -> None:
    trace = sealing_eligibility(judgment(None), AS_OF)
    assert trace.eligible is None
    assert trace.as_dict()["rules"][1]["missing"] == ["sentence_months"]
    no_main = sealing_eligibility(judgment(24, offense_dates=(AT_17, AT_18)), AS_OF)
    assert no_main.eligible is None and no_main.rules[0].missing == ("main_offense_date",)
    no_birth = sealing_eligibility(judgment(24, birth_date=None), AS_OF)
    assert no_birth.eligible is None and no_birth.rules[0].missing == ("birth_date",)
    # a known disqualifier decides even when another fact is missing
    assert sealing_eligibility(judgment(None, "life", birth_date=None), AS_OF).eligible is False


@pytest.mark.parametrize(
    "kind", ["non_prosecution_relative", "non_prosecution_absolute", "non_prosecution_after_probation"]
)
def test_r_seal_3_and_r_cnp_12_non_prosecution_records_are_sealed(kind: str) -> None:
    facts = Facts(kind=kind, birth_date=BIRTH, offense_dates=(AT_17,))
    trace = sealing_eligibility(facts, AS_OF)
    assert trace.eligible is True
    assert trace.rules[1].rule == ("R-CNP-12" if kind == "non_prosecution_after_probation" else "R-SEAL-3")


def test_arrest_and_prosecution_are_not_sealing_decisions() -> None:
    for kind in ("arrest_approved", "prosecuted"):
        assert sealing_eligibility(Facts(kind=kind, birth_date=BIRTH, offense_dates=(AT_17,)), AS_OF).eligible is False


def test_the_trace_carries_the_ruleset_and_the_date() -> None:
    out = sealing_eligibility(judgment(24), AS_OF).as_dict()
    assert out["ruleset_version"] == "seal-2022.1" and out["as_of"] == "2026-11-30"
    assert [r["rule"] for r in out["rules"]] == ["R-SEAL-1", "R-SEAL-1"]


@pytest.mark.parametrize(("combined", "comparator", "unsealed"), [(60, ">", False), (72, ">", True), (60, ">=", True)])
def test_r_seal_11_new_crime_as_a_minor(combined: int, comparator: str, unsealed: bool) -> None:
    """Given a sealed 2-year sentence and a new crime at 17 with combined 5 years, then it stays sealed
    (default >); combined 6 years, then it is unsealed. SPP Rules 485(2)'s >= is configurable."""
    trace = unsealing_ground(rule="new_offense", birth_date=BIRTH, new_offense_date=AT_17,
                             combined_sentence_months=combined, as_of=AS_OF, comparator=comparator)  # type: ignore[arg-type]  # fmt: skip
    assert trace.eligible is unsealed


def test_r_seal_11_a_new_crime_as_an_adult_is_no_ground() -> None:
    trace = unsealing_ground(rule="new_offense", birth_date=BIRTH, new_offense_date=date(2023, 6, 1),
                             combined_sentence_months=120, as_of=AS_OF)  # fmt: skip
    assert trace.eligible is False and trace.rules[0].inputs["age_at_new_offense"] == 19


def test_r_seal_11_retrial_and_missing_facts() -> None:
    assert unsealing_ground(rule="retrial", birth_date=None, new_offense_date=None, combined_sentence_months=60,
                            as_of=AS_OF).eligible is True  # fmt: skip
    missing = unsealing_ground(rule="prior_offense", birth_date=BIRTH, new_offense_date=None,
                               combined_sentence_months=None, as_of=AS_OF)  # fmt: skip
    assert missing.eligible is None and missing.rules[0].missing == ("new_offense_date", "combined_sentence_months")


def test_seal_deadline_and_overdue() -> None:
    """R-SEAL-4: notice received 2024-07-01, due 2024-07-04; not sealed by 07-04 23:59 → overdue on 07-05."""
    from juvenile_justice.domain.sealing.service import is_overdue, seal_due

    due = seal_due(date(2024, 7, 1))
    assert due == date(2024, 7, 4)
    assert not is_overdue(due, date(2024, 7, 4))
    assert is_overdue(due, date(2024, 7, 5))
    assert not is_overdue(due, date(2024, 7, 5), done=True)


def test_sealing_pages_never_say_deleted() -> None:
    """R-SEAL-14: sealing is not erasure; no sealing page or document calls it deletion."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    names = ["pages/sealing_tasks.html", "pages/sealed_status.html", "pages/sealed_record.html",
             "pages/query_request_new.html", "pages/query_requests.html",
             "pages/no_record_certificate.html"]  # fmt: skip
    for name in names:
        text = (root / name).read_text(encoding="utf-8")
        for word in ("已删除", "已清除", "消除记录", "deleted", "expunged", "erased"):
            assert word not in text, (name, word)
