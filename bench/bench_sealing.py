"""The sealed-status check under load (issue 6): ``POST /api/sealed-status/lookup`` against a bare handler.

For each engine (own worker process; fresh temporary data dir and keyring / recreated ``jj_bench_sealing``):

1. ``seed``: ``--people`` persons (10 per case, one unit), each with a judgment, and a sealed record for
   ``--sealed-share`` of them, written as the repositories write them (envelopes, blind indexes), then
   bulk-loaded (COPY on PostgreSQL).
2. ``load``: a real ``juvenile-justice serve`` (one process, ``--server-workers`` to change it) with one
   bench-only route added (``_serve_bare.py``): ``POST /api/bench/bare-lookup`` runs the same indexed lookup
   (``records_by_id_number``) with no log-in, validation or access log. ``--clients`` concurrent clients
   (asyncio, keep-alive) send ``--requests`` lookups to each handler, in alternating blocks (bare, full,
   bare, full), half for sealed persons and half for others. Throughput (requests/s over the block's
   wall time) and p50/p99 latency for both; the aim is at least half the bare handler's throughput and
   a p99 no more than twice its p99.

    .venv/bin/python bench/bench_sealing.py [--engine postgres|sqlite|both] [--people 1000000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

TAG = "bench_sealing"
UNIT = "济宁市任城区人民检察院"
COURT = "济宁市任城区人民法院"
PROSECUTOR, JUDGE = "bench_prosecutor", "bench_judge"
OFFENSE, RECEIVED, DECIDED = date(2021, 3, 2), date(2021, 3, 10), date(2021, 9, 1)


async def _seed(people: int, share: float, password: str) -> dict[str, Any]:
    from bench_crypto import _ids

    from juvenile_justice import db
    from juvenile_justice import protection as pf
    from juvenile_justice.domain.accounts import service as accounts
    from juvenile_justice.domain.accounts.repository import unit_by_name
    from juvenile_justice.domain.keys.service import ensure_keyring
    from juvenile_justice.domain.sealing.repository import record_binding

    await ensure_keyring()
    await db.migrate()
    user_id = await accounts.add_user(PROSECUTOR, role="prosecutor", unit=UNIT, password=password)
    await accounts.add_user(JUDGE, role="judge", unit=COURT, password=password)
    unit = await unit_by_name(UNIT)
    assert unit is not None
    fc = pf.field_crypto()
    now = datetime.now(UTC)
    numbers = _ids(people)
    rng = random.Random(11)
    sealed = set(rng.sample(range(1, people + 1), int(people * share)))
    t0 = time.perf_counter()
    cases = (people + 9) // 10
    case_rows = [(i, unit.id, f"任检未受〔2021〕{i}号", "juvenile_suspect", "某某案", OFFENSE, RECEIVED, user_id, 1,
                  now, now) for i in range(1, cases + 1)]  # fmt: skip
    person_rows, decision_rows, record_rows = [], [], []
    trace = json.dumps({"eligible": True, "ruleset_version": "seal-2022.1", "as_of": "2021-09-15", "rules": []})
    for i, number in enumerate(numbers, start=1):
        case_id = (i - 1) // 10 + 1
        cell = pf.case_row(case_id, i)
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        person_rows.append((
            i, case_id, "suspect", fc.encrypt_field(f"某{i:07d}", table="person", column="name", row_id=cell),
            fc.encrypt_field(number, table="person", column="id_number", row_id=cell), "male", birth, 17, True,
            None, None, None, 1, now, pf.id_number_index(number), pf.id_number_digest(case_id, number),
        ))  # fmt: skip
        decision_rows.append((i, case_id, i, "judgment", DECIDED, DECIDED, f"(2021)鲁0811刑初{i}号", "fixed_term", 24,
                              None, user_id, now))  # fmt: skip
        if i in sealed:
            row = {"id": i, "unit": unit.id, "case_file": case_id, "person": i, "decision": i, "basis": "judgment"}
            binding = record_binding(row)
            content = json.dumps({"person": {"name": f"某{i:07d}", "id_number": number}}, ensure_ascii=False)
            record_rows.append((
                i, unit.id, case_id, i, i, "judgment", DECIDED, now, user_id, None, trace, "seal-2022.1",
                fc.encrypt_field(number, table="sealed_record", column="id_number", row_id=binding),
                pf.id_number_index(number),
                fc.encrypt_field(content, table="sealed_record", column="content", row_id=binding), None, "sealed",
                None,
            ))  # fmt: skip
    seal_s = time.perf_counter() - t0
    cols = {
        "case_file": ["id", "unit", "case_number", "case_type", "title", "offense_date", "received_on", "created_by",
                      "version", "created_at", "updated_at"],
        "person": ["id", "case_file", "role", "name", "id_number", "gender", "birth_date", "age_at_offense",
                   "minor_at_offense", "phone", "address", "spp_approval_document", "version", "created_at",
                   "id_number_index", "id_number_digest"],
        "decision": ["id", "case_file", "person", "kind", "decision_date", "effective_date", "document_number",
                     "sentence_kind", "sentence_months", "basis_article", "created_by", "created_at"],
        "sealed_record": ["id", "unit", "case_file", "person", "decision", "basis", "sealed_on", "sealed_at",
                          "sealed_by", "advised_on", "eligibility", "ruleset_version", "id_number", "id_number_index",
                          "content", "notice_document", "status", "unsealed_on"],
    }  # fmt: skip
    data = {"case_file": case_rows, "person": person_rows, "decision": decision_rows, "sealed_record": record_rows}
    t1 = time.perf_counter()
    engine = db.engine()
    if db.is_postgres():
        async with engine.pool.acquire() as conn:  # type: ignore[attr-defined]
            for table, rows in data.items():
                await conn.copy_records_to_table(table, records=rows, columns=cols[table])
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            await conn.execute("ANALYZE")
    else:
        import sqlite3

        conn = sqlite3.connect(engine.connection_kwargs["database"])  # type: ignore[attr-defined]
        with conn:
            for table, rows in data.items():
                marks = ", ".join("?" * len(cols[table]))
                conn.executemany(
                    f"INSERT INTO {table} ({', '.join(cols[table])}) VALUES ({marks})",
                    [tuple(v.isoformat() if isinstance(v, date | datetime) else v for v in r) for r in rows],
                )
        conn.execute("ANALYZE")
        conn.close()
    hits = [numbers[i - 1] for i in sorted(sealed)]
    misses = [numbers[i - 1] for i in range(1, people + 1) if i not in sealed]
    return {
        "people": people,
        "cases": cases,
        "sealed": len(record_rows),
        "seal_s": seal_s,
        "load_s": time.perf_counter() - t1,
        "hits_sample": rng.sample(hits, min(len(hits), 2000)),
        "misses_sample": rng.sample(misses, min(len(misses), 2000)) if misses else [],
    }


async def _block(url: str, path: str, headers: dict[str, str], numbers: list[str], clients: int, n: int,
                 check: bool) -> tuple[float, list[float]]:  # fmt: skip
    """``n`` lookups of ``numbers`` (cycled) by ``clients`` concurrent clients; (wall seconds, latencies ms)."""
    import httpx

    latencies: list[float] = []
    queue = iter(range(n))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client_loop(client: httpx.AsyncClient) -> None:
        for i in queue:
            number = numbers[i % len(numbers)]
            t0 = time.perf_counter()
            r = await client.post(path, json={"id_number": number}, headers=headers)
            latencies.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                raise SystemExit(f"{path}: {r.status_code} {r.text[:200]}")
            if check and r.json()["sealed"] is not (i % 2 == 0):
                raise SystemExit(f"{path}: wrong answer for a {'hit' if i % 2 == 0 else 'miss'}")

    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        return time.perf_counter() - t0, latencies


def _measure(url: str, password: str, facts: dict[str, Any], clients: int, requests: int) -> dict[str, Any]:
    import httpx

    token = httpx.post(url + "/api/auth/token", json={"username": JUDGE, "password": password}, timeout=30)
    token.raise_for_status()
    judge = {"Authorization": f"Bearer {token.json()['access_token']}"}
    hits, misses = facts["hits_sample"], facts["misses_sample"] or facts["hits_sample"]
    numbers = [x for pair in zip(hits, misses, strict=False) for x in pair]  # even: a hit, odd: a miss
    check = bool(facts["misses_sample"])
    handlers = {"bare": ("/api/bench/bare-lookup", {}), "full": ("/api/sealed-status/lookup", judge)}
    walls: dict[str, float] = {k: 0.0 for k in handlers}
    lat: dict[str, list[float]] = {k: [] for k in handlers}
    for path, headers in handlers.values():  # warm-up
        asyncio.run(_block(url, path, headers, numbers, clients, clients * 4, check))
    for _block_no in range(2):
        for name, (path, headers) in handlers.items():
            wall, values = asyncio.run(_block(url, path, headers, numbers, clients, requests // 2, check))
            walls[name] += wall
            lat[name] += values
    out: dict[str, Any] = {"clients": clients, "requests": requests}
    for name in handlers:
        out[name] = {**c.summary(lat[name]), "per_s": len(lat[name]) / walls[name]}
    out["throughput_ratio"] = out["full"]["per_s"] / out["bare"]["per_s"]
    out["p99_ratio"] = out["full"]["p99"] / out["bare"]["p99"]
    return out


def worker(args: argparse.Namespace) -> None:
    engine = args.worker
    password = secrets.token_urlsafe(18)
    people = args.people if engine == "postgres" else args.sqlite_people
    with c.temp_data_dir(f"jj-bench-sealing-{engine}-") as data_dir:
        env = c.configure_environment(engine, data_dir, args.pg_db)
        c.log(TAG, f"{engine}: {env['JJ_DATABASE_URL']}; juvenile_justice from {c.imported_from()}")
        from bench_case_list import _stop_server

        from juvenile_justice import db

        result: dict[str, Any] = {"engine": engine}
        try:

            async def seed() -> dict[str, Any]:
                await db.start()
                try:
                    return await _seed(people, args.sealed_share, password)
                finally:
                    await db.stop()

            facts = asyncio.run(seed())
            c.log(TAG, f"{engine}: seeded {people} persons in {facts['seal_s']:.1f} + {facts['load_s']:.1f} s")
            proc, url, logfile = _start(data_dir, args.server_workers)
            try:
                result["load"] = _measure(url, password, facts, args.clients, args.requests)
            finally:
                _stop_server(proc, logfile)
            facts.pop("hits_sample")
            facts.pop("misses_sample")
            result["seed"] = facts
        finally:
            if engine == "postgres" and not args.keep_db:
                c.drop_pg_db(args.pg_db)
    c.write_result(args.result_file, result)


def _start(data_dir: Path, workers: int) -> tuple[Any, str, Any]:
    import subprocess

    import httpx

    port = c.free_port()
    logfile = (data_dir / "server.log").open("ab")
    env = {**os.environ, "JJ_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    proc = subprocess.Popen(
        [sys.executable, str(c.BENCH_DIR / "_serve_bare.py"), "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        env=env, stdout=logfile, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {(data_dir / 'server.log').read_text()[-2000:]}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url, logfile
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("server did not start within 120 s")


def report(results: dict[str, dict[str, Any]]) -> str:
    """Human-readable results."""
    lines = ["", "== sealed-status check under load (issue 6) =="]
    for engine, r in results.items():
        if "load" not in r:
            lines.append(f"-- {engine}: {r.get('skipped') or r.get('error')}")
            continue
        s, load = r["seed"], r["load"]
        lines.append(
            f"-- {engine}: {s['people']:,} persons, {s['sealed']:,} sealed records; {load['clients']} concurrent "
            f"clients, {load['requests']:,} lookups per handler (half hits)"
        )
        rows = [
            [name, f"{load[key]['per_s']:.0f}", f"{load[key]['p50']:.2f}", f"{load[key]['p99']:.2f}"]
            for name, key in (
                ("bare handler (same indexed lookup)", "bare"),
                ("POST /api/sealed-status/lookup", "full"),
            )
        ]
        lines.append(c.table(["handler", "req/s", "p50 ms", "p99 ms"], rows))
        lines.append(
            f"throughput {load['throughput_ratio']:.2f} of the bare handler's (aim ≥ 0.5); "
            f"p99 {load['p99_ratio']:.2f}× (aim ≤ 2)"
        )
        lines.append(f"code: {r.get('code')}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="postgres")
    p.add_argument("--people", type=int, default=None, help="persons on PostgreSQL (default 1,000,000; quick 50,000)")
    p.add_argument("--sqlite-people", type=int, default=None, help="persons on SQLite (default 100,000; quick 20,000)")
    p.add_argument("--sealed-share", type=float, default=0.5, help="share of persons with a sealed record")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--requests", type=int, default=4000, help="timed lookups per handler")
    p.add_argument("--server-workers", type=int, default=1)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--pg-db", default="jj_bench_sealing", help="bench database (dropped and recreated)")
    p.add_argument("--keep-db", action="store_true")
    p.add_argument("--json-out", help="write the results as JSON here")
    c.add_tree_arguments(p)
    p.add_argument("--worker", choices=c.ENGINES, help=argparse.SUPPRESS)
    p.add_argument("--result-file", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.people is None:
        args.people = 50_000 if args.quick else 1_000_000
    if args.sqlite_people is None:
        args.sqlite_people = 20_000 if args.quick else 100_000
    if args.quick:
        args.requests = min(args.requests, 1000)
    return args


def main(argv: list[str] | None = None) -> dict[str, dict[str, Any]]:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return {}
    extra = [
        f"--people={args.people}",
        f"--sqlite-people={args.sqlite_people}",
        f"--sealed-share={args.sealed_share}",
        f"--clients={args.clients}",
        f"--requests={args.requests}",
        f"--server-workers={args.server_workers}",
        f"--pg-db={args.pg_db}",
        *(["--keep-db"] if args.keep_db else []),
    ]
    with c.exported_tree(args.at_rev) as exported:
        tree = exported or (args.tree.resolve() if args.tree else None)
        results = c.run_workers(Path(__file__).resolve(), c.engines_for(args.engine), extra, tree)
    print(report(results), flush=True)
    c.write_result(args.json_out, results)
    return results


if __name__ == "__main__":
    os.chdir(c.REPO)
    main()
