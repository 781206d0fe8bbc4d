"""Access-log benchmark (issue 4; security.md A7, A8): append rate and verification rate.

    .venv/bin/python bench/bench_audit.py [--engine sqlite|postgres|both] [--appends N] [--clients C]
                                          [--verify-n M] [--quick]

Append: ``--clients`` coroutines (default 50) each write entries through ``audit.record`` (its own
transaction, chained under the append lock: what every logged request does) until ``--appends`` entries
are written. Baseline in the same run: the same rows, inserted by the same coroutines, each in its own
transaction, into a plain table with the same columns (no lock, no chain). Aim: at least 1,000 appends/s
on PostgreSQL (security.md A7: 500/s on SQLite).

Verify: ``--verify-n`` entries (default 200,000) built in memory, checked by ``verify_chain``; baseline:
hashing the same bytes (previous hash ‖ canonical entry) with hashlib in a loop. Also the whole stored
log verified from the database (``audit verify``). Aim: at least 100,000 entries/s.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

TAG = "bench_audit"


def _fields(i: int) -> dict[str, Any]:
    return {
        "at": f"2026-11-29T08:{i // 60000 % 60:02d}:{i // 1000 % 60:02d}.{i % 1000:06d}Z",
        "actor": f"pro{i % 50}",
        "role": "prosecutor",
        "unit": 1 + i % 7,
        "action": "person.read",
        "target": f"person:{i}",
        "purpose": "full",
        "outcome": "allowed",
        "request_id": f"{i:032x}",
        "client": "10.1.2.3",
        "record_unit": 1 + i % 7,
    }


async def _append(total: int, clients: int) -> dict[str, float]:
    from juvenile_justice import db
    from juvenile_justice.domain.audit import service as audit

    await db.execute_script(
        [
            "CREATE TABLE bench_bare_log (id INTEGER PRIMARY KEY, at TEXT, actor TEXT, role TEXT, unit INTEGER, "
            "action TEXT, target TEXT, purpose TEXT, outcome TEXT, request_id TEXT, client TEXT, record_unit INTEGER, "
            "prev_hash TEXT, entry_hash TEXT)"
        ]
    )
    counter = iter(range(total))
    columns = list(_fields(0))

    async def bare_client() -> None:
        for i in counter:
            values = [i + 1, *_fields(i).values(), "00" * 32, "00" * 32]
            marks = ", ".join("{}" for _ in values)
            async with db.transaction():
                await db.fetch(
                    f"INSERT INTO bench_bare_log (id, {', '.join(columns)}, prev_hash, entry_hash) VALUES ({marks})",
                    *values,
                )

    async def log_client() -> None:
        for i in counter:
            f = _fields(i)
            event = audit.Event(
                f["action"], f["outcome"], f["actor"], f["role"], f["unit"], f["target"], f["purpose"],
                f["request_id"], f["client"], f["record_unit"],
            )  # fmt: skip
            await audit.record(event)

    t0 = time.perf_counter()
    await asyncio.gather(*[bare_client() for _ in range(clients)])
    bare_s = time.perf_counter() - t0
    counter = iter(range(total))
    t0 = time.perf_counter()
    await asyncio.gather(*[log_client() for _ in range(clients)])
    log_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = await audit.verify()
    verify_db_s = time.perf_counter() - t0
    assert result.ok and result.checked == total, result
    rows = await db.fetch("SELECT COUNT(DISTINCT prev_hash) AS n FROM access_log")
    assert int(rows[0]["n"]) == total, "fork in the chain"
    return {
        "appends": total,
        "clients": clients,
        "bare_per_s": total / bare_s,
        "append_per_s": total / log_s,
        "append_vs_bare": (total / log_s) / (total / bare_s),
        "verify_db_per_s": total / verify_db_s,
    }


def _verify_memory(n: int) -> dict[str, float]:
    from juvenile_justice.lib import audit_chain as chain

    entries = []
    prev = chain.GENESIS
    for i in range(n):
        e = chain.append(prev, i + 1, _fields(i))
        entries.append(e)
        prev = e.entry_hash
    blobs = [e.prev_hash + chain.canonical(e.seq, e.fields) for e in entries]
    t0 = time.perf_counter()
    for blob in blobs:
        hashlib.sha256(blob).digest()
    hash_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = chain.verify_chain(entries)
    verify_s = time.perf_counter() - t0
    assert result.ok and result.checked == n
    return {
        "entries": n,
        "hashlib_per_s": n / hash_s,
        "verify_per_s": n / verify_s,
        "verify_vs_hashlib": (n / verify_s) / (n / hash_s),
    }


def worker(args: argparse.Namespace) -> None:
    engine = args.worker
    with c.temp_data_dir(f"jj-bench-audit-{engine}-") as data_dir:
        env = c.configure_environment(engine, data_dir, args.pg_db)
        c.log(TAG, f"{engine}: {env['JJ_DATABASE_URL']}; juvenile_justice from {c.imported_from()}")
        from juvenile_justice import db
        from juvenile_justice.domain.keys.service import ensure_keyring

        result: dict[str, Any] = {"engine": engine}
        try:

            async def go() -> dict[str, float]:
                await db.start()
                try:
                    await ensure_keyring()
                    await db.migrate()
                    return await _append(args.appends, args.clients)
                finally:
                    await db.stop()

            result["append"] = asyncio.run(go())
            result["verify"] = _verify_memory(args.verify_n)
        finally:
            if engine == "postgres":
                c.drop_pg_db(args.pg_db)
    c.write_result(args.result_file, result)


def report(results: dict[str, dict[str, Any]]) -> str:
    """Human-readable results."""
    lines = [f"access log (load {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)"]
    for engine, r in results.items():
        if "append" not in r:
            lines.append(f"  {engine}: {r.get('skipped') or r.get('error')}")
            continue
        a, v = r["append"], r["verify"]
        aim = 1000 if engine == "postgres" else 500
        lines += [
            f"  {engine} ({r.get('code', '')})",
            f"    append, {a['clients']} clients: {a['append_per_s']:,.0f}/s; bare insert {a['bare_per_s']:,.0f}/s; "
            f"ratio {a['append_vs_bare']:.2f} (aim ≥ {aim}/s: {'met' if a['append_per_s'] >= aim else 'MISSED'})",
            f"    verify from the database: {a['verify_db_per_s']:,.0f} entries/s",
            f"    verify in memory: {v['verify_per_s']:,.0f} entries/s; hashlib on the same bytes "
            f"{v['hashlib_per_s']:,.0f}/s; ratio {v['verify_vs_hashlib']:.2f} "
            f"(aim ≥ 100,000/s: {'met' if v['verify_per_s'] >= 100_000 else 'MISSED'})",
        ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--appends", type=int, default=None, help="entries appended (default 5,000; quick 500)")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--verify-n", type=int, default=None, help="entries verified in memory (default 200,000)")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--pg-db", default="jj_bench_audit", help="bench database (dropped and recreated)")
    p.add_argument("--json-out", help="write the results as JSON here")
    c.add_tree_arguments(p)
    p.add_argument("--worker", choices=c.ENGINES, help=argparse.SUPPRESS)
    p.add_argument("--result-file", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.appends is None:
        args.appends = 500 if args.quick else 5_000
    if args.verify_n is None:
        args.verify_n = 20_000 if args.quick else 200_000
    return args


def main(argv: list[str] | None = None) -> dict[str, dict[str, Any]]:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return {}
    extra = [f"--appends={args.appends}", f"--clients={args.clients}", f"--verify-n={args.verify_n}"]
    extra.append(f"--pg-db={args.pg_db}")
    with c.exported_tree(args.at_rev) as exported:
        tree = exported or (args.tree.resolve() if args.tree else None)
        results = c.run_workers(Path(__file__).resolve(), c.engines_for(args.engine), extra, tree)
    print(report(results), flush=True)
    c.write_result(args.json_out, results)
    return results


if __name__ == "__main__":
    os.chdir(c.REPO)
    main()
