"""Case-list latency over real HTTP: ``GET /api/cases`` at 10,000 cases in one unit vs ``GET /health``.

For each engine (own worker process, fresh temporary data dir / recreated ``jj_bench_list`` database):

1. migrate; create a prosecutor with ``accounts.service.add_user``; seed ``--cases`` cases (titles,
   dates and charges of the demo generator, cycled) into the prosecutor's unit with bulk inserts;
2. start a real ``juvenile-justice serve`` process on a free port (same environment);
3. get a bearer token from ``POST /api/auth/token``;
4. time ``--requests`` requests of each endpoint, interleaved (shuffled per round), sequentially over
   one keep-alive connection, after ``--warmup`` rounds:

   * ``health``       ``GET /health`` (one ``SELECT 1``, no authentication): the in-run baseline;
   * ``first``        ``GET /api/cases`` (default limit 50);
   * ``charge``       ``?charge=盗窃罪``;
   * ``q``            ``?q=<most common surname>`` (title LIKE);
   * ``charge+q``     both filters (few matches: scans much of the unit);
   * ``q-rare``       ``?q=<one case number near the oldest>`` (one match: scans the whole unit);
   * ``deep``         ``?cursor=`` a real cursor after walking ~90 % of the list.

p50/p99 in ms and their ratios to ``health`` are printed.

    .venv/bin/python bench/bench_case_list.py [--engine sqlite|postgres|both] [--requests 200] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

TAG = "bench_case_list"
UNIT = "济宁市任城区人民检察院"
USERNAME = "bench_prosecutor"
CHARGE = "盗窃罪"
ENDPOINT_ORDER = ("health", "first", "charge", "q", "charge+q", "q-rare", "deep")


# --------------------------------------------------------------------------- seeding (worker)


def _shift_year(d: date, years: int) -> date:
    return d.replace(year=d.year - years)


async def _seed(n: int, seed: int, password: str) -> dict[str, Any]:
    """Migrate, create the prosecutor, bulk-insert ``n`` cases with charges; facts for the queries."""
    from juvenile_justice import db
    from juvenile_justice.domain.accounts import service as accounts
    from juvenile_justice.domain.accounts.repository import unit_by_name
    from juvenile_justice.domain.cases.criminal_law import lookup_article
    from juvenile_justice.domain.cases.tables import CaseCharge, CaseFile
    from juvenile_justice.domain.demo.generator import import_lines

    await db.start()
    try:
        await db.migrate()
        user_id = await accounts.add_user(USERNAME, role="prosecutor", unit=UNIT, password=password)
        unit = await unit_by_name(UNIT)
        assert unit is not None
        lines = list(import_lines(seed))
        now = datetime.now(UTC)
        cases: list[Any] = []
        charges: list[Any] = []
        serials: Counter[int] = Counter()
        numbers: dict[int, str] = {}
        surnames: Counter[str] = Counter()
        t0 = time.perf_counter()
        for i in range(n):
            line = lines[i % len(lines)]
            back = i // len(lines)  # each further cycle through the demo year moves one year back
            received = _shift_year(date.fromisoformat(line["received_on"]), back)
            offense = _shift_year(date.fromisoformat(line["offense_date"]), back)
            serials[received.year] += 1
            case_id = i + 1
            numbers[case_id] = f"任检未受〔{received.year}〕{serials[received.year]}号"
            surnames[line["title"][0]] += 1
            cases.append(
                CaseFile(
                    id=case_id,
                    unit=unit.id,
                    case_number=numbers[case_id],
                    case_type=line["case_type"],
                    title=line["title"],
                    offense_date=offense,
                    received_on=received,
                    external_id=None,
                    created_by=user_id,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
            for pos, ch in enumerate(line["charges"]):
                info = lookup_article(ch["article"])
                charges.append(
                    CaseCharge(
                        case_file=case_id,
                        position=pos,
                        name=ch["name"],
                        article=info.article if info else ch["article"],
                        chapter=info.chapter if info else 0,
                    )
                )
        async with db.transaction():
            for rows, table in ((cases, CaseFile), (charges, CaseCharge)):
                for j in range(0, len(rows), 500):
                    await table.insert(*rows[j : j + 500])
        if db.is_postgres():
            await db.execute_script(
                [
                    "SELECT setval(pg_get_serial_sequence('case_file', 'id'), (SELECT max(id) FROM case_file))",
                    "ANALYZE",
                ]
            )
        else:
            await db.execute_script(["ANALYZE"])
        seeded = time.perf_counter() - t0
        charge_hits = sum(1 for ch in charges if ch.name == CHARGE)
        return {
            "cases": n,
            "charges": len(charges),
            "seed_s": seeded,
            "unit_id": unit.id,
            "q": surnames.most_common(1)[0][0],
            "q_rare": numbers[min(10, n)],
            "charge_hits": charge_hits,
        }
    finally:
        await db.stop()


# --------------------------------------------------------------------------- server and requests


def _server_command() -> list[str]:
    script = Path(sys.executable).with_name("juvenile-justice")
    if script.exists():
        return [str(script), "serve"]
    return [sys.executable, "-m", "juvenile_justice.cli", "serve"]


def _start_server(data_dir: Path, *, whatif: str | None = None) -> tuple[subprocess.Popen[bytes], str, Any]:
    import httpx

    port = c.free_port()
    logfile = (data_dir / "server.log").open("ab")
    command = [sys.executable, str(c.BENCH_DIR / "_serve_whatif.py"), "serve"] if whatif else _server_command()
    env = dict(os.environ)
    if whatif:
        env["JJ_BENCH_WHATIF"] = whatif
    proc = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=logfile,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            logfile.close()
            raise SystemExit(f"server exited: {(data_dir / 'server.log').read_text()[-2000:]}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url, logfile
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("server did not start within 60 s")


def _stop_server(proc: subprocess.Popen[bytes], logfile: Any) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    logfile.close()


def _measure(url: str, password: str, facts: dict[str, Any], requests: int, warmup: int) -> dict[str, Any]:
    import httpx

    with httpx.Client(base_url=url, timeout=60) as client:
        r = client.post("/api/auth/token", json={"username": USERNAME, "password": password})
        r.raise_for_status()
        client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

        # A real deep cursor: walk the list with big pages to ~90 % of its length.
        cursor, walked = None, 0
        while walked < facts["cases"] * 0.9:
            page = client.get("/api/cases", params={"limit": 500, **({"cursor": cursor} if cursor else {})})
            page.raise_for_status()
            body = page.json()
            walked += len(body["items"])
            if not body["next_cursor"]:
                break
            cursor = body["next_cursor"]
        endpoints: dict[str, tuple[str, dict[str, str]]] = {
            "health": ("/health", {}),
            "first": ("/api/cases", {}),
            "charge": ("/api/cases", {"charge": CHARGE}),
            "q": ("/api/cases", {"q": facts["q"]}),
            "charge+q": ("/api/cases", {"charge": CHARGE, "q": facts["q"]}),
            "q-rare": ("/api/cases", {"q": facts["q_rare"]}),
            "deep": ("/api/cases", {"cursor": cursor or ""}),
        }
        items: dict[str, int] = {}
        for name, (path, params) in endpoints.items():
            resp = client.get(path, params=params)
            if resp.status_code != 200:
                raise SystemExit(f"{name}: {resp.status_code} {resp.text[:300]}")
            items[name] = len(resp.json().get("items", [])) if path != "/health" else 0
        if items["q-rare"] != 1 or not all(items[k] for k in ENDPOINT_ORDER if k != "health"):
            raise SystemExit(f"unexpected page sizes: {items}")

        timings: dict[str, list[float]] = {name: [] for name in endpoints}
        rng = random.Random(0)
        order = list(endpoints)
        for round_ in range(warmup + requests):
            rng.shuffle(order)
            for name in order:
                path, params = endpoints[name]
                t0 = time.perf_counter()
                resp = client.get(path, params=params)
                elapsed = (time.perf_counter() - t0) * 1000
                if resp.status_code != 200:
                    raise SystemExit(f"{name}: {resp.status_code}")
                if round_ >= warmup:
                    timings[name].append(elapsed)
    return {"timings": timings, "items": items, "params": {k: v[1] for k, v in endpoints.items()}}


def _stats(timings: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    stats = {name: c.summary(v) for name, v in timings.items()}
    base = stats["health"]
    for s in stats.values():
        s["ratio_p50"] = s["p50"] / base["p50"]
        s["ratio_p99"] = s["p99"] / base["p99"]
    return stats


WHATIFS = {
    "keeper": "server holding one SQLite connection open",
    "shared-read": "kept-open connection + SELECTs outside transactions on one long-lived connection",
}


def _measure_servers(
    args: argparse.Namespace, engine: str, data_dir: Path, password: str, facts: dict[str, Any]
) -> dict[str, Any]:
    """Measure the server as is and, with ``--whatif`` on SQLite, the prototypes of _serve_whatif.py.

    The servers run one after the other in blocks (A B C A B C), never at the same time: a connection
    kept open by one process changes SQLite's behaviour for every process on the file.
    """
    variants: list[str | None] = [None, *WHATIFS] if args.whatif and engine == "sqlite" else [None]
    blocks = 2 if len(variants) > 1 else 1
    merged: dict[str | None, dict[str, list[float]]] = {v: {} for v in variants}
    extra: dict[str, Any] = {}
    for block in range(blocks):
        n = args.requests // blocks + (args.requests % blocks if block == blocks - 1 else 0)
        for whatif in variants:
            c.log(TAG, f"{engine}: block {block + 1}/{blocks}: server {whatif or 'as is'}")
            proc, url, logfile = _start_server(data_dir, whatif=whatif)
            try:
                measured = _measure(url, password, facts, n, args.warmup)
            finally:
                _stop_server(proc, logfile)
            for name, values in measured.pop("timings").items():
                merged[whatif].setdefault(name, []).extend(values)
            extra.update(measured)
    result = {**extra, "endpoints": _stats(merged[None])}
    whatifs = {v: {"endpoints": _stats(merged[v]), "label": WHATIFS[v]} for v in variants if v}
    if whatifs:
        result["whatif"] = whatifs
    return result


def worker(args: argparse.Namespace) -> None:
    engine = args.worker
    password = secrets.token_urlsafe(18)
    with c.temp_data_dir(f"jj-bench-list-{engine}-") as data_dir:
        env = c.configure_environment(engine, data_dir, args.pg_db)
        c.log(TAG, f"{engine}: {env['JJ_DATABASE_URL']}; juvenile_justice from {c.imported_from()}")
        try:
            facts = asyncio.run(_seed(args.cases, args.seed, password))
            c.log(
                TAG,
                f"{engine}: seeded {facts['cases']} cases, {facts['charges']} charges "
                f"in {facts['seed_s']:.1f} s; starting the server",
            )
            measured = _measure_servers(args, engine, data_dir, password, facts)
        finally:
            if engine == "postgres" and not args.keep_db:
                c.drop_pg_db(args.pg_db)
    c.write_result(args.result_file, {"engine": engine, "requests": args.requests, **facts, **measured})


# --------------------------------------------------------------------------- driver


def report(results: dict[str, dict[str, Any]]) -> str:
    """Human-readable results."""
    lines = [
        "",
        "== case list latency over HTTP (ms; ratio = endpoint / GET /health, same server, same run) ==",
    ]
    for engine, r in results.items():
        if "endpoints" not in r:
            lines.append(f"-- {engine}: {r.get('skipped') or r.get('error')}")
            continue
        lines.append(
            f"-- {engine}: {r['cases']} cases in one unit, {r['requests']} requests per endpoint; "
            f"q={r['q']!r}, q-rare={r['q_rare']!r}, {r['charge_hits']} cases charged {CHARGE}"
        )
        rows = []
        for name in ENDPOINT_ORDER:
            s = r["endpoints"][name]
            rows.append(
                [
                    name,
                    r["items"][name] if name != "health" else "-",
                    f"{s['p50']:.2f}",
                    f"{s['p99']:.2f}",
                    f"{s['mean']:.2f}",
                    f"{s['ratio_p50']:.2f}",
                    f"{s['ratio_p99']:.2f}",
                ]
            )
        lines.append(c.table(["endpoint", "items", "p50", "p99", "mean", "p50/health", "p99/health"], rows))
        lines.append(f"code: {r['code']}")
        for key, w in (r.get("whatif") or {}).items():
            lines.append(
                f"-- {engine} what-if {key!r} ({w['label']}; bench/_serve_whatif.py), same data, run in "
                "alternate blocks with the server as is; 'vs as is' = p50 / p50 of the table above"
            )
            rows = []
            for name in ENDPOINT_ORDER:
                s = w["endpoints"][name]
                rows.append(
                    [
                        name,
                        f"{s['p50']:.2f}",
                        f"{s['p99']:.2f}",
                        f"{s['ratio_p50']:.2f}",
                        f"{s['ratio_p99']:.2f}",
                        f"{s['p50'] / r['endpoints'][name]['p50']:.2f}",
                    ]
                )
            lines.append(c.table(["endpoint", "p50", "p99", "p50/health", "p99/health", "vs as is"], rows))
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--cases", type=int, default=10_000, help="cases seeded in the unit (default 10000)")
    p.add_argument("--requests", type=int, default=None, help="timed requests per endpoint (default 200, quick 50)")
    p.add_argument("--warmup", type=int, default=None, help="untimed rounds first (default 20, quick 5)")
    p.add_argument("--seed", type=int, default=2021)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--whatif", action="store_true", help="SQLite: also measure a server with a kept-open connection")
    p.add_argument("--pg-db", default="jj_bench_list", help="bench database (dropped and recreated)")
    p.add_argument("--keep-db", action="store_true", help="do not drop the PostgreSQL bench database")
    p.add_argument("--json-out", help="write the results as JSON here")
    c.add_tree_arguments(p)
    p.add_argument("--worker", choices=c.ENGINES, help=argparse.SUPPRESS)
    p.add_argument("--result-file", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.requests is None:
        args.requests = 50 if args.quick else 200
    if args.warmup is None:
        args.warmup = 5 if args.quick else 20
    return args


def main(argv: list[str] | None = None) -> dict[str, dict[str, Any]]:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return {}
    extra = [
        f"--cases={args.cases}",
        f"--requests={args.requests}",
        f"--warmup={args.warmup}",
        f"--seed={args.seed}",
        f"--pg-db={args.pg_db}",
        *(["--keep-db"] if args.keep_db else []),
        *(["--whatif"] if args.whatif else []),
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
