"""Signed checkpoints outside the database, the offline verifier, and retention (issue 4, points 3 and 6;
security.md A4, A6, A12). Each test works on a private database through the command line, as an operator
and an auditor would."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from juvenile_justice.lib.clock import today_china

SCRIPT = Path(__file__).with_name("audit_private_log.py")


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "juvenile_justice.cli", *args], env=env, text=True, capture_output=True, timeout=300
    )


def script(env: dict[str, str], *args: str) -> dict[str, int]:
    r = subprocess.run([sys.executable, str(SCRIPT), *args], env=env, text=True, capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def setup_log(env: dict[str, str], tmp_path: Path, old: int = 0, new: int = 30) -> tuple[Path, Path]:
    """A private log with entries, one checkpoint, the public key file; returns (checkpoint dir, key file)."""
    assert run(env, "migrate").returncode == 0
    script(env, "fill", "400", str(old), str(new))
    r = run(env, "audit", "checkpoint")
    assert r.returncode == 0 and "checkpoint written" in r.stdout, r.stderr
    key = tmp_path / "checkpoint.pub"
    r = run(env, "audit", "public-key")
    assert r.returncode == 0, r.stderr
    key.write_text(r.stdout)
    return Path(env["JJ_DATA_DIR"]) / "checkpoints", key


def test_checkpoints_are_signed_files_an_auditor_verifies_with_the_public_key(
    private_database: dict[str, str], tmp_path: Path
) -> None:
    env = private_database
    folder, key = setup_log(env, tmp_path)
    [file] = list(folder.glob("checkpoint-*.txt"))
    text = file.read_text()
    assert text.startswith("juvenile-justice access log checkpoint v1\nlog jj-") and "\nsize 31\n" in text
    signing = Path(env["JJ_DATA_DIR"]) / "checkpoint-signing.key"
    assert signing.stat().st_mode & 0o777 == 0o600
    assert "signing key" not in key.read_text() and signing.read_text().split("\n")[1] not in key.read_text()
    ok = run(env, "audit", "verify", "--checkpoints", str(folder), "--public-key", str(key))
    assert ok.returncode == 0 and "valid against 1 of 1 checkpoints" in ok.stdout, ok.stderr
    again = run(env, "audit", "checkpoint")  # the command is an entry itself, which the new checkpoint covers
    assert again.returncode == 0 and "checkpoint-000000000032.txt" in again.stdout, again.stderr

    # a checkpoint of another log, and one signed by an unknown key, are refused
    other = tmp_path / "other"
    other.mkdir()
    (other / "checkpoint-000000000031.txt").write_text(text.replace("log jj-", "log jj-x"))
    bad = run(env, "audit", "verify", "--checkpoints", str(other), "--public-key", str(key))
    assert bad.returncode == 1 and "does not verify" in bad.stderr, bad.stderr
    stranger = tmp_path / "stranger.pub"
    stranger.write_text(key.read_text().replace(key.read_text().split("\n")[1][:8], "00000000"))
    refused = run(env, "audit", "verify", "--checkpoints", str(folder), "--public-key", str(stranger))
    assert refused.returncode == 2 and "not a checkpoint public key" in refused.stderr
    for nothing in (tmp_path / "missing", tmp_path / "empty"):  # a mistyped or emptied copy is not a clean check
        if nothing.name == "empty":
            nothing.mkdir()
        r = run(env, "audit", "verify", "--checkpoints", str(nothing), "--public-key", str(key))
        assert r.returncode == 2, r.stdout + r.stderr


def test_truncation_before_a_checkpoint_is_detected(private_database: dict[str, str], tmp_path: Path) -> None:
    env = private_database
    folder, key = setup_log(env, tmp_path)
    assert script(env, "truncate", "3") == {"size": 28}
    plain = run(env, "audit", "verify")
    assert plain.returncode == 0, "a truncated chain is still a valid chain: the known limit without checkpoints"
    bad = run(env, "audit", "verify", "--checkpoints", str(folder), "--public-key", str(key))
    assert bad.returncode == 1 and "first bad entry 29" in bad.stderr and "only 28 entries" in bad.stderr, bad.stderr
    assert run(env, "audit", "checkpoint").returncode == 1  # the service signs nothing over a log that contradicts
    assert len(list(folder.glob("checkpoint-*.txt"))) == 1  # what it signed before


def test_a_rewritten_history_before_a_checkpoint_is_detected(private_database: dict[str, str], tmp_path: Path) -> None:
    env = private_database
    folder, key = setup_log(env, tmp_path)
    script(env, "rewrite", "12")
    assert run(env, "audit", "verify").returncode == 0  # every hash recomputed: the chain alone cannot tell
    bad = run(env, "audit", "verify", "--checkpoints", str(folder), "--public-key", str(key))
    assert bad.returncode == 1 and "history before it was rewritten (entries 1-31)" in bad.stderr, bad.stderr
    assert "first bad entry 1" in bad.stderr


def test_known_limit_truncation_after_the_last_checkpoint_goes_unseen(
    private_database: dict[str, str], tmp_path: Path
) -> None:
    """security.md A4, test 1: entries appended after the last checkpoint and then cut off leave no trace
    until the next checkpoint would have covered them (the window is the checkpoint interval)."""
    env = private_database
    folder, key = setup_log(env, tmp_path)
    script(env, "fill", "0", "0", "5")
    script(env, "truncate", "5")
    r = run(env, "audit", "verify", "--checkpoints", str(folder), "--public-key", str(key))
    assert r.returncode == 0, r.stderr


def test_pruning_keeps_180_days_and_what_remains_verifies(private_database: dict[str, str], tmp_path: Path) -> None:
    env = private_database
    assert run(env, "migrate").returncode == 0
    script(env, "fill", "400", "20", "0")
    script(env, "checkpoint", "400")  # the checkpoint the service signed back then, over the first 20 entries
    folder, key = setup_log(env, tmp_path, old=0, new=10)
    too_recent = (today_china() - timedelta(days=179)).isoformat()
    refused = run(env, "audit", "prune", "--before", too_recent)
    assert refused.returncode == 2 and "at least 180 days" in refused.stderr, refused.stderr
    assert script(env, "fill", "0", "0", "0") == {"size": 32}  # the refused attempt is itself an entry
    ancient = run(env, "audit", "prune", "--before", "0001-01-01")
    assert ancient.returncode == 2 and "before" in ancient.stderr, ancient.stderr

    cutoff = (today_china() - timedelta(days=200)).isoformat()
    r = run(env, "audit", "prune", "--before", cutoff)
    assert r.returncode == 0 and "pruned 20 entries; the log now starts at entry 21" in r.stdout, r.stderr
    assert run(env, "audit", "prune", "--before", cutoff).stdout.strip() == "nothing to prune"
    ok = run(env, "audit", "verify")
    assert ok.returncode == 0 and "valid: 14 entries" in ok.stdout, ok.stderr  # 10 + checkpoint + refusal + 2 prunes
    r = run(env, "audit", "checkpoint")
    assert r.returncode == 0 and "checkpoint written" in r.stdout, r.stderr
    both = run(env, "audit", "verify", "--checkpoints", str(folder), "--public-key", str(key))
    assert both.returncode == 0 and "valid against 4 of 4 checkpoints" in both.stdout, both.stderr  # + the prune's

    script(env, "truncate", "2")  # the retention anchor does not hide later tampering
    assert run(env, "audit", "verify", "--checkpoints", str(folder), "--public-key", str(key)).returncode == 1


def test_without_an_old_checkpoint_nothing_is_pruned(private_database: dict[str, str], tmp_path: Path) -> None:
    """Pruning cuts at a checkpoint signed before the cut-off: old entries with no such checkpoint stay."""
    env = private_database
    setup_log(env, tmp_path, old=20, new=10)
    cutoff = (today_china() - timedelta(days=200)).isoformat()
    r = run(env, "audit", "prune", "--before", cutoff)
    assert r.returncode == 0 and r.stdout.strip() == "nothing to prune", r.stdout + r.stderr


def test_a_deletion_disguised_as_a_prune_is_detected(private_database: dict[str, str], tmp_path: Path) -> None:
    """Someone with the database file deletes all history and writes a retention anchor by hand: the chain
    alone still verifies (the known limit), the checkpoints do not accept an anchor that is not an old
    signed checkpoint."""
    env = private_database
    folder, key = setup_log(env, tmp_path)
    script(env, "fill", "0", "0", "2")
    script(env, "forge-anchor")
    assert run(env, "audit", "verify").returncode == 0
    bad = run(env, "audit", "verify", "--checkpoints", str(folder), "--public-key", str(key))
    assert bad.returncode == 1 and "retention anchor" in bad.stderr, bad.stderr


def test_a_back_dated_checkpoint_does_not_let_recent_entries_go(
    private_database: dict[str, str], tmp_path: Path
) -> None:
    """Someone with the signing key signs a checkpoint dated 200 days ago over today's entries: pruning does not
    delete entries younger than the cut-off whatever the checkpoint's date, and the verifier sees a checkpoint
    dated before a smaller one."""
    env = private_database
    folder, key = setup_log(env, tmp_path)
    script(env, "fill", "0", "0", "10")
    script(env, "checkpoint", "200")
    cutoff = (today_china() - timedelta(days=181)).isoformat()
    r = run(env, "audit", "prune", "--before", cutoff)
    assert r.returncode == 0 and r.stdout.strip() == "nothing to prune", r.stdout + r.stderr
    bad = run(env, "audit", "verify", "--checkpoints", str(folder), "--public-key", str(key))
    assert bad.returncode == 1 and "out of order" in bad.stderr, bad.stderr


def test_checkpointing_goes_on_after_a_signing_key_rotation(private_database: dict[str, str], tmp_path: Path) -> None:
    env = private_database
    folder, old_key = setup_log(env, tmp_path)
    signing = Path(env["JJ_DATA_DIR"]) / "checkpoint-signing.key"
    signing.rename(tmp_path / "retired.key")
    assert run(env, "audit", "checkpoint").returncode == 0  # a new key is made
    new_key = tmp_path / "new.pub"
    new_key.write_text(run(env, "audit", "public-key").stdout)
    script(env, "fill", "0", "0", "3")
    again = run(env, "audit", "checkpoint")
    assert again.returncode == 0 and "checkpoint written" in again.stdout, again.stderr
    both = run(
        env, "audit", "verify", "--checkpoints", str(folder), "--public-key", str(old_key), "--public-key", str(new_key)
    )
    assert both.returncode == 0 and "valid against 3 of 3" in both.stdout, both.stderr
    only_new = run(env, "audit", "verify", "--checkpoints", str(folder), "--public-key", str(new_key))
    assert only_new.returncode == 1 and "unknown key" in only_new.stderr


def test_the_running_service_writes_checkpoints_on_its_own(private_database: dict[str, str], tmp_path: Path) -> None:
    """The background writer: with ``JJ_CHECKPOINT_ENTRIES=5`` a checkpoint follows a handful of requests."""
    import socket
    import time

    import httpx

    env = {**private_database, "JJ_CHECKPOINT_ENTRIES": "5"}
    assert run(env, "migrate").returncode == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp_path / "server.log").open("wb")
    cmd = [sys.executable, "-m", "juvenile_justice.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    folder = Path(env["JJ_DATA_DIR"]) / "checkpoints"
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        for _ in range(8):  # refused log-ins: each is an entry
            httpx.post(url + "/api/auth/token", json={"username": "nobody", "password": "wrong-password"})
        while time.monotonic() < deadline and not list(folder.glob("checkpoint-*.txt")):
            time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
    assert list(folder.glob("checkpoint-*.txt")), (tmp_path / "server.log").read_text()[-2000:]
    key = tmp_path / "pub"
    key.write_text(run(env, "audit", "public-key").stdout)
    ok = run(env, "audit", "verify", "--checkpoints", str(folder), "--public-key", str(key))
    assert ok.returncode == 0, ok.stderr
