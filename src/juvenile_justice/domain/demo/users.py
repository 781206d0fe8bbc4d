"""Demo accounts for the synthetic Jining data set.

The passwords are fixed, public strings on purpose: they only ever guard
synthetic demo data and must never be used for a real deployment.
"""

from __future__ import annotations

from typing import NamedTuple

from .units import CITY_PROCURATORATE

RENCHENG_PROCURATORATE = "济宁市任城区人民检察院"
RENCHENG_COURT = "济宁市任城区人民法院"


class DemoUser(NamedTuple):
    """(username, role, unit, capabilities, password)."""

    username: str
    role: str
    unit: str
    capabilities: tuple[str, ...]
    password: str


DEMO_USERS: list[DemoUser] = [
    DemoUser("demo_prosecutor", "prosecutor", RENCHENG_PROCURATORATE, (), "demo-prosecutor-2021"),
    DemoUser("demo_prosecutor2", "prosecutor", RENCHENG_PROCURATORATE, (), "demo-prosecutor2-2021"),
    DemoUser("demo_chief", "prosecutor", RENCHENG_PROCURATORATE, ("chief",), "demo-chief-2021"),
    DemoUser("demo_judge", "judge", RENCHENG_COURT, (), "demo-judge-2021"),
    DemoUser("demo_aid", "aid_officer", RENCHENG_PROCURATORATE, (), "demo-aid-2021"),
    DemoUser("demo_aid2", "aid_officer", RENCHENG_PROCURATORATE, (), "demo-aid2-2021"),
    DemoUser("demo_auditor", "auditor", CITY_PROCURATORATE, (), "demo-auditor-2021"),
    DemoUser("demo_admin", "admin", CITY_PROCURATORATE, (), "demo-admin-2021"),
]
