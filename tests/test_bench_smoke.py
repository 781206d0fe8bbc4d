"""The crypto benchmark still runs (tiny sizes, SQLite): a benchmark that rots is found here, not later."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_crypto.py"


def test_bench_crypto_runs_end_to_end() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JJ_")}
    r = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--engine=sqlite",
            "--quick",
            "--sqlite-people=300",
            "--lookups=20",
            "--requests=10",
            "--field-n=200",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "worker exited" not in r.stdout, r.stderr[-3000:]
    for figure in ("aes text envelope", "person read over HTTP", "ID lookup at 300 persons", "rewrap: 301 persons"):
        assert figure in r.stdout, r.stdout


def test_bench_sealing_runs_end_to_end() -> None:
    """The sealed-status benchmark (issue 6) runs on a tiny SQLite world and prints both handlers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JJ_")}
    r = subprocess.run(
        [sys.executable, str(BENCH.with_name("bench_sealing.py")), "--engine=sqlite", "--quick",
         "--sqlite-people=200", "--clients=5", "--requests=40"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert "worker exited" not in r.stdout, r.stderr[-3000:]
    for figure in ("200 persons, 100 sealed records", "bare handler", "POST /api/sealed-status/lookup", "aim ≥ 0.5"):
        assert figure in r.stdout, r.stdout
