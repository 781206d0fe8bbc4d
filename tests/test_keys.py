"""Key rotation, rewrap and retirement through the real command line (issue 3, point 7; E6, E7, E13).

The CLI runs as a subprocess on the test database and the run's keyring file; the test process then
reloads the keyring (``protection.reset``) as a worker would within its refresh interval.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from helpers import SAMPLE_CASE, auth, make_user, resident_id
from juvenile_justice import db
from juvenile_justice import protection as pf
from juvenile_justice.domain.cases import repository as repo
from juvenile_justice.domain.keys.service import PROTECTED_TABLES
from juvenile_justice.lib.clock import now_utc
from juvenile_justice.lib.crypto import Purpose, Suite, key_id_of
from juvenile_justice.lib.keyring import Keyring
from juvenile_justice.settings import get_settings

CASE = SAMPLE_CASE


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "juvenile_justice.cli", *args],
        text=True,
        capture_output=True,
        env=env or dict(os.environ),
        timeout=300,
    )


@pytest.fixture(autouse=True)
def fresh_keys() -> Iterator[None]:
    """Every test reloads the keyring before and after (other processes change it)."""
    pf.reset()
    yield
    pf.reset()


async def _stored() -> dict[tuple[str, str, int], str]:
    """Every protected cell's stored text."""
    cells: dict[tuple[str, str, int], str] = {}
    for spec in PROTECTED_TABLES:
        for row in await db.fetch(f"SELECT id, {', '.join(spec.written)} FROM {spec.table}"):
            for col in spec.written:
                if row[col] is not None:
                    cells[(spec.table, col, int(row["id"]))] = row[col]
    return cells


async def _plaintext_hashes() -> dict[tuple[str, str, int], str]:
    """SHA-256 of every sealed cell's plaintext (E7: compared before and after a rewrap)."""
    hashes = {}
    for spec in PROTECTED_TABLES:
        for row in await db.fetch(f"SELECT id, {', '.join(spec.read)} FROM {spec.table}"):
            for col in spec.sealed:
                if row[col] is not None:
                    plain = pf.open_required(spec.table, col, spec.binding(row), row[col])
                    hashes[(spec.table, col, int(row["id"]))] = hashlib.sha256(plain.encode()).hexdigest()
    return hashes


def _key_ids(cells: dict[tuple[str, str, int], str]) -> set[str]:
    return {v.partition(":")[0] if col.startswith("id_number_") else key_id_of(v) for (_, col, _), v in cells.items()}


def _primary_ids() -> tuple[str, str]:
    keys = {(k.purpose.value, k.status.value): k.key_id for k in pf.keyring().key_infos()}
    return keys[("data", "primary")], keys[("index", "primary")]


async def _seed_people(client: httpx.AsyncClient, count: int) -> int:
    await make_user("pro_keys", "prosecutor")
    headers = await auth(client, "pro_keys")
    case = (await client.post("/api/cases", json=CASE, headers=headers)).json()
    full = (await client.get(f"/api/cases/{case['id']}", headers=headers)).json()
    assert full["id"] == case["id"]
    base = date(2004, 1, 1)
    async with db.transaction():
        for i in range(count):
            await repo.insert_person(
                {
                    "case_file": case["id"],
                    "role": "witness",
                    "name": f"证人{i:05d}",
                    "id_number": resident_id(base + timedelta(days=i)),
                    "gender": "male",
                    "birth_date": base + timedelta(days=i),
                    "age_at_offense": 17,
                    "minor_at_offense": True,
                    "phone": f"1380000{i:04d}" if i % 2 else None,
                    "address": f"某街{i}号" if i % 3 else None,
                    "spp_approval_document": None,
                    "version": 1,
                    "created_at": now_utc(),
                }
            )
        for i in range(count // 10):
            await repo.insert_step(
                {
                    "case_file": case["id"],
                    "kind": "讯问",
                    "occurred_on": date(2021, 3, 11),
                    "summary": f"第{i}次讯问。",
                    "created_by": None,
                    "created_at": now_utc(),
                }
            )
    return int(case["id"])


async def test_rotate_rewrap_retire(client: httpx.AsyncClient) -> None:
    await _seed_people(client, 30)
    old_data, old_index = _primary_ids()
    before_cells = await _stored()
    before = await _plaintext_hashes()
    assert _key_ids(before_cells) == {old_data, old_index}

    r = cli("keys", "rotate")
    assert r.returncode == 0, r.stderr
    assert "new primary data key" in r.stdout and "new primary index key" in r.stdout
    pf.reset()
    new_data, new_index = _primary_ids()
    assert {new_data, new_index}.isdisjoint({old_data, old_index})

    # old values still open; lookups find rows indexed under the old index key
    assert await _plaintext_hashes() == before
    hits = await repo.persons_by_id_number(
        (await db.fetch("SELECT unit FROM case_file"))[0]["unit"], resident_id(date(2004, 1, 5))
    )
    assert [h.name for h, _ in hits] == ["证人00004"]

    refused = cli("keys", "retire", old_data)
    assert refused.returncode == 2 and "keys rewrap" in refused.stderr

    first = cli("keys", "rewrap", "--batch-size", "7")
    assert first.returncode == 0, first.stderr
    assert "person: 30 rows examined, 30 rewritten" in first.stdout
    after_cells = await _stored()
    assert _key_ids(after_cells) == {new_data, new_index}
    assert await _plaintext_hashes() == before
    second = cli("keys", "rewrap")
    assert "person: 30 rows examined, 0 rewritten" in second.stdout and "case_step: 3 rows examined, 0" in second.stdout
    assert await _stored() == after_cells  # a second run changes nothing

    for key_id in (old_data, old_index):
        done = cli("keys", "retire", key_id)
        assert done.returncode == 0, done.stderr
    listed = cli("keys", "list", "--usage")
    assert listed.returncode == 0
    statuses = {line.split()[0]: line.split()[3] for line in listed.stdout.splitlines()}
    assert statuses[old_data] == statuses[old_index] == "retired" and statuses[new_data] == "primary"
    material = [k["material"] for k in json.loads(get_settings().keys_file.read_text())["keys"]]
    for secret in material:
        assert secret not in listed.stdout + listed.stderr + first.stdout + first.stderr
    assert cli("keys", "retire", new_data).returncode == 2  # the primary key cannot be retired
    logged = await db.fetch("SELECT action, target, role FROM access_log WHERE action LIKE 'keys.%' ORDER BY seq")
    actions = [(r["action"], r["target"]) for r in logged]
    assert ("keys.rotate", f"key:{new_data},key:{new_index}") in actions
    assert ("keys.rewrap", "keys:primary") in actions
    assert ("keys.retire", f"key:{old_data}") in actions and ("keys.retire", f"key:{old_index}") in actions
    assert {r["role"] for r in logged} == {"operator"}

    # a value restored from a backup taken before the rewrap is refused now
    pf.reset()
    (table, col, row_id), old_value = next((k, v) for k, v in before_cells.items() if k[1] == "name")
    async with db.transaction():
        await db.fetch(f"UPDATE {table} SET {col} = {{}} WHERE id = {{}}", old_value, row_id)
    await make_user("pro_keys2", "prosecutor")
    r2 = await client.get(f"/api/persons/{row_id}", headers=await auth(client, "pro_keys"))
    assert r2.status_code == 500 and r2.json()["title"] == "integrity"
    async with db.transaction():
        await db.fetch("DELETE FROM person")  # no value under a retired key outlives this test


async def test_a_keyring_without_the_databases_keys_is_refused_at_start(client: httpx.AsyncClient) -> None:
    await _seed_people(client, 3)
    env = {**os.environ, "JJ_KEYRING": Keyring.generate().export_json()}
    for command in (["migrate"], ["keys", "list", "--usage"]):
        r = cli(*command, env=env)
        assert r.returncode == 3, r.stderr
        assert "does not have" in r.stderr and "JJ_KEYS_FILE" in r.stderr
    assert cli("migrate").returncode == 0  # the right keyring still works


async def test_rewrap_killed_mid_run_resumes_to_identical_plaintexts_across_suites(client: httpx.AsyncClient) -> None:
    await _seed_people(client, 1500)
    before = await _plaintext_hashes()
    rotated = cli("keys", "rotate", "--suite", "sm")  # AES -> SM4: both suites in one store meanwhile
    assert rotated.returncode == 0, rotated.stderr
    pf.reset()
    new_data, new_index = _primary_ids()
    assert pf.keyring().info(new_data).suite.value == "sm"

    proc = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "juvenile_justice.cli", "keys", "rewrap", "--batch-size", "5"],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    done = 0
    try:
        while time.monotonic() < deadline:
            names = await db.fetch("SELECT name FROM person")
            done = sum(key_id_of(r["name"]) == new_data for r in names)
            if done >= 50:
                break
            await asyncio.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    assert 50 <= done < 1500, f"rewrap did not stop mid-run ({done} rows done)"
    mixed = _key_ids(await _stored())
    assert new_data in mixed and len(mixed) > 2  # both suites' keys in the store at once
    assert await _plaintext_hashes() == before

    resumed = cli("keys", "rewrap")
    assert resumed.returncode == 0, resumed.stderr
    assert (
        f"person: 1500 rows examined, {1500 - done}" in resumed.stdout or "person: 1500 rows examined" in resumed.stdout
    )
    assert _key_ids(await _stored()) == {new_data, new_index}
    assert await _plaintext_hashes() == before
    again = cli("keys", "rewrap")
    assert "person: 1500 rows examined, 0 rewritten" in again.stdout


def test_first_run_creates_a_development_keyring_with_a_warning(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"JJ_KEYS_FILE", "JJ_KEYRING", "JJ_DATABASE_URL"}}
    env["JJ_DATA_DIR"] = str(tmp_path)
    ring = tmp_path / "keyring.json"
    none_yet = cli("keys", "list", env=env)
    assert none_yet.returncode == 3 and "no keyring" in none_yet.stderr and not ring.exists()
    r = cli("migrate", env=env)
    assert r.returncode == 0, r.stderr
    assert "development_keyring_created" in r.stderr
    assert ring.stat().st_mode & 0o777 == 0o600
    listed = cli("keys", "list", env=env)
    assert sorted(line.split()[1] for line in listed.stdout.splitlines()) == ["data", "index"]
    for key in json.loads(ring.read_text())["keys"]:
        assert key["material"] not in r.stdout + r.stderr + listed.stdout + listed.stderr
    again = cli("migrate", env=env)
    assert again.returncode == 0 and "development_keyring_created" not in again.stderr


async def test_a_missing_keyring_next_to_sealed_data_is_never_replaced(client: httpx.AsyncClient) -> None:
    await _seed_people(client, 2)
    ring = get_settings().keys_file
    saved = ring.read_bytes()
    ring.unlink()
    try:
        for command in (["migrate"], ["keys", "list"], ["keys", "rotate"], ["keys", "rewrap"]):
            r = cli(*command)
            assert r.returncode == 3, (command, r.stderr)
            assert "keyring" in r.stderr and not ring.exists(), command
        # a process that has its keys loaded keeps them (the file is gone: nothing new to learn)
        assert len(await repo.persons_of_case((await db.fetch("SELECT id FROM case_file"))[0]["id"])) == 2
    finally:
        fd = os.open(ring, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(saved)


async def test_a_running_process_rejects_a_replaced_or_corrupt_keyring(client: httpx.AsyncClient) -> None:
    from juvenile_justice.lib.keyring import FileKeyring

    ring = get_settings().keys_file
    saved = ring.read_bytes()
    loaded = FileKeyring(ring, refresh_interval=0)
    before = {k.key_id for k in loaded.key_infos()}
    try:
        for replacement in (Keyring.generate().export_json().encode(), b"{not json", b""):
            ring.chmod(0o600)
            ring.write_bytes(replacement)
            os.utime(ring, ns=(time.time_ns(), time.time_ns() + 1_000_000))
            data_key = loaded.primary_key(Purpose.DATA)  # triggers the re-read; the file is refused
            assert data_key.key_id.hex() in before
            assert {k.key_id for k in loaded.key_infos()} == before
    finally:
        ring.write_bytes(saved)


def test_an_environment_keyring_is_used_and_cannot_be_rotated_in_place(tmp_path: Path) -> None:
    ring = Keyring.generate(Suite.SM)
    env = {k: v for k, v in os.environ.items() if k not in {"JJ_KEYS_FILE", "JJ_DATABASE_URL"}}
    env.update(JJ_DATA_DIR=str(tmp_path), JJ_KEYRING=ring.export_json(), JJ_CRYPTO_SUITE="sm")
    listed = subprocess.run(
        [sys.executable, "-m", "juvenile_justice.cli", "keys", "list"], env=env, capture_output=True, text=True
    )
    assert {line.split()[0] for line in listed.stdout.splitlines()} == {k.key_id for k in ring.key_infos()}
    assert not (tmp_path / "keyring.json").exists()
    rotate = subprocess.run(
        [sys.executable, "-m", "juvenile_justice.cli", "keys", "rotate"], env=env, capture_output=True, text=True
    )
    assert rotate.returncode == 3 and "read-only" in rotate.stderr


def _traffic(url: str, token: str, case_id: int, stop: threading.Event) -> list[int]:
    """Reads and writes against the live server until ``stop``: statuses of every request."""
    statuses: list[int] = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        i = 0
        while not stop.is_set():
            number = resident_id(date(2003, 1, 1) + timedelta(days=i))
            r = http.post(
                f"/api/cases/{case_id}/persons",
                json={"role": "witness", "name": f"在线{i:04d}", "gender": "male", "id_number": number, "phone": "1"},
            )
            statuses.append(r.status_code)
            if r.status_code == 201:
                statuses.append(http.get(f"/api/persons/{r.json()['id']}").status_code)
            statuses.append(http.post("/api/persons/lookup", json={"id_number": number}).status_code)
            statuses.append(http.get(f"/api/cases/{case_id}/persons").status_code)
            i += 1
    return statuses


async def test_rotation_and_rewrap_while_serving_lose_no_request(client: httpx.AsyncClient, live_server: str) -> None:
    case_id = await _seed_people(client, 300)
    old_data, _ = _primary_ids()
    token = (await auth(client, "pro_keys"))["Authorization"].removeprefix("Bearer ")
    stop = threading.Event()
    load = asyncio.ensure_future(asyncio.to_thread(_traffic, live_server, token, case_id, stop))
    try:
        await asyncio.sleep(1)
        assert (await asyncio.to_thread(cli, "keys", "rotate")).returncode == 0
        await asyncio.sleep(0.5)
        rewrap = await asyncio.to_thread(cli, "keys", "rewrap", "--batch-size", "50")
        assert rewrap.returncode == 0, rewrap.stderr
        await asyncio.sleep(2.5)  # the server has re-read the keyring: its new writes use the new key
    finally:
        stop.set()
        statuses = await load
    assert len(statuses) > 40 and set(statuses) <= {200, 201}, sorted(set(statuses))
    final = await asyncio.to_thread(cli, "keys", "rewrap")  # values written before the server re-read the keyring
    assert final.returncode == 0, final.stderr
    pf.reset()
    new_data, new_index = _primary_ids()
    assert new_data != old_data
    assert _key_ids(await _stored()) == {new_data, new_index}
    written = await db.fetch("SELECT COUNT(*) AS n FROM person")
    assert written[0]["n"] > 300


def test_a_primary_key_of_another_suite_is_reported(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"JJ_KEYS_FILE", "JJ_KEYRING", "JJ_DATABASE_URL"}}
    env.update(JJ_DATA_DIR=str(tmp_path), JJ_KEYRING=Keyring.generate(Suite.AES).export_json(), JJ_CRYPTO_SUITE="sm")
    r = subprocess.run(
        [sys.executable, "-m", "juvenile_justice.cli", "keys", "list"], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0 and "crypto_suite_mismatch" in r.stderr


async def test_rewrap_repairs_an_altered_blind_index(client: httpx.AsyncClient) -> None:
    case_id = await _seed_people(client, 5)
    number = resident_id(date(2004, 1, 3))
    unit = (await db.fetch("SELECT unit FROM case_file WHERE id = {}", case_id))[0]["unit"]
    assert len(await repo.persons_by_id_number(unit, number)) == 1
    [row] = await db.fetch("SELECT id, id_number_index FROM person WHERE name IS NOT NULL ORDER BY id LIMIT 1 OFFSET 2")
    key_id, _, bits = row["id_number_index"].partition(":")
    async with db.transaction():
        await db.fetch(
            "UPDATE person SET id_number_index = {} WHERE id = {}", f"{key_id}:{(int(bits, 16) ^ 1):04x}", row["id"]
        )
    assert await repo.persons_by_id_number(unit, number) == []  # an index is a search aid: altered, it misses
    r = cli("keys", "rewrap")
    assert r.returncode == 0 and "person: 5 rows examined, 1 rewritten" in r.stdout, r.stdout + r.stderr
    assert [p.name for p, _ in await repo.persons_by_id_number(unit, number)] == ["证人00002"]


@pytest.mark.parametrize("kind", ["directory", "not json", "empty", "readable by others", "no keys"])
def test_an_unusable_keyring_ends_every_command_cleanly(tmp_path: Path, kind: str) -> None:
    ring = tmp_path / "keys" / "keyring.json"
    ring.parent.mkdir()
    if kind == "directory":
        ring.mkdir()
    else:
        content = {"not json": "{", "empty": "", "no keys": '{"format": "juvenile-justice.keyring.v1", "keys": []}'}
        ring.write_text(content.get(kind, Keyring.generate().export_json()))
        ring.chmod(0o644 if kind == "readable by others" else 0o600)
    env = {k: v for k, v in os.environ.items() if k not in {"JJ_KEYRING", "JJ_DATABASE_URL"}}
    env.update(JJ_DATA_DIR=str(tmp_path), JJ_KEYS_FILE=str(ring))
    for command in (["keys", "list"], ["keys", "rotate"], ["migrate"]):
        r = cli(*command, env=env)
        assert r.returncode == 3, (command, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and r.stderr.startswith("error: "), r.stderr


async def test_a_keyring_with_the_same_ids_but_other_material_is_refused_at_start(client: httpx.AsyncClient) -> None:
    await _seed_people(client, 3)
    data = json.loads(get_settings().keys_file.read_text())
    for key in data["keys"]:
        key["material"] = base64.b64encode(os.urandom(len(base64.b64decode(key["material"])))).decode()
    r = cli("migrate", env={**os.environ, "JJ_KEYRING": json.dumps(data)})
    assert r.returncode == 3 and "other key material" in r.stderr, r.stderr
