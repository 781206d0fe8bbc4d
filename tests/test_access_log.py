"""The access log's storage (issue 4): append under a lock, append-only at the database, verify."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest

from helpers import ENGINE, PASSWORD, make_user
from juvenile_justice import db
from juvenile_justice.domain.audit import service as audit


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "juvenile_justice.cli", *args],
        text=True,
        capture_output=True,
        env=dict(os.environ),
        timeout=300,
    )


async def _append(n: int, action: str = "person.read") -> list[int]:
    return [
        await audit.record(
            audit.Event(action=action, outcome="allowed", actor="pro1", role="prosecutor", target=f"person:{i}")
        )
        for i in range(n)
    ]


async def test_entries_chain_in_order_and_verify() -> None:
    before = (await db.fetch("SELECT COUNT(*) AS n FROM access_log"))[0]["n"]
    seqs = await _append(5)
    assert seqs == list(range(before + 1, before + 6))
    result = await audit.verify()
    assert result.ok and result.checked == before + 5


async def test_concurrent_appends_never_fork_the_chain() -> None:
    before = (await db.fetch("SELECT MAX(seq) AS n FROM access_log"))[0]["n"] or 0

    async def one(i: int) -> int:
        return await audit.record(audit.Event(action="person.read", outcome="allowed", target=f"person:{i}"))

    seqs = await asyncio.gather(*(one(i) for i in range(40)))
    assert sorted(seqs) == list(range(before + 1, before + 41))
    rows = await db.fetch("SELECT prev_hash FROM access_log")
    assert len({r["prev_hash"] for r in rows}) == len(rows)  # every entry has its own predecessor: no fork
    assert (await audit.verify()).ok


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE access_log SET actor = 'someone else'",
        "DELETE FROM access_log",
        *(["TRUNCATE access_log"] if ENGINE == "postgresql" else []),
    ],
)
async def test_the_database_refuses_changes_to_the_log(sql: str) -> None:
    await _append(2)
    with pytest.raises(Exception, match="append-only"):
        async with db.transaction():
            await db.fetch(sql)
    assert (await audit.verify()).ok


@pytest.fixture
async def unguarded_log() -> AsyncIterator[None]:
    """The log with its update trigger off (as someone with the database owner's rights could)."""
    if ENGINE == "postgresql":
        await db.execute_script(["ALTER TABLE access_log DISABLE TRIGGER access_log_no_update"])
        yield
        await db.execute_script(["ALTER TABLE access_log ENABLE TRIGGER access_log_no_update"])
    else:
        [t] = await db.fetch("SELECT sql FROM sqlite_master WHERE name = 'access_log_no_update'")
        await db.execute_script(["DROP TRIGGER access_log_no_update"])
        yield
        await db.execute_script([t["sql"]])


@pytest.mark.usefixtures("unguarded_log")
async def test_audit_verify_names_the_first_tampered_entry() -> None:
    seqs = await _append(6)
    target = seqs[3]
    original = (await db.fetch("SELECT actor FROM access_log WHERE seq = {}", target))[0]["actor"]
    ok = cli("audit", "verify")
    assert ok.returncode == 0 and "access log valid" in ok.stdout, ok.stderr
    try:
        async with db.transaction():
            await db.fetch("UPDATE access_log SET actor = 'nobody' WHERE seq = {}", target)
        bad = cli("audit", "verify")
        assert bad.returncode == 1 and f"TAMPERED at entry {target}" in bad.stderr, bad.stderr
        result = await audit.verify()
        assert not result.ok and result.first_bad_seq == target and result.reason == "entry changed"
    finally:
        async with db.transaction():
            await db.fetch("UPDATE access_log SET actor = {} WHERE seq = {}", original, target)
    assert (await audit.verify()).ok


async def test_log_ins_are_logged_without_the_typed_text(client: httpx.AsyncClient) -> None:
    await make_user("pro_log", "prosecutor")
    start = (await db.fetch("SELECT COALESCE(MAX(seq), 0) AS n FROM access_log"))[0]["n"]
    typed_name = "司马青鸾"
    for username, password in (
        (typed_name, "wrong-password-1"),
        ("pro_log", "wrong-password-1"),
        ("pro_log", PASSWORD),
    ):
        await client.post("/api/auth/token", json={"username": username, "password": password})
    rows = await db.fetch("SELECT * FROM access_log WHERE seq > {} ORDER BY seq", start)
    assert [(r["action"], r["outcome"], r["actor"]) for r in rows] == [
        ("auth.login", "refused", None),
        ("auth.login", "refused", "pro_log"),
        ("auth.login", "allowed", "pro_log"),
    ]
    assert rows[2]["role"] == "prosecutor" and rows[2]["unit"] is not None and rows[2]["purpose"] == "bearer"
    assert rows[1]["unit"] == rows[2]["unit"] and rows[0]["unit"] is None  # guesses are seen by the user's auditors
    assert rows[1]["target"] == rows[2]["target"] != rows[0]["target"]  # the same keyed hash for the same name
    assert all(typed_name not in str(r) for r in rows)
    assert (await audit.verify()).ok


@pytest.mark.skipif(ENGINE != "postgresql", reason="database roles are PostgreSQL's")
async def test_the_services_database_role_cannot_alter_the_log() -> None:
    """security.md A11: with JJ_APP_DB_ROLE, ``migrate`` leaves the service's role able to append to the log
    and to work on every other table, and unable to change, delete, truncate or unprotect the log."""
    from urllib.parse import urlparse

    import asyncpg

    role = f"jj_app_{os.getpid()}"
    await db.execute_script([f"DROP ROLE IF EXISTS {role}", f"CREATE ROLE {role} LOGIN"])
    try:
        await db.grant_app_role(role)
        await _append(2)
        url = urlparse(os.environ["JJ_DATABASE_URL"])
        conn = await asyncpg.connect(url._replace(netloc=f"{role}@{url.hostname}:{url.port or 5432}").geturl())
        try:
            assert await conn.fetchval("SELECT COUNT(*) FROM access_log") >= 2
            assert await conn.fetchval("SELECT COUNT(*) FROM person") >= 0
            head = await conn.fetchrow("SELECT seq, entry_hash FROM access_log ORDER BY seq DESC LIMIT 1")
            for sql in (
                "UPDATE access_log SET actor = 'x'",
                "DELETE FROM access_log",
                "TRUNCATE access_log",
                "ALTER TABLE access_log DISABLE TRIGGER USER",
                "DROP TRIGGER access_log_no_update ON access_log",
                "INSERT INTO access_log_anchor VALUES (1, 2, 'x', 'x', 'x', 'x')",
                "UPDATE access_log_meta SET log_id = 'x'",
                "DELETE FROM migration",
            ):
                with pytest.raises((asyncpg.InsufficientPrivilegeError, asyncpg.exceptions.RaiseError)):
                    async with conn.transaction():
                        await conn.execute("SELECT set_config('jj.audit_prune', 'on', true)")
                        await conn.execute(sql)
            assert await conn.fetchval("SELECT pg_has_role(current_user, 'postgres', 'USAGE')") is False
            appending = conn.transaction()  # appending is what the role may do (rolled back: no forged entry)
            await appending.start()
            await conn.execute("SELECT pg_advisory_xact_lock($1)", 0x6A6A_A0D1)
            await conn.execute(
                "INSERT INTO access_log (seq, at, action, outcome, prev_hash, entry_hash) "
                "VALUES ($1, '2026-01-01T00:00:00.000000Z', 'x', 'allowed', $2, 'ab')",
                head["seq"] + 1,
                head["entry_hash"],
            )
            await appending.rollback()
        finally:
            await conn.close()
        assert (await audit.verify()).ok
    finally:
        await db.execute_script([f"DROP OWNED BY {role}", f"DROP ROLE {role}"])


@pytest.mark.skipif(
    ENGINE != "sqlite", reason="only SQLite stores text in an integer column or bytes that are not UTF-8"
)
@pytest.mark.usefixtures("unguarded_log")
@pytest.mark.parametrize(
    ("column", "bad"), [("unit", "'abc'"), ("record_unit", "1.5"), ("target", "CAST(X'EDA080' AS TEXT)"), ("at", "'x'")]
)
async def test_a_malformed_value_in_the_file_is_reported_not_raised(
    client: httpx.AsyncClient, column: str, bad: str
) -> None:
    """A changed SQLite file may hold anything in any column: verification names the entry, and the
    auditors' pages and API still answer (no 500, no traceback)."""
    await make_user("aud_m", "auditor")
    r = await client.post("/api/auth/token", json={"username": "aud_m", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    [target] = await _append(1)
    original = await db.fetch_one(
        f"SELECT {column} AS v, typeof({column}) AS t FROM access_log WHERE seq = {{}}", target
    )
    assert original is not None
    try:
        async with db.transaction():
            await db.fetch(f"UPDATE access_log SET {column} = {bad} WHERE seq = {{}}", target)
        result = await audit.verify()
        assert not result.ok and result.first_bad_seq == target, result
        answer = await client.get("/api/audit/verify", headers=headers)
        assert answer.status_code == 200 and answer.json()["valid"] is False
        assert answer.json()["first_bad_seq"] == target
        assert (await client.get("/api/audit/access-log", headers=headers)).status_code == 200
        assert (await client.get("/api/audit/access-log?flagged=true", headers=headers)).status_code == 200
        cli_result = cli("audit", "verify")
        assert cli_result.returncode == 1 and "Traceback" not in cli_result.stderr, cli_result.stderr
    finally:
        async with db.transaction():
            await db.fetch(f"UPDATE access_log SET {column} = {{}} WHERE seq = {{}}", original["v"], target)
    assert (await audit.verify()).ok
