"""Shared plumbing of the benchmarks: per-engine worker processes, bench databases, statistics.

Settings are cached at first use (``juvenile_justice.settings.get_settings``) and the Piccolo engine is
built when ``juvenile_justice.db_conf`` is imported, so every engine is measured in its own worker
process whose environment (``JJ_DATA_DIR``, ``JJ_DATABASE_URL``, ``PICCOLO_CONF``) is set before any
``juvenile_justice`` module is imported. Nothing here touches ``./var`` or the ``test`` database.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
ENGINES = ("sqlite", "postgres")
PG_SERVER = os.environ.get("JJ_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
"""PostgreSQL server of the benchmarks (no database part); bench databases are created on it."""
_PROTECTED_DATABASES = {"test", "postgres", "template0", "template1", "jj_dev", "root"}


# --------------------------------------------------------------------------- engines, databases


def engines_for(choice: str) -> list[str]:
    """``sqlite`` | ``postgres`` | ``both`` → engine list."""
    return list(ENGINES) if choice == "both" else [choice]


def pg_url(database: str) -> str:
    """URL of a bench database on :data:`PG_SERVER`."""
    return f"{PG_SERVER.rstrip('/')}/{database}"


def _check_bench_db(name: str) -> None:
    if name in _PROTECTED_DATABASES or not name.startswith("jj_bench"):
        raise SystemExit(f"refusing to use database {name!r}: bench databases are named jj_bench*")


async def _admin(*statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(pg_url("postgres"), timeout=5)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def pg_reachable() -> str | None:
    """None when the PostgreSQL server answers, else the reason it does not."""
    try:
        asyncio.run(_admin("SELECT 1"))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def recreate_pg_db(name: str) -> str:
    """Drop and create the bench database ``name``; returns its URL."""
    _check_bench_db(name)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'))
    return pg_url(name)


def drop_pg_db(name: str) -> None:
    """Drop the bench database ``name``."""
    _check_bench_db(name)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def configure_environment(engine: str, data_dir: Path, pg_database: str) -> dict[str, str]:
    """Point this process (and its children) at a bench database; call before importing juvenile_justice.

    SQLite: the file ``data_dir/juvenile_justice.sqlite``. PostgreSQL: ``pg_database``, recreated empty.
    """
    for var in ("JJ_KEYS_FILE", "JJ_CHECKPOINT_DIR", "JJ_REDIS_URL", "JJ_TEST_DATABASE_URL"):
        os.environ.pop(var, None)
    os.environ["JJ_DATA_DIR"] = str(data_dir)
    os.environ["PICCOLO_CONF"] = "juvenile_justice.db_conf"
    if engine == "postgres":
        os.environ["JJ_DATABASE_URL"] = recreate_pg_db(pg_database)
    else:
        os.environ["JJ_DATABASE_URL"] = f"sqlite:///{data_dir / 'juvenile_justice.sqlite'}"
    return {k: os.environ[k] for k in ("JJ_DATA_DIR", "JJ_DATABASE_URL", "PICCOLO_CONF")}


@contextmanager
def temp_data_dir(prefix: str) -> Iterator[Path]:
    """A fresh temporary data directory, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _git(*args: str) -> str:
    proc = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False)
    return proc.stdout.rstrip() if proc.returncode == 0 else ""


def describe_code(tree: Path | None) -> str:
    """Which code a run measures: an exported revision, or the working tree (HEAD + modified src files)."""
    if tree is not None:
        marker = tree / ".bench-rev"
        return f"exported tree {tree} ({marker.read_text().strip() if marker.exists() else 'not a git export'})"
    head = _git("rev-parse", "--short", "HEAD").strip() or "?"
    dirty = _git("status", "--porcelain", "--", "src", "migrations").splitlines()
    changed = ", ".join(line[3:].removeprefix("src/juvenile_justice/") for line in dirty)
    return f"working tree at {head}" + (f" with uncommitted changes to {changed}" if changed else " (clean src)")


@contextmanager
def exported_tree(rev: str | None) -> Iterator[Path | None]:
    """``git archive REV`` of src, migrations, templates, static into a temporary directory (read-only)."""
    if not rev:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="jj-bench-tree-") as tmp:
        archive = subprocess.run(
            [
                "git",
                "-C",
                str(REPO),
                "archive",
                "--format=tar",
                rev,
                "src",
                "migrations",
                "templates",
                "static",
            ],
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        full = _git("rev-parse", "--short", rev).strip()
        (Path(tmp) / ".bench-rev").write_text(f"{rev} = {full}\n")
        yield Path(tmp)


def run_workers(
    script: Path, engines: Sequence[str], extra: Sequence[str], tree: Path | None = None
) -> dict[str, dict[str, Any]]:
    """Run ``script --worker ENGINE`` once per engine (own process each); their JSON results by engine.

    ``tree``: a project root whose ``src/`` is imported instead of the working tree's (PYTHONPATH comes
    before the editable install's path). PostgreSQL is skipped (with a note) when the server does not
    answer.
    """
    results: dict[str, dict[str, Any]] = {}
    for engine in engines:
        if engine == "postgres":
            reason = pg_reachable()
            if reason:
                print(
                    f"[{script.stem}] postgres skipped: server not reachable at {PG_SERVER} ({reason})",
                    file=sys.stderr,
                )
                results[engine] = {"skipped": reason}
                continue
        code = describe_code(tree)  # before the run: the working tree may change while it runs
        with tempfile.TemporaryDirectory(prefix="jj-bench-result-") as tmp:
            out = Path(tmp) / "result.json"
            cmd = [sys.executable, str(script), "--worker", engine, "--result-file", str(out), *extra]
            env = dict(os.environ)
            paths = [str(tree / "src")] if tree else []
            env["PYTHONPATH"] = os.pathsep.join(p for p in (*paths, str(REPO), env.get("PYTHONPATH", "")) if p)
            proc = subprocess.run(cmd, env=env, check=False)
            if proc.returncode != 0 or not out.exists():
                results[engine] = {"error": f"worker exited with status {proc.returncode}"}
                continue
            results[engine] = json.loads(out.read_text())
            results[engine]["code"] = code
    return results


def add_tree_arguments(parser: Any) -> None:
    """``--at-rev`` / ``--tree``: measure a git revision or another checkout instead of the working tree."""
    parser.add_argument("--at-rev", help="measure this git revision (exported with git archive), e.g. HEAD")
    parser.add_argument("--tree", type=Path, help="measure the juvenile_justice of this project root")


def imported_from() -> str:
    """Where juvenile_justice was imported from (call in a worker)."""
    import juvenile_justice

    return str(Path(juvenile_justice.__file__).resolve().parents[1])


def write_result(path: str | None, result: dict[str, Any]) -> None:
    """Write a worker's or a bench's JSON result."""
    if path:
        Path(path).write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log(tag: str, message: str) -> None:
    """Progress on stderr (results go to stdout)."""
    print(f"[{tag}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- statistics, output


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values_ms: Sequence[float]) -> dict[str, float]:
    """p50, p90, p99, mean, min, max of latencies in ms."""
    return {
        "n": len(values_ms),
        "p50": percentile(values_ms, 50),
        "p90": percentile(values_ms, 90),
        "p99": percentile(values_ms, 99),
        "mean": statistics.fmean(values_ms) if values_ms else float("nan"),
        "min": min(values_ms, default=float("nan")),
        "max": max(values_ms, default=float("nan")),
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table (wide characters counted as two columns)."""

    def width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(width(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c + " " * (w - width(c)) for c, w in zip(row, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])
