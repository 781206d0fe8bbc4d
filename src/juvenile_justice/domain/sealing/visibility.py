"""The one sealing-aware query layer (R-SEAL-5; issue 6, point 3): the SQL predicates every repository
read of case data goes through, so that sealed content stays out of lists, searches, details, documents,
statistics and any later route, except through the lawful query path (``GET /api/sealed-records/{id}``).

The seal state has one source of truth: a ``sealed_record`` row with ``status = 'sealed'`` for the
person (migrations/sealing). There is no second flag that could disagree with it (the DAWSON leaks,
product-anchors.md §4).

- A **sealed person** is a person with such a row: their detail, their decisions and their name in lists
  are withheld.
- A **sealed case** is a case with a sealed person and no suspect left unsealed (R-SEAL-2: the whole
  case): it is left out of case lists and searches, and opening it is refused (403, logged).
- A case with sealed and unsealed suspects (adult co-offenders) stays readable without the sealed persons
  and their decisions, and is marked 含犯罪记录封存信息 (Seal-Measures Arts 5–6).

This module imports nothing from the areas it filters (they import it): the predicates are SQL text with
the alias of the filtered table as their one parameter.
"""

from __future__ import annotations

from typing import Literal

SealState = Literal["none", "partial", "sealed"]
"""Of a case: no sealed person; some (the case is marked 含犯罪记录封存信息); every suspect (whole case)."""


def person_sealed(person: str) -> str:
    """SQL: the person row ``person`` (alias) is sealed."""
    return f"EXISTS (SELECT 1 FROM sealed_record sr_p WHERE sr_p.person = {person}.id AND sr_p.status = 'sealed')"


def person_visible(person: str) -> str:
    """SQL: the person row ``person`` (alias) is not sealed."""
    return f"NOT {person_sealed(person)}"


def case_has_seal(case: str) -> str:
    """SQL: the case row ``case`` (alias) has at least one sealed person."""
    return f"EXISTS (SELECT 1 FROM sealed_record sr_c WHERE sr_c.case_file = {case}.id AND sr_c.status = 'sealed')"


def case_sealed(case: str) -> str:
    """SQL: the whole case ``case`` (alias) is sealed: a sealed person and no unsealed suspect."""
    return (
        f"({case_has_seal(case)} AND NOT EXISTS (SELECT 1 FROM person sp WHERE sp.case_file = {case}.id "
        "AND sp.role = 'suspect' AND NOT EXISTS (SELECT 1 FROM sealed_record sr_s WHERE sr_s.person = sp.id "
        "AND sr_s.status = 'sealed')))"
    )


def case_visible(case: str) -> str:
    """SQL: the case ``case`` (alias) is not wholly sealed (it may be listed and opened)."""
    return f"NOT {case_sealed(case)}"


def case_seal_state(case: str) -> str:
    """SQL expression: the :data:`SealState` of the case ``case`` (alias)."""
    return f"CASE WHEN {case_sealed(case)} THEN 'sealed' WHEN {case_has_seal(case)} THEN 'partial' ELSE 'none' END"
