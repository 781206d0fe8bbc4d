"""Eligibility for sealing juvenile criminal records (犯罪记录封存) and for lifting a seal (解除封存): pure
functions that return a full rule trace (issue 6, first slice; ../shared/domain/rules.md §5).

A trace has the shape API.md gives: ``{"eligible": true|false|null, "ruleset_version", "as_of", "rules":
[{"rule", "source", "inputs", "result", "missing"?}]}``. ``null`` means a fact is missing, and ``missing``
names it. Nothing here reads the database or the clock: the caller passes every fact and the as-of date.

Periods are in months (``sentence_months``, ``combined_sentence_months``); 5 years = 60 months, and
"五年以下" includes 60 months (CL 99; R-SEAL-1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from juvenile_justice.lib.periods import age_in_full_years

RULESET_VERSION = "seal-2022.1"
"""The version of these rules (2022 sealing measures, SPP Rules 2019, CPL 2018); stored with every trace."""
SEAL_LIMIT_MONTHS = 60
"""Fixed-term imprisonment of at most 5 years qualifies (R-SEAL-1)."""
ADULT_AGE = 18

SentenceKind = Literal[
    "fixed_term", "criminal_detention", "public_surveillance", "fine_only", "exemption", "life", "death"
]
LIGHTER_THAN_PRISON = frozenset({"criminal_detention", "public_surveillance", "fine_only"})
"""拘役, 管制 and a fine alone are lighter than fixed-term imprisonment (R-SEAL-1); a suspended sentence
(缓刑) is recorded as the sentence it suspends."""
NON_PROSECUTION = frozenset({"non_prosecution_relative", "non_prosecution_absolute", "non_prosecution_after_probation"})
"""Decisions not to prosecute (CPL 177, 284): their records are sealed (R-SEAL-3, R-CNP-12)."""


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One rule applied: its id, legal source, the facts it read, its result (None: a fact is missing)."""

    rule: str
    source: str
    inputs: dict[str, Any]
    result: bool | None
    missing: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The API form (``missing`` only when a fact is missing)."""
        out: dict[str, Any] = {"rule": self.rule, "source": self.source, "inputs": self.inputs, "result": self.result}
        if self.missing:
            out["missing"] = list(self.missing)
        return out


@dataclass(frozen=True, slots=True)
class Trace:
    """The outcome and every rule that led to it."""

    eligible: bool | None
    as_of: date
    rules: tuple[RuleResult, ...] = field(default_factory=tuple)
    ruleset_version: str = RULESET_VERSION

    def as_dict(self) -> dict[str, Any]:
        """The API form of the trace (API.md "Sealing")."""
        return {
            "eligible": self.eligible,
            "ruleset_version": self.ruleset_version,
            "as_of": self.as_of.isoformat(),
            "rules": [r.as_dict() for r in self.rules],
        }


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules read. ``kind`` is the decision kind of API.md (``judgment``, ``non_prosecution_relative``,
    ...); ``offense_dates`` are the dates of the acts (several acts: R-SEAL-2) and ``main_offense_date`` the
    date of the main criminal conduct when there are several; ``sentence_months`` for fixed-term
    imprisonment (or the combined sentence of several crimes)."""

    kind: str
    birth_date: date | None
    offense_dates: tuple[date, ...] = ()
    main_offense_date: date | None = None
    sentence_kind: str | None = None
    sentence_months: int | None = None


def _age(birth: date | None, on: date | None) -> int | None:
    return None if birth is None or on is None else age_in_full_years(birth, on)


def _minor_at_offense(f: Facts) -> RuleResult:
    """R-SEAL-1 / R-SEAL-2: the offence (the main conduct, when several acts straddle 18) was before 18."""
    missing = [name for name, value in (("birth_date", f.birth_date), ("offense_dates", f.offense_dates)) if not value]
    if missing:
        return RuleResult("R-SEAL-1", "CPL 286(1)", {}, None, tuple(missing))
    ages = [_age(f.birth_date, d) for d in f.offense_dates]
    inputs: dict[str, Any] = {"ages_at_offense": ages}
    if all(a is not None and a < ADULT_AGE for a in ages):
        return RuleResult("R-SEAL-1", "CPL 286(1)", inputs, True)
    if all(a is not None and a >= ADULT_AGE for a in ages):
        return RuleResult("R-SEAL-1", "CPL 286(1)", inputs, False)
    # acts before and after 18: the main conduct decides (R-SEAL-2)
    main_age = _age(f.birth_date, f.main_offense_date)
    inputs["main_offense_age"] = main_age
    if main_age is None:
        return RuleResult("R-SEAL-2", "Seal-Measures Art 4(2)", inputs, None, ("main_offense_date",))
    return RuleResult("R-SEAL-2", "Seal-Measures Art 4(2)", inputs, main_age < ADULT_AGE)


def _sentence_qualifies(f: Facts) -> RuleResult:
    """R-SEAL-1: fixed-term imprisonment of at most 60 months, a lighter punishment, or an exemption."""
    inputs = {"sentence_kind": f.sentence_kind, "sentence_months": f.sentence_months}
    if f.sentence_kind is None:
        return RuleResult("R-SEAL-1", "CPL 286(1); SPC-Interp 581", inputs, None, ("sentence_kind",))
    if f.sentence_kind == "exemption":
        return RuleResult("R-SEAL-1", "SPC-Interp 581", inputs, True)
    if f.sentence_kind in LIGHTER_THAN_PRISON:
        return RuleResult("R-SEAL-1", "CPL 286(1)", inputs, True)
    if f.sentence_kind == "fixed_term":
        if f.sentence_months is None:
            return RuleResult("R-SEAL-1", "CPL 286(1); CL 99", inputs, None, ("sentence_months",))
        return RuleResult("R-SEAL-1", "CPL 286(1); CL 99", inputs, f.sentence_months <= SEAL_LIMIT_MONTHS)
    return RuleResult("R-SEAL-1", "CPL 286(1)", inputs, False)  # life imprisonment, death


def _all_of(results: list[RuleResult]) -> bool | None:
    if any(r.result is False for r in results):
        return False
    if any(r.result is None for r in results):
        return None
    return True


def sealing_eligibility(f: Facts, as_of: date) -> Trace:
    """Whether the records of a decision are sealed by operation of law, with the rules that decide it.

    - Judgments (R-SEAL-1, R-SEAL-2): offence (or the main conduct) before 18 AND a sentence of at most 60
      months' fixed-term imprisonment, a lighter punishment or an exemption.
    - Non-prosecution (R-SEAL-3, R-CNP-12): sealed when the offence was before 18.
    - An acquittal for insufficient evidence of a juvenile (R-SEAL-3): sealed.
    - Other decisions (arrest, prosecution): not a sealing decision (the judgment will be).
    """
    minor = _minor_at_offense(f)
    if f.kind == "judgment":
        results = [minor, _sentence_qualifies(f)]
        return Trace(_all_of(results), as_of, tuple(results))
    if f.kind in NON_PROSECUTION or f.kind == "conditional_non_prosecution":
        np_rule = RuleResult("R-SEAL-3", "SPP-Rules 486; PJDL 59(2)", {"kind": f.kind}, True)
        if f.kind != "non_prosecution_relative" and f.kind != "non_prosecution_absolute":
            np_rule = RuleResult("R-CNP-12", "SPP-Rules 486; Seal-Measures Art 3", {"kind": f.kind}, True)
        results = [minor, np_rule]
        return Trace(_all_of(results), as_of, tuple(results))
    if f.kind == "acquittal":
        results = [minor, RuleResult("R-SEAL-3", "Seal-Measures Art 7", {"kind": f.kind}, True)]
        return Trace(_all_of(results), as_of, tuple(results))
    not_final = RuleResult("R-SEAL-1", "CPL 286(1)", {"kind": f.kind}, False)
    return Trace(False, as_of, (not_final,))


UnsealComparator = Literal[">", ">="]
DEFAULT_UNSEAL_COMPARATOR: UnsealComparator = ">"
"""R-SEAL-11: the 2022 measures say more than 5 years (超过五年); SPP Rules 485(2) read "五年以上" (≥ 5
years). The default follows the later joint document; the comparator is configurable (§12)."""


def unsealing_ground(
    *,
    rule: Literal["new_offense", "prior_offense", "retrial"],
    birth_date: date | None,
    new_offense_date: date | None,
    combined_sentence_months: int | None,
    as_of: date,
    comparator: UnsealComparator = DEFAULT_UNSEAL_COMPARATOR,
) -> Trace:
    """Whether a ground for lifting a seal holds (R-SEAL-11), with its trace.

    ``new_offense`` / ``prior_offense``: the crime was committed as a minor AND the combined sentence is over
    60 months (``comparator`` ``>``; ``>=`` per SPP Rules 485(2)). ``retrial``: the retrial's sentence is
    60 months or more. A new crime committed as an adult is not a ground.
    """
    limit = SEAL_LIMIT_MONTHS
    inputs: dict[str, Any] = {"combined_sentence_months": combined_sentence_months, "comparator": comparator}
    if rule == "retrial":
        if combined_sentence_months is None:
            r = RuleResult("R-SEAL-11", "Seal-Measures", inputs, None, ("combined_sentence_months",))
        else:
            r = RuleResult("R-SEAL-11", "Seal-Measures", inputs, combined_sentence_months >= limit)
        return Trace(r.result, as_of, (r,))
    missing = [n for n, v in (("birth_date", birth_date), ("new_offense_date", new_offense_date),
                              ("combined_sentence_months", combined_sentence_months)) if v is None]  # fmt: skip
    source = "Seal-Measures; SPP-Rules 485(2)"
    if missing:
        return Trace(None, as_of, (RuleResult("R-SEAL-11", source, inputs, None, tuple(missing)),))
    assert birth_date is not None and new_offense_date is not None and combined_sentence_months is not None
    age = age_in_full_years(birth_date, new_offense_date)
    inputs["age_at_new_offense"] = age
    over = combined_sentence_months > limit if comparator == ">" else combined_sentence_months >= limit
    r = RuleResult("R-SEAL-11", source, inputs, age < ADULT_AGE and over)
    return Trace(r.result, as_of, (r,))
