"""Import throughput: the real importer (``import_objects``) against a bare Piccolo bulk insert.

For each engine (own worker process, fresh temporary data dir / recreated ``jj_bench`` database):

1. the first ``--cases`` lines of the demo generator (``import_lines(seed)``, prosecutors assigned as
   ``load_demo`` does) are imported with ``import_objects`` into empty case tables: cases/s;
2. the rows the importer wrote (case_file, case_charge, person, case_step, decision) are read back,
   the tables emptied, and the same rows inserted with ``Table.insert(*rows)`` in batches inside one
   transaction (the in-run baseline): cases/s;
3. ratio = importer cases/s ÷ bulk cases/s.

Both are repeated ``--repeats`` times on emptied tables; the medians are reported. One more,
instrumented import run splits the importer's time into SQL statements (by kind), transaction
begin/commit and the rest (Python: parsing, validation, Piccolo query building); ``--profile`` adds
a cProfile listing of one more run.

    .venv/bin/python bench/bench_import.py [--engine sqlite|postgres|both] [--cases 300] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c
import _whatif

TAG = "bench_import"
CASE_TABLES_DELETE_ORDER = (
    "decision",
    "case_step",
    "person",
    "case_assignment",
    "case_charge",
    "case_file",
    "case_counter",
)


# --------------------------------------------------------------------------- worker (one engine)


def _sql_label(sql: str) -> str:
    q = " ".join(sql.split()).replace('"', "")
    verb = q.split(" ", 1)[0].upper()
    if verb == "INSERT":
        m = re.match(r"INSERT INTO (\w+)", q, re.I)
        return f"INSERT {m.group(1) if m else '?'}"
    if verb == "UPDATE":
        m = re.match(r"UPDATE (\w+)", q, re.I)
        where = q.partition(" WHERE ")[2]
        return f"UPDATE {m.group(1) if m else '?'} WHERE {where[:40]}"
    m = re.search(r"\bFROM (\w+)", q, re.I)
    where = q.partition(" WHERE ")[2]
    where = re.sub(r"\b\w+\.(\w+)", r"\1", where)
    return f"{verb} {m.group(1) if m else '?'} WHERE {where[:48]}"


class _Instrument:
    """Times every SQL statement (``run_querystring``) and the transactions of the importer."""

    def __init__(self) -> None:
        self.sql: dict[str, list[float]] = defaultdict(list)
        self.begin: list[float] = []
        self.commit: list[float] = []

    def install(self) -> None:
        from juvenile_justice import db

        engine = db.engine()
        engine_cls = type(engine)  # engines have __slots__: patch the class (this process only)
        original_run = engine_cls.run_querystring
        engine_type = engine.engine_type
        original_tx = db.transaction
        instrument = self

        async def timed_run(self: Any, querystring: Any, *args: Any, **kwargs: Any) -> Any:
            label = _sql_label(querystring.compile_string(engine_type=engine_type)[0])
            t0 = time.perf_counter()
            try:
                return await original_run(self, querystring, *args, **kwargs)
            finally:
                instrument.sql[label].append(time.perf_counter() - t0)

        class TimedTransaction:
            def __init__(self) -> None:
                self.inner = original_tx()

            async def __aenter__(self) -> Any:
                t0 = time.perf_counter()
                try:
                    return await self.inner.__aenter__()
                finally:
                    instrument.begin.append(time.perf_counter() - t0)

            async def __aexit__(self, *exc: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return await self.inner.__aexit__(*exc)
                finally:
                    instrument.commit.append(time.perf_counter() - t0)

        engine_cls.run_querystring = timed_run
        db.transaction = TimedTransaction
        self._undo = (engine_cls, original_run, db, original_tx)

    def uninstall(self) -> None:
        engine_cls, original_run, db, original_tx = self._undo
        engine_cls.run_querystring = original_run
        db.transaction = original_tx


async def _clear() -> None:
    from juvenile_justice import db

    if db.is_postgres():
        await db.execute_script([f"TRUNCATE {', '.join(CASE_TABLES_DELETE_ORDER)} RESTART IDENTITY"])
        return
    async with db.transaction():
        for table in CASE_TABLES_DELETE_ORDER:
            await db.fetch(f"DELETE FROM {table}")
        await db.fetch(
            "DELETE FROM sqlite_sequence WHERE name IN (" + ", ".join(f"'{t}'" for t in CASE_TABLES_DELETE_ORDER) + ")"
        )


def _tables() -> list[Any]:
    from juvenile_justice.domain.cases.tables import CaseCharge, CaseFile, CaseStep, Decision, Person

    return [CaseFile, CaseCharge, Person, CaseStep, Decision]


async def _counts() -> dict[str, int]:
    return {t._meta.tablename: await t.count() for t in _tables()}


async def _snapshot() -> list[tuple[Any, list[dict[str, Any]]]]:
    """The rows of the five case tables, parents first, by id."""
    return [(t, list(await t.select().order_by(t.id))) for t in _tables()]


async def _bulk_insert(snapshot: list[tuple[Any, list[dict[str, Any]]]], batch: int) -> None:
    """The baseline: the same rows, ``Table.insert(*rows)`` in batches, one transaction."""
    from juvenile_justice import db

    async with db.transaction():
        for table, rows in snapshot:
            for i in range(0, len(rows), batch):
                await table.insert(*[table(**row) for row in rows[i : i + batch]])


def _demo_lines(seed: int, n: int) -> list[dict[str, Any]]:
    from juvenile_justice.domain.demo.generator import import_lines
    from juvenile_justice.domain.demo.loader import DEMO_CASE_PROSECUTORS
    from juvenile_justice.domain.demo.users import RENCHENG_PROCURATORATE

    lines = []
    rencheng = 0
    for line in import_lines(seed):
        if line["unit"] == RENCHENG_PROCURATORATE:  # as load_demo does
            line["prosecutor"] = DEMO_CASE_PROSECUTORS[rencheng % len(DEMO_CASE_PROSECUTORS)]
            rencheng += 1
        lines.append(line)
        if len(lines) == n:
            break
    return lines


def _fingerprint(snapshot: list[tuple[Any, list[dict[str, Any]]]]) -> list[list[tuple[Any, ...]]]:
    """The rows without their timestamps (ids are comparable: tables are emptied with their sequences)."""
    return [
        [tuple(v for k, v in row.items() if k not in {"created_at", "updated_at"}) for row in rows]
        for _, rows in snapshot
    ]


async def _import(lines: list[dict[str, Any]], per_transaction: int = 0) -> float:
    from juvenile_justice.domain.cases.importing import import_objects

    t0 = time.perf_counter()
    if per_transaction:
        report = await _whatif.savepoint_batches(lines, per_transaction)
    else:
        report = await import_objects(enumerate(lines, start=1))
    elapsed = time.perf_counter() - t0
    if report.errors or report.created != len(lines):
        raise SystemExit(f"importer refused lines: created {report.created}, errors {report.errors[:5]}")
    return elapsed


async def _worker_main(args: argparse.Namespace, engine_name: str) -> dict[str, Any]:
    from juvenile_justice import db
    from juvenile_justice.domain.demo.loader import ensure_units_and_users

    await db.start()
    try:
        await db.migrate()
        await ensure_units_and_users()
        lines = _demo_lines(args.seed, args.cases)
        n = len(lines)
        imp_times: list[float] = []
        bulk_times: list[float] = []
        rows: dict[str, int] = {}
        reference = None
        for r in range(args.repeats):
            await _clear()
            imp_times.append(await _import(lines))
            rows = await _counts()
            snapshot = await _snapshot()
            reference = reference or _fingerprint(snapshot)
            await _clear()
            t0 = time.perf_counter()
            await _bulk_insert(snapshot, args.batch)
            bulk_times.append(time.perf_counter() - t0)
            if await _counts() != rows:
                raise SystemExit(f"bulk insert wrote {await _counts()}, importer {rows}")
            c.log(
                TAG,
                f"{engine_name} repeat {r + 1}/{args.repeats}: importer {n / imp_times[-1]:.1f} cases/s, "
                f"bulk {n / bulk_times[-1]:.1f} cases/s",
            )

        # Instrumented run: where the importer's time goes.
        await _clear()
        instrument = _Instrument()
        instrument.install()
        try:
            instrumented = await _import(lines)
        finally:
            instrument.uninstall()
        breakdown = _breakdown(instrument, instrumented, n)

        whatif = await _whatifs(args, engine_name, lines, reference) if args.whatif else []

        profile_text = None
        if args.profile:
            await _clear()
            prof = cProfile.Profile()
            prof.enable()
            await _import(lines)
            prof.disable()
            profile_text = _profile_text(prof, args.profile_top)

        imp = statistics.median(imp_times)
        bulk = statistics.median(bulk_times)
        return {
            "engine": engine_name,
            "cases": n,
            "rows": rows,
            "repeats": args.repeats,
            "batch": args.batch,
            "importer_s": imp_times,
            "bulk_s": bulk_times,
            "importer_cases_per_s": n / imp,
            "bulk_cases_per_s": n / bulk,
            "ratio_of_medians": (n / imp) / (n / bulk),
            # each repeat runs the importer then the bulk insert back to back: the median of the paired
            # ratios is less sensitive to load changes on a shared machine than the ratio of medians
            "ratio": statistics.median(b / i for i, b in zip(imp_times, bulk_times, strict=True)),
            "importer_range": [n / max(imp_times), n / min(imp_times)],
            "bulk_range": [n / max(bulk_times), n / min(bulk_times)],
            "importer_ms_per_case": imp / n * 1000,
            "bulk_ms_per_case": bulk / n * 1000,
            "breakdown": breakdown,
            "whatif": whatif,
            "profile": profile_text,
        }
    finally:
        await db.stop()


async def _whatifs(
    args: argparse.Namespace, engine_name: str, lines: list[dict[str, Any]], reference: Any
) -> list[dict[str, Any]]:
    """The importer with bench-only prototypes of the proposed fixes (see _whatif.py), same rows checked."""
    sqlite = engine_name == "sqlite"
    per_tx = args.whatif_batch
    lean = args.whatif_lean  # only meaningful for importers that read rows back (e.g. e4376ff)
    # (label, kept-open connection, lines per transaction, lean repository, single pragma)
    variants: list[tuple[str, bool, int, bool, bool]] = [("as is (this run)", False, 0, False, False)]
    if sqlite:
        variants.append(("+ kept-open SQLite connection", True, 0, False, False))
        variants.append(("+ PRAGMA foreign_keys once per connection", False, 0, False, True))
    variants.append((f"+ {per_tx} lines per transaction, savepoint per line", False, per_tx, False, False))
    if lean:
        variants.append(("+ no read-backs (lean repository)", False, 0, True, False))
    variants.append(("all of the above", sqlite, per_tx, lean, sqlite))
    times: dict[str, list[float]] = {v[0]: [] for v in variants}
    errors: dict[str, str] = {}
    for _ in range(args.repeats):  # round-robin: load drift on a shared machine hits every variant alike
        for label, use_keeper, batch, use_lean, single_pragma in variants:
            if label in errors:
                continue
            try:  # a prototype patches internals that may have moved on: report, do not abort the run
                await _clear()
                with contextlib.ExitStack() as stack:
                    if use_keeper:
                        stack.enter_context(_whatif.sqlite_keeper())
                    if use_lean:
                        stack.enter_context(_whatif.lean_repository())
                    if single_pragma:
                        stack.enter_context(_whatif.sqlite_single_pragma())
                    times[label].append(await _import(lines, batch))
                if _fingerprint(await _snapshot()) != reference:
                    raise RuntimeError("wrote different rows than the importer")
            except (Exception, SystemExit) as exc:
                c.log(TAG, f"{engine_name} what-if {label}: failed: {exc!r}")
                errors[label] = f"{type(exc).__name__}: {exc}"[:200]
    out: list[dict[str, Any]] = []
    for label, *_ in variants:
        if label in errors:
            out.append({"variant": label, "error": errors[label]})
            continue
        rate = len(lines) / statistics.median(times[label])
        c.log(TAG, f"{engine_name} what-if {label}: {rate:.1f} cases/s")
        out.append({"variant": label, "cases_per_s": rate, "times_s": times[label]})
    return out


def _breakdown(ins: _Instrument, total: float, n: int) -> dict[str, Any]:
    sql_total = sum(sum(v) for v in ins.sql.values())
    begin, commit = sum(ins.begin), sum(ins.commit)
    statements: list[dict[str, Any]] = sorted(
        (
            {
                "label": k,
                "per_case": len(v) / n,
                "mean_ms": statistics.fmean(v) * 1000,
                "ms_per_case": sum(v) / n * 1000,
                "share": sum(v) / total,
            }
            for k, v in ins.sql.items()
        ),
        key=lambda d: -float(d["ms_per_case"]),
    )
    return {
        "total_ms_per_case": total / n * 1000,
        "sql_ms_per_case": sql_total / n * 1000,
        "begin_ms_per_case": begin / n * 1000,
        "commit_ms_per_case": commit / n * 1000,
        "other_ms_per_case": (total - sql_total - begin - commit) / n * 1000,
        "statements_per_case": sum(len(v) for v in ins.sql.values()) / n,
        "statements": statements,
    }


def _profile_text(prof: cProfile.Profile, top: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(r"juvenile_justice|piccolo|msgspec|aiosqlite|asyncpg", top)
    return out.getvalue()


def worker(args: argparse.Namespace) -> None:
    engine = args.worker
    with c.temp_data_dir(f"jj-bench-import-{engine}-") as data_dir:
        env = c.configure_environment(engine, data_dir, args.pg_db)
        c.log(TAG, f"{engine}: {env['JJ_DATABASE_URL']}; juvenile_justice from {c.imported_from()}")
        try:
            result = asyncio.run(_worker_main(args, engine))
        finally:
            if engine == "postgres" and not args.keep_db:
                c.drop_pg_db(args.pg_db)
    c.write_result(args.result_file, result)


# --------------------------------------------------------------------------- driver


def report(results: dict[str, dict[str, Any]], *, show_profile: bool) -> str:
    """Human-readable results."""
    lines = ["", "== import throughput: import_objects vs bare Piccolo bulk insert (same rows, same run) =="]
    rows = []
    for engine, r in results.items():
        if "cases" not in r:
            rows.append([engine, "-", "-", "-", "-", r.get("skipped") or r.get("error")])
            continue
        rows.append(
            [
                engine,
                r["cases"],
                f"{r['importer_cases_per_s']:.1f} ({r['importer_range'][0]:.0f}-{r['importer_range'][1]:.0f})",
                f"{r['bulk_cases_per_s']:.1f} ({r['bulk_range'][0]:.0f}-{r['bulk_range'][1]:.0f})",
                f"{r['ratio']:.3f}",
                f"importer {1 / r['ratio']:.1f}x slower "
                f"({r['importer_ms_per_case']:.2f} vs {r['bulk_ms_per_case']:.3f} ms/case)",
            ]
        )
    lines.append(
        c.table(["engine", "cases", "importer cases/s (min-max)", "bulk cases/s (min-max)", "ratio", "note"], rows)
    )
    lines.append("ratio = importer cases/s / bulk cases/s, median over the repeats (each repeat runs both)")
    codes = {r["code"] for r in results.values() if "code" in r}
    lines += [f"code: {code}" for code in sorted(codes)]
    for engine, r in results.items():
        if "cases" not in r:
            continue
        b = r["breakdown"]
        rc = r["rows"]
        lines.append("")
        lines.append(f"-- {engine}: rows per run {rc}; medians of {r['repeats']} runs; bulk batch {r['batch']}")
        lines.append(
            f"   importer time per case (instrumented run): {b['total_ms_per_case']:.2f} ms = "
            f"SQL {b['sql_ms_per_case']:.2f} ({b['statements_per_case']:.1f} statements) + "
            f"BEGIN {b['begin_ms_per_case']:.2f} + COMMIT {b['commit_ms_per_case']:.2f} + "
            f"other/Python {b['other_ms_per_case']:.2f}"
        )
        lines.append(
            c.table(
                ["statement", "per case", "mean ms", "ms/case", "share"],
                [
                    [
                        s["label"],
                        f"{s['per_case']:.2f}",
                        f"{s['mean_ms']:.3f}",
                        f"{s['ms_per_case']:.3f}",
                        f"{s['share'] * 100:.1f}%",
                    ]
                    for s in b["statements"]
                ],
            )
        )
        if r.get("whatif") and "cases_per_s" in r["whatif"][0]:
            base = r["whatif"][0]["cases_per_s"]
            lines.append(f"-- {engine}: what-if (bench-only prototypes of the proposed fixes; same rows verified)")
            lines.append(
                c.table(
                    ["variant", "cases/s", "x importer as is", "ratio to bulk"],
                    [
                        [
                            w["variant"],
                            f"{w['cases_per_s']:.1f}",
                            f"{w['cases_per_s'] / base:.2f}",
                            f"{w['cases_per_s'] / r['bulk_cases_per_s']:.3f}",
                        ]
                        if "cases_per_s" in w
                        else [w["variant"], "failed", w["error"][:60], ""]
                        for w in r["whatif"]
                    ],
                )
            )
        if show_profile and r.get("profile"):
            lines.append(f"-- {engine}: cProfile of one import run")
            lines.append(r["profile"])
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--cases", type=int, default=None, help="demo lines to import (default 300, quick 100)")
    p.add_argument("--repeats", type=int, default=None, help="timed runs per side (default 5, quick 1)")
    p.add_argument("--batch", type=int, default=500, help="rows per INSERT in the bulk baseline")
    p.add_argument("--seed", type=int, default=2021)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--profile", action="store_true", help="add a cProfile listing of one import run")
    p.add_argument("--whatif", action="store_true", help="also measure bench-only prototypes of the fixes")
    p.add_argument(
        "--whatif-lean", action="store_true", help="what-if: also serve the importer's read-backs from memory"
    )
    p.add_argument("--whatif-batch", type=int, default=100, help="lines per transaction in the what-if")
    p.add_argument("--profile-top", type=int, default=30)
    p.add_argument("--pg-db", default="jj_bench", help="bench database (dropped and recreated)")
    p.add_argument("--keep-db", action="store_true", help="do not drop the PostgreSQL bench database")
    p.add_argument("--json-out", help="write the results as JSON here")
    c.add_tree_arguments(p)
    p.add_argument("--worker", choices=c.ENGINES, help=argparse.SUPPRESS)
    p.add_argument("--result-file", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.cases is None:
        args.cases = 100 if args.quick else 300
    if args.repeats is None:
        args.repeats = 1 if args.quick else 5
    return args


def main(argv: list[str] | None = None) -> dict[str, dict[str, Any]]:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return {}
    extra = [
        f"--cases={args.cases}",
        f"--repeats={args.repeats}",
        f"--batch={args.batch}",
        f"--seed={args.seed}",
        f"--pg-db={args.pg_db}",
        f"--profile-top={args.profile_top}",
    ]
    extra += [f"--whatif-batch={args.whatif_batch}"]
    extra += ["--whatif-lean"] * args.whatif_lean
    extra += ["--profile"] * args.profile + ["--keep-db"] * args.keep_db + ["--whatif"] * args.whatif
    with c.exported_tree(args.at_rev) as exported:
        tree = exported or (args.tree.resolve() if args.tree else None)
        results = c.run_workers(Path(__file__).resolve(), c.engines_for(args.engine), extra, tree)
    print(report(results, show_profile=args.profile), flush=True)
    c.write_result(args.json_out, results)
    return results


if __name__ == "__main__":
    os.chdir(c.REPO)
    main()
