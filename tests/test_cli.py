"""The command line: migrate, users add, units set, calendar load, demo (real subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from juvenile_justice import db
from juvenile_justice.domain.accounts import repository as accounts_repo
from juvenile_justice.domain.calendar.service import working_day_calendar


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "juvenile_justice.cli", *args],
        input=stdin,
        text=True,
        capture_output=True,
        env=dict(os.environ),
        timeout=300,
    )


async def test_migrate_is_idempotent() -> None:
    first, second = cli("migrate"), cli("migrate")
    assert first.returncode == second.returncode == 0
    assert "up to date" in second.stdout


async def test_users_add_and_units_set() -> None:
    r = cli(
        "users",
        "add",
        "Zhang.San",
        "--role",
        "prosecutor",
        "--unit",
        "济宁市任城区人民检察院",
        "--capability",
        "chief",
        "--password-stdin",
        stdin="synthetic-password-1\n",
    )
    assert r.returncode == 0, r.stderr
    assert "synthetic-password-1" not in r.stdout + r.stderr
    user = await accounts_repo.user_by_username("zhang.san")
    assert user is not None and user.capabilities == frozenset({"chief"})
    dup = cli(
        "users",
        "add",
        "zhang.san",
        "--role",
        "prosecutor",
        "--unit",
        "济宁市任城区人民检察院",
        "--password-stdin",
        stdin="synthetic-password-1\n",
    )
    assert dup.returncode == 2 and "username" in dup.stderr
    bad_unit = cli(
        "users",
        "add",
        "li",
        "--role",
        "judge",
        "--unit",
        "某某公司",
        "--password-stdin",
        stdin="synthetic-password-1\n",
    )
    assert bad_unit.returncode == 2 and "unit" in bad_unit.stderr
    assert (
        cli(
            "users",
            "add",
            "city",
            "--role",
            "auditor",
            "--unit",
            "济宁市人民检察院",
            "--password-stdin",
            stdin="synthetic-password-1\n",
        ).returncode
        == 0
    )
    r = cli(
        "units",
        "set",
        "济宁市任城区人民检察院",
        "--parent",
        "济宁市人民检察院",
        "--province",
        "370000",
        "--doc-prefix",
        "任检未",
    )
    assert r.returncode == 0, r.stderr
    unit = await accounts_repo.unit_by_name("济宁市任城区人民检察院")
    city = await accounts_repo.unit_by_name("济宁市人民检察院")
    assert unit and city and unit.parent_id == city.id and unit.doc_prefix == "任检未"
    assert cli("units", "set", "没有的检察院", "--province", "370000").returncode == 2


async def test_calendar_load(tmp_path: Path) -> None:
    before = await working_day_calendar()
    assert before.add_working_days(date(2026, 12, 30), 3).fallback_years == frozenset({2027})
    path = tmp_path / "2027.json"
    path.write_text(json.dumps({"year": 2027, "holidays": ["2027-01-01"], "workdays": []}), encoding="utf-8")
    r = cli("calendar", "load", str(path))
    assert r.returncode == 0, r.stderr
    after = await working_day_calendar()
    result = after.add_working_days(date(2026, 12, 30), 3)
    assert result.fallback_years == frozenset()
    assert result.date == date(2027, 1, 5)  # 31 Dec, (1 Jan holiday, weekend), 4 Jan, 5 Jan
    path.write_text(json.dumps({"year": 2027, "holidays": ["2028-01-01"], "workdays": []}), encoding="utf-8")
    bad = cli("calendar", "load", str(path))
    assert bad.returncode != 0 and "2028-01-01" in bad.stderr


async def test_demo_loads_every_line_through_the_importer() -> None:
    r = cli("demo", "--if-empty")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "demo line" not in r.stderr  # no refused line
    assert "demo_prosecutor" in r.stdout and "password" in r.stdout
    counts = {}
    for table in ("case_file", "person", "decision"):
        row = await db.fetch_one(f"SELECT COUNT(*) AS n FROM {table}")
        counts[table] = int(row["n"]) if row else 0
    victim_cases = await db.fetch_one("SELECT COUNT(*) AS n FROM case_file WHERE case_type = 'juvenile_victim'")
    assert victim_cases and victim_cases["n"] == 774
    suspects = await db.fetch_one(
        "SELECT COUNT(*) AS n FROM person p JOIN case_file c ON c.id = p.case_file "
        "WHERE c.case_type = 'juvenile_victim' AND p.role = 'suspect'"
    )
    assert suspects and suspects["n"] == 1064
    assert counts["case_file"] > 1400 and counts["person"] > 5000 and counts["decision"] > 2000
    units = await db.fetch_one("SELECT COUNT(*) AS n FROM unit")
    assert units and units["n"] == 28  # 15 procuratorates, 13 courts
    tasks = {
        r["status"]: int(r["n"])
        for r in await db.fetch("SELECT status, COUNT(*) AS n FROM sealing_task GROUP BY status")
    }
    assert tasks.get("open", 0) > 0 and tasks.get("done", 0) > 10, tasks  # the demo seals, and leaves some to do
    from juvenile_justice.domain.demo.sealing import EXAMPLE_ID_NUMBER
    from juvenile_justice.domain.sealing import repository as sealing_repo

    assert len(await sealing_repo.records_by_id_number(EXAMPLE_ID_NUMBER)) == 1  # README's worked example
    again = cli("demo", "--if-empty")
    assert again.returncode == 0 and "nothing loaded" in again.stdout


async def test_users_list_set_password_disable_enable() -> None:
    import httpx

    from juvenile_justice.app import create_app

    assert (
        cli(
            "users",
            "add",
            "pro1",
            "--role",
            "prosecutor",
            "--unit",
            "济宁市任城区人民检察院",
            "--password-stdin",
            stdin="synthetic-password-1\n",
        ).returncode
        == 0
    )
    listed = cli("users", "list")
    assert listed.returncode == 0 and "pro1" in listed.stdout and "active" in listed.stdout
    assert "argon2" not in listed.stdout
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:

        async def token(password: str) -> httpx.Response:
            return await c.post("/api/auth/token", json={"username": "pro1", "password": password})

        old = (await token("synthetic-password-1")).json()["access_token"]
        r = cli("users", "set-password", "pro1", "--password-stdin", stdin="synthetic-password-2\n")
        assert r.returncode == 0, r.stderr
        assert (await c.get("/api/me", headers={"Authorization": f"Bearer {old}"})).status_code == 401
        assert (await token("synthetic-password-1")).status_code == 401
        new = (await token("synthetic-password-2")).json()["access_token"]
        assert cli("users", "disable", "pro1").returncode == 0
        assert "DISABLED" in cli("users", "list").stdout
        assert (await c.get("/api/me", headers={"Authorization": f"Bearer {new}"})).status_code == 401
        assert (await token("synthetic-password-2")).status_code == 401
        assert cli("users", "enable", "pro1").returncode == 0
        assert (await token("synthetic-password-2")).status_code == 200
    assert cli("users", "disable", "nobody").returncode == 2
    assert cli("users", "set-password", "pro1", "--password-stdin", stdin="short\n").returncode == 2
