"""Upgrading a database that holds plaintext personal fields (issue 3, point 3).

A private database is built at the last plaintext migration, filled with plaintext, and migrated
(in a subprocess, as an operator's upgrade would run). Afterwards every value is sealed, reads give
the original text back, and no byte of the plaintext is left in the database files (SQLite, after
VACUUM) or in a ``pg_dump`` and the table's files (PostgreSQL, after VACUUM FULL).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from helpers import ENGINE, resident_id
from juvenile_justice.lib.crypto import is_envelope

NAMES = ["端木晨曦", "百里书瑶", "东方子衿"]
IDS = [resident_id(date(2006, 2, 1 + i), seq=40 + i) for i in range(3)]
SCRIPT = Path(__file__).with_name("legacy_plaintext_db.py")


def _secrets() -> list[bytes]:
    return [s.encode() for s in NAMES + IDS + [f"1390000{i:04d}" for i in range(3)]]


def _leaks(data: bytes) -> list[str]:
    return [s.decode() for s in _secrets() if s in data]


def test_migration_seals_plaintext_and_leaves_no_copy(private_database: dict[str, str], tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, str(SCRIPT), json.dumps(NAMES), json.dumps(IDS)],
        env=private_database,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["applied"] >= 1
    for row in out["stored"]:
        for col in ("name", "id_number", "phone", "address"):
            assert is_envelope(row[col]), col
        assert ":" in row["id_number_index"] and ":" in row["id_number_digest"]
    assert all(is_envelope(s) for s in out["stored_steps"])
    pairs = enumerate(zip(NAMES, IDS, strict=True))
    assert out["read"] == [[n, i, f"1390000{k:04d}", f"{n}家住址"] for k, (n, i) in pairs]
    assert out["lookup"] == [NAMES[-1]]
    assert out["steps"] == [f"讯问{NAMES[0]}，身份证号{IDS[0]}。"]
    assert not _leaks(r.stdout.encode().replace(json.dumps(out, ensure_ascii=False).encode(), b"") + r.stderr.encode())

    if ENGINE == "sqlite":
        files = [p for p in tmp_path.iterdir() if p.name.startswith("juvenile_justice.sqlite")]
        data = b"".join(p.read_bytes() for p in files)
        assert "济宁市任城区人民检察院".encode() in data  # the scan sees plaintext where there is some
        assert _leaks(data) == []
        return
    url = private_database["JJ_DATABASE_URL"]
    dump = subprocess.run(["pg_dump", url], capture_output=True, check=True).stdout
    assert "济宁市任城区人民检察院".encode() in dump
    assert _leaks(dump) == []
    paths = subprocess.run(
        ["psql", url, "-Atc", "SELECT current_setting('data_directory') || '/' || pg_relation_filepath('person')"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    relation = Path(paths)
    try:
        raw = b"".join(p.read_bytes() for p in relation.parent.glob(relation.name + "*"))
    except PermissionError:
        pytest.skip("the PostgreSQL data directory is not readable here (pg_dump was checked)")
    assert raw, "the person table's files were not found"
    assert _leaks(raw) == []  # VACUUM FULL left no dead row versions with plaintext
