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
- A case with sealed and unsealed suspects (adult co-offenders) stays readable without the sealed persons,
  their decisions, the persons accompanying them (guardians, legal representatives…), and the steps and
  documents recorded before the seal; it is marked 含犯罪记录封存信息 (Seal-Measures Arts 5–6).
- A record whose status says ``unsealed`` still seals unless the access log holds its unsealing.

This module imports nothing from the areas it filters (they import it): the predicates are SQL text with
the alias of the filtered table as their one parameter.
"""

from __future__ import annotations

from typing import Literal

SealState = Literal["none", "partial", "sealed"]
"""Of a case: no sealed person; some (the case is marked 含犯罪记录封存信息); every suspect (whole case)."""


ACCOMPANYING_ROLES = ("guardian", "legal_representative", "appropriate_adult", "relative")
"""Persons who take part because a suspect is a minor (监护人, 法定代理人, 合适成年人, 近亲属): in a case whose
unsealed suspects are all adults they can only be there for a sealed juvenile, and naming them would name
the juvenile (R-SEAL-12)."""


def logged_after(
    target: str, action: str, first: str, purpose: str | None = None, first_purpose: str | None = None
) -> str:
    """SQL: the access log holds an ``action`` entry on ``target`` (an SQL text expression), with
    ``purpose`` (SQL) if given, written after the latest ``first`` entry on the same target (with
    ``first_purpose``, if given): an entry about an earlier row that had the same id, in a re-created
    database, does not count."""
    on_purpose = f" AND al.purpose = {purpose}" if purpose else ""
    on_first = f" AND af.purpose = {first_purpose}" if first_purpose else ""
    return (
        f"EXISTS (SELECT 1 FROM access_log al WHERE al.target = {target} AND al.action = '{action}'{on_purpose} "
        f"AND al.seq > (SELECT MAX(af.seq) FROM access_log af WHERE af.target = {target} "
        f"AND af.action = '{first}'{on_first}))"
    )


def in_force(record: str) -> str:
    """SQL: the ``sealed_record`` row ``record`` (alias) still seals: its status is ``sealed``, or it says
    ``unsealed`` without the ``sealed_record.unseal`` entry that every lawful unsealing writes into the
    hash-chained access log first (a status flipped in the database does not unseal anything)."""
    target = f"'sealed_record:' || {record}.id"
    return f"({record}.status = 'sealed' OR NOT {logged_after(target, 'sealed_record.unseal', 'sealed_record.create')})"


def person_sealed(person: str) -> str:
    """SQL: the person row ``person`` (alias) is sealed."""
    return f"EXISTS (SELECT 1 FROM sealed_record sr_p WHERE sr_p.person = {person}.id AND {in_force('sr_p')})"


def _unsealed_minor_suspect(case_column: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM person sm WHERE sm.case_file = {case_column} AND sm.role = 'suspect' "
        "AND sm.minor_at_offense AND NOT EXISTS (SELECT 1 FROM sealed_record sr_m WHERE sr_m.person = sm.id "
        f"AND {in_force('sr_m')}))"
    )


def person_hidden(person: str) -> str:
    """SQL: the person row ``person`` (alias) is left out of answers: sealed, or accompanying a sealed
    juvenile (an accompanying role in a case with a seal and no unsealed minor suspect)."""
    roles = ", ".join(f"'{r}'" for r in ACCOMPANYING_ROLES)
    return (
        f"({person_sealed(person)} OR ({person}.role IN ({roles}) AND EXISTS (SELECT 1 FROM sealed_record sr_a "
        f"WHERE sr_a.case_file = {person}.case_file AND {in_force('sr_a')}) "
        f"AND NOT {_unsealed_minor_suspect(person + '.case_file')}))"
    )


def person_visible(person: str) -> str:
    """SQL: the person row ``person`` (alias) may be answered (see :func:`person_hidden`)."""
    return f"NOT {person_hidden(person)}"


def case_has_seal(case: str) -> str:
    """SQL: the case row ``case`` (alias) has at least one sealed person."""
    return f"EXISTS (SELECT 1 FROM sealed_record sr_c WHERE sr_c.case_file = {case}.id AND {in_force('sr_c')})"


def case_sealed(case: str) -> str:
    """SQL: the whole case ``case`` (alias) is sealed: a sealed person and no unsealed suspect."""
    return (
        f"({case_has_seal(case)} AND NOT EXISTS (SELECT 1 FROM person sp WHERE sp.case_file = {case}.id "
        "AND sp.role = 'suspect' AND NOT EXISTS (SELECT 1 FROM sealed_record sr_s WHERE sr_s.person = sp.id "
        f"AND {in_force('sr_s')})))"
    )


def case_visible(case: str) -> str:
    """SQL: the case ``case`` (alias) is not wholly sealed (it may be listed and opened)."""
    return f"NOT {case_sealed(case)}"


def case_seal_state(case: str) -> str:
    """SQL expression: the :data:`SealState` of the case ``case`` (alias)."""
    return f"CASE WHEN {case_sealed(case)} THEN 'sealed' WHEN {case_has_seal(case)} THEN 'partial' ELSE 'none' END"


def recorded_before_seal(case_column: str, moment: str) -> str:
    """SQL: something of the case ``case_column`` recorded at ``moment`` (a column) predates a seal in force
    in that case: a step or a document made before a person was sealed may describe them, so it is
    withheld from then on (the sealed snapshot keeps it for lawful queries)."""
    return (
        f"EXISTS (SELECT 1 FROM sealed_record sr_b WHERE sr_b.case_file = {case_column} AND {in_force('sr_b')} "
        f"AND {moment} <= sr_b.sealed_at)"
    )
