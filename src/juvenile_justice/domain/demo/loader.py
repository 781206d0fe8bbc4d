"""Loads the synthetic demo data set through the same path as ``juvenile-justice import``."""

from __future__ import annotations

from juvenile_justice.domain.accounts import repository as accounts_repo
from juvenile_justice.domain.accounts import service as accounts
from juvenile_justice.domain.cases.importing import ImportReport, import_objects
from juvenile_justice.domain.cases.tables import CaseFile
from juvenile_justice.domain.demo.generator import import_lines
from juvenile_justice.domain.demo.sealing import seal_demo
from juvenile_justice.domain.demo.units import UNITS
from juvenile_justice.domain.demo.users import DEMO_USERS, RENCHENG_PROCURATORATE
from juvenile_justice.lib.progress import progress_bar

DEMO_CASE_PROSECUTORS = ("demo_prosecutor", "demo_prosecutor2")
"""The 任城区 cases are shared between the two demo prosecutors, alternately."""


async def ensure_units_and_users() -> None:
    """Create the demo units (with their tree, province and prefixes) and users, where missing."""
    for unit in UNITS:
        await accounts.ensure_unit(unit.name, unit.kind)
    for unit in UNITS:
        await accounts.set_unit(
            unit.name, parent=unit.parent, province_code=unit.province_code, doc_prefix=unit.doc_prefix
        )
    for user in DEMO_USERS:
        if await accounts_repo.user_by_username(user.username) is None:
            await accounts.add_user(
                user.username,
                role=user.role,
                unit=user.unit,
                password=user.password,
                capabilities=frozenset(user.capabilities),
            )


async def load_demo(seed: int = 2021, *, if_empty: bool = False) -> ImportReport | None:
    """Load units, users and the year of cases; None when ``if_empty`` and cases exist already."""
    if if_empty and await CaseFile.count() > 0:
        return None
    await ensure_units_and_users()
    lines = list(import_lines(seed))
    rencheng = 0
    for line in lines:
        if line["unit"] == RENCHENG_PROCURATORATE:
            line["prosecutor"] = DEMO_CASE_PROSECUTORS[rencheng % len(DEMO_CASE_PROSECUTORS)]
            rencheng += 1
    with progress_bar("demo data", total=len(lines)) as advance:
        report = await import_objects(enumerate(lines, start=1), progress=advance)
    await seal_demo()
    return report
