"""Run every benchmark and print a summary table (``make bench``; ``BENCH_ARGS`` are passed here).

    .venv/bin/python bench/run.py [--engine sqlite|postgres|both] [--quick] [--whatif] [--at-rev REV]

Each benchmark runs in its own process, and each engine in a further process of its own (settings and
the Piccolo engine are fixed at first import), against a temporary data directory (SQLite) or a
``jj_bench*`` database that is dropped and recreated (PostgreSQL at ``JJ_BENCH_PG``, default
``postgresql://postgres@127.0.0.1:5432``). ``./var`` and the ``test`` database are never touched.
Every figure is also given as a ratio to a baseline measured in the same run, because absolute times
depend on the machine and on whatever else runs on it (the load average is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

BENCHES = ("bench_import", "bench_case_list", "bench_crypto", "bench_audit", "bench_documents", "bench_sealing")


def _load() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "?"
    return f"{one:.2f}/{five:.2f} (1/5 min) on {os.cpu_count()} CPUs"


def _run(name: str, argv: list[str]) -> tuple[dict[str, Any], float, int]:
    with tempfile.TemporaryDirectory(prefix="jj-bench-run-") as tmp:
        out = Path(tmp) / f"{name}.json"
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(c.BENCH_DIR / f"{name}.py"), *argv, "--json-out", str(out)], check=False
        )
        elapsed = time.perf_counter() - t0
        data = json.loads(out.read_text()) if out.exists() else {}
    return data, elapsed, proc.returncode


def summary(imp: dict[str, Any], lst: dict[str, Any]) -> str:
    """The summary table: one row per engine and figure."""
    rows: list[list[Any]] = []
    for engine in c.ENGINES:
        r = imp.get(engine)
        if r and "cases" in r:
            rows.append(
                [
                    engine,
                    "import",
                    f"{r['cases']} demo cases",
                    f"{r['importer_cases_per_s']:.1f} cases/s",
                    f"bulk insert {r['bulk_cases_per_s']:.1f} cases/s",
                    f"{r['ratio']:.3f}",
                ]
            )
        elif r:
            rows.append([engine, "import", "-", "-", "-", (r.get("skipped") or r.get("error") or "")[:40]])
        r = lst.get(engine)
        if r and "endpoints" in r:
            base = r["endpoints"]["health"]
            for name in ("first", "charge", "q", "charge+q", "q-rare", "deep"):
                s = r["endpoints"][name]
                rows.append(
                    [
                        engine,
                        f"GET /api/cases {name}",
                        f"{r['cases']} cases",
                        f"p50 {s['p50']:.2f} / p99 {s['p99']:.2f} ms",
                        f"/health p50 {base['p50']:.2f} / p99 {base['p99']:.2f} ms",
                        f"{s['ratio_p50']:.2f} / {s['ratio_p99']:.2f}",
                    ]
                )
        elif r:
            rows.append([engine, "case list", "-", "-", "-", (r.get("skipped") or r.get("error") or "")[:40]])
    return c.table(["engine", "benchmark", "size", "measured", "baseline (same run)", "ratio"], rows)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--quick", action="store_true", help="fewer cases/requests (smoke run)")
    p.add_argument("--whatif", action="store_true", help="also measure bench-only prototypes of the fixes")
    p.add_argument("--whatif-lean", action="store_true", help="import what-if: serve read-backs from memory")
    p.add_argument("--profile", action="store_true", help="cProfile listing of one import run")
    p.add_argument("--only", choices=BENCHES, action="append", help="run only this benchmark (repeatable)")
    p.add_argument("--json-out", help="write all results as JSON here")
    c.add_tree_arguments(p)
    args = p.parse_args()

    common = ["--engine", args.engine, *(["--quick"] if args.quick else [])]
    common += ["--whatif"] if args.whatif else []
    results: dict[str, dict[str, Any]] = {}
    load_before = _load()
    status = 0
    with c.exported_tree(args.at_rev) as exported:
        tree = exported or args.tree
        if tree:
            common += ["--tree", str(tree)]
        for name in args.only or BENCHES:
            extra = ["--profile"] if args.profile and name == "bench_import" else []
            extra += ["--whatif-lean"] if args.whatif_lean and name == "bench_import" else []
            no_whatif = ("bench_crypto", "bench_audit", "bench_documents", "bench_sealing")
            args_for = [a for a in common if not (name in no_whatif and a == "--whatif")]
            print(f"\n### {name} {' '.join(common + extra)}", flush=True)
            data, elapsed, rc = _run(name, args_for + extra)
            results[name] = data
            status = status or rc
            print(f"### {name} finished in {elapsed:.0f} s", flush=True)

    print("\n" + "=" * 100)
    print("SUMMARY  (ratio: import = importer/bulk cases/s; case list = endpoint/health p50 / p99)")
    codes = sorted({v["code"] for r in results.values() for v in r.values() if isinstance(v, dict) and "code" in v})
    for code in codes:
        print(f"code: {code}")
    if len(codes) > 1:
        print("warning: the code changed during the run (see the per-benchmark 'code:' lines)")
    print(f"load average: before {load_before}, after {_load()}")
    print(summary(results.get("bench_import", {}), results.get("bench_case_list", {})))
    if "bench_crypto" in results:
        from bench_crypto import report as crypto_report

        print(crypto_report(results["bench_crypto"]))
    if results.get("bench_documents"):
        from bench_documents import report as documents_report

        print(documents_report(results["bench_documents"]))
    if "bench_audit" in results:
        from bench_audit import report as audit_report

        print(audit_report(results["bench_audit"]))
    if results.get("bench_sealing"):
        from bench_sealing import report as sealing_report

        print(sealing_report(results["bench_sealing"]))
    c.write_result(args.json_out, results)
    failed = [f"{b}/{e}" for b, r in results.items() for e, v in r.items() if isinstance(v, dict) and "error" in v]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
