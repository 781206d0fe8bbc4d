"""The sealing part of the demo (issue 6): the 任城 decisions evaluated as the service evaluates a new
one (sealing tasks with their deadlines), most of them sealed by their prosecutor, and one worked example
with a documented synthetic ID number for the judge's sealed-status check (README)."""

from __future__ import annotations

from datetime import date

from juvenile_justice import db
from juvenile_justice.domain.accounts import repository as accounts_repo
from juvenile_justice.domain.cases import repository as cases_repo
from juvenile_justice.domain.cases import schemas as cs
from juvenile_justice.domain.cases import service as cases
from juvenile_justice.domain.demo.users import RENCHENG_PROCURATORATE
from juvenile_justice.domain.sealing import schemas as s
from juvenile_justice.domain.sealing import service as sealing
from juvenile_justice.lib.errors import DomainError
from juvenile_justice.lib.security import Principal

EXAMPLE_ID_NUMBER = "370811200505100027"
"""A synthetic resident ID number (valid check digit; no real person): the demo's sealed example, for
``demo_judge`` to check at /sealed-status."""
SEAL_BEFORE = date(2021, 11, 1)
"""Decisions before this date are sealed in the demo; later ones keep their open tasks (overdue)."""


async def _principal(username: str) -> Principal:
    user = await accounts_repo.user_by_username(username)
    assert user is not None
    p = await accounts_repo.principal_for_user(user.id)
    assert p is not None
    return p


async def seal_demo() -> tuple[int, int]:
    """Evaluate the 任城 decisions, seal those before :data:`SEAL_BEFORE`, add the worked example.
    Returns (tasks opened, records sealed)."""
    unit = await accounts_repo.unit_by_name(RENCHENG_PROCURATORATE)
    assert unit is not None
    rows = await db.fetch(
        "SELECT d.id, d.case_file, c.created_by FROM decision d JOIN case_file c ON c.id = d.case_file "
        "WHERE c.unit = {} AND d.kind IN ('judgment', 'acquittal', 'non_prosecution_relative', "
        "'non_prosecution_absolute', 'non_prosecution_after_probation') "
        "AND NOT EXISTS (SELECT 1 FROM sealing_task t WHERE t.decision = d.id) ORDER BY d.id",
        unit.id,
    )
    principals: dict[int, Principal] = {}
    opened = sealed = 0
    for row in rows:
        creator = row["created_by"]
        if creator not in principals:
            user = await accounts_repo.principal_for_user(creator)
            assert user is not None
            principals[creator] = user
        p = principals[creator]
        case = await cases_repo.case_by_id(row["case_file"])
        decision = await cases_repo.decision_by_id(row["id"])
        assert case is not None and decision is not None
        person = await cases_repo.person_by_id(decision.person_id)
        if person is None or person.sealed:
            continue
        async with db.transaction():
            outcome = await sealing.evaluate_decision(p, case, person, decision)
        if outcome.task_id is None:
            continue
        opened += 1
        if decision.decision_date < SEAL_BEFORE:
            try:
                await sealing.seal_person(p, person.id, s.SealingIn(decision_id=decision.id,
                                                                    advised_on=decision.decision_date))  # fmt: skip
                sealed += 1
            except DomainError:  # e.g. a fact the demo lacks: the task stays open, as it would
                pass
    await _worked_example()
    return opened, sealed + 1


async def _worked_example() -> None:
    """诸葛某某 (synthetic): theft at 15, 24 months, sealed; ID number :data:`EXAMPLE_ID_NUMBER`."""
    p = await _principal("demo_prosecutor")
    if await cases_repo.person_and_case_ids_by_id_number([p.unit_id], EXAMPLE_ID_NUMBER):
        return  # made by an earlier run (sealed: the ordinary lookup would not find it)
    case = await cases.create_case(
        p,
        cs.CaseCreate(case_type="juvenile_suspect", title="诸葛某某盗窃案（封存示例）", offense_date=date(2021, 2, 3),
                      received_on=date(2021, 2, 10), charges=[cs.ChargeIn(name="盗窃罪", article="264")]),
    )  # fmt: skip
    person = await cases.add_person(
        p,
        case.id,
        cs.PersonCreate(role="suspect", name="诸葛示例", id_number=EXAMPLE_ID_NUMBER, gender="female"),
    )
    step = cs.StepCreate(kind="受理", occurred_on=date(2021, 2, 10), summary="公安机关移送审查起诉。")
    await cases.add_step(p, case.id, step)
    decision = await cases.add_decision(
        p,
        case.id,
        cs.DecisionCreate(person_id=person.id, kind="judgment", decision_date=date(2021, 6, 1),
                          effective_date=date(2021, 6, 12), document_number="(2021)鲁0811刑初301号",
                          sentence_kind="fixed_term", sentence_months=24),
    )  # fmt: skip
    await sealing.seal_person(p, person.id, s.SealingIn(decision_id=decision.id, advised_on=date(2021, 6, 12)))
