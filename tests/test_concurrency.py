"""Concurrency against a real server process: case numbers stay unique, nothing locks up."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from helpers import ENGINE, PASSWORD, make_user, run_server

CASE = {
    "case_type": "juvenile_suspect",
    "title": "赵某某盗窃案",
    "offense_date": "2021-03-02",
    "received_on": "2021-03-10",
    "charges": [{"name": "盗窃罪", "article": "264"}],
}
STEP = {"kind": "讯问", "occurred_on": "2021-03-12", "summary": "依法讯问。"}


async def test_concurrent_case_creation_gives_unique_numbers(live_server: str) -> None:
    await make_user("pro1", "prosecutor")
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as c:
        t = (await c.post("/api/auth/token", json={"username": "pro1", "password": PASSWORD})).json()
        h = {"Authorization": f"Bearer {t['access_token']}"}
        results = await asyncio.gather(*[c.post("/api/cases", json=CASE, headers=h) for _ in range(30)])
        assert [r.status_code for r in results] == [201] * 30, [r.text for r in results if r.status_code != 201]
        numbers = [r.json()["case_number"] for r in results]
        assert len(set(numbers)) == 30
        serials = sorted(int(n.split("〕")[1].rstrip("号")) for n in numbers)
        assert serials == list(range(1, 31))


async def test_concurrent_stale_updates_one_wins(live_server: str) -> None:
    await make_user("pro1", "prosecutor")
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as c:
        t = (await c.post("/api/auth/token", json={"username": "pro1", "password": PASSWORD})).json()
        h = {"Authorization": f"Bearer {t['access_token']}"}
        case = (await c.post("/api/cases", json=CASE, headers=h)).json()
        results = await asyncio.gather(
            *[
                c.patch(f"/api/cases/{case['id']}", json={"version": 1, "title": f"赵某某盗窃案{i}"}, headers=h)
                for i in range(10)
            ]
        )
        codes = sorted(r.status_code for r in results)
        assert codes == [200] + [409] * 9
        final = (await c.get(f"/api/cases/{case['id']}", headers=h)).json()
        assert final["version"] == 2


@pytest.mark.skipif(ENGINE != "postgresql", reason="several workers need PostgreSQL")
async def test_two_worker_processes_agree() -> None:
    """``serve --workers 2``: tokens, throttling and case numbers are shared through the database."""
    await make_user("pro1", "prosecutor")
    await make_user("pro2", "prosecutor")
    with run_server(workers=2) as url:
        async with httpx.AsyncClient(base_url=url, timeout=60) as c:
            t = (await c.post("/api/auth/token", json={"username": "pro1", "password": PASSWORD})).json()
            h = {"Authorization": f"Bearer {t['access_token']}"}
            results = await asyncio.gather(*[c.post("/api/cases", json=CASE, headers=h) for _ in range(40)])
            assert [r.status_code for r in results] == [201] * 40
            assert len({r.json()["case_number"] for r in results}) == 40
            fails = await asyncio.gather(
                *[c.post("/api/auth/token", json={"username": "pro2", "password": "wrong-password"}) for _ in range(10)]
            )
            assert sum(r.status_code == 401 for r in fails) <= 5
            ok = await c.post("/api/auth/token", json={"username": "pro2", "password": PASSWORD})
            assert ok.status_code == 429


@pytest.mark.skipif(ENGINE != "postgresql", reason="several workers need PostgreSQL")
async def test_four_worker_processes_leave_one_valid_access_log_chain() -> None:
    """Issue 4: ``serve --workers 4`` against one database, 4 users writing and reading at once, every request
    logged: the chain has no fork (each entry follows exactly one other) and verifies."""
    from juvenile_justice import db
    from juvenile_justice.domain.audit import service as audit

    users = [await make_user(f"pro_w{i}", "prosecutor") for i in range(4)]
    start = (await db.fetch_one("SELECT COALESCE(MAX(seq), 0) AS n FROM access_log"))["n"]  # type: ignore[index]
    with run_server(workers=4) as url:
        async with httpx.AsyncClient(base_url=url, timeout=120, limits=httpx.Limits(max_connections=64)) as c:
            headers = []
            for name in users:
                t = (await c.post("/api/auth/token", json={"username": name, "password": PASSWORD})).json()
                headers.append({"Authorization": f"Bearer {t['access_token']}"})

            async def work(h: dict[str, str]) -> list[int]:
                codes = []
                case = await c.post("/api/cases", json=CASE, headers=h)
                codes.append(case.status_code)
                for _ in range(15):
                    rs = await asyncio.gather(
                        c.get(f"/api/cases/{case.json()['id']}", headers=h),
                        c.get("/api/cases", headers=h),
                        c.post(f"/api/cases/{case.json()['id']}/steps", json=STEP, headers=h),
                    )
                    codes += [r.status_code for r in rs]
                return codes

            results = await asyncio.gather(*[work(h) for h in headers for _ in range(3)])
    assert all(code in (200, 201) for codes in results for code in codes), results
    rows = await db.fetch("SELECT seq, prev_hash, entry_hash FROM access_log WHERE seq > {} ORDER BY seq", start)
    assert len(rows) >= 12 * 46
    assert len({r["prev_hash"] for r in rows}) == len(rows)  # no two entries follow the same one: no fork
    assert [r["seq"] for r in rows] == list(range(start + 1, start + 1 + len(rows)))  # no gap
    result = await audit.verify()
    assert result.ok, result
