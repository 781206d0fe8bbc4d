"""Tests for juvenile_justice.lib.keyring: the JSON form, the keyring file, the environment provider.

Runs under both suites. Real files in a temporary directory; real keys.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from juvenile_justice.lib.crypto import (
    DecryptionError,
    FieldCrypto,
    KeyringError,
    Purpose,
    Suite,
    key_id_of,
)
from juvenile_justice.lib.keyring import (
    KEYRING_FORMAT,
    EnvKeyring,
    FileKeyring,
    Keyring,
    create_development_keyring,
)

CELL = {"table": "person", "column": "name", "row_id": 3}
NAME = "张小明"


@pytest.fixture(params=[Suite.AES, Suite.SM], ids=["aes", "sm"], autouse=True)
def suite(request: pytest.FixtureRequest) -> Suite:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def path(tmp_path: Path, suite: Suite) -> Path:
    keyring_path = tmp_path / "keys" / "keyring.json"
    assert create_development_keyring(keyring_path, suite)
    return keyring_path


def document(keyring: Keyring) -> dict[str, Any]:
    return json.loads(keyring.export_json())  # type: ignore[no-any-return]


def secrets_of(text: str) -> list[str]:
    return [k["material"] for k in json.loads(text)["keys"]]


# ------------------------------------------------------------------------------------------- JSON


def test_generate_and_json_round_trip(suite: Suite) -> None:
    keyring = Keyring.generate(suite)
    doc = document(keyring)
    assert doc["format"] == KEYRING_FORMAT
    assert sorted(k["purpose"] for k in doc["keys"]) == ["data", "index"]
    for entry in doc["keys"]:
        assert set(entry) == {"id", "suite", "purpose", "status", "created_at", "material"}
        assert entry["suite"] == suite and entry["status"] == "primary" and entry["created_at"].endswith("Z")
        expected = suite.data_key_length if entry["purpose"] == "data" else 32
        assert len(base64.b64decode(entry["material"])) == expected
    again = Keyring.from_json(keyring.export_json())
    assert again.key_infos() == keyring.key_infos()
    envelope = FieldCrypto(keyring).encrypt_field(NAME, **CELL)
    assert FieldCrypto(again).decrypt_field(envelope, **CELL) == NAME


def _break(doc: dict[str, Any], how: str) -> dict[str, Any]:
    doc = json.loads(json.dumps(doc))
    data = next(k for k in doc["keys"] if k["purpose"] == "data")
    if how == "short material":
        data["material"] = base64.b64encode(base64.b64decode(data["material"])[:-1]).decode()
    elif how == "bad base64":
        data["material"] = data["material"][:-2] + "!!"
    elif how == "unknown field":
        data["materiel"] = data["material"]
    elif how == "missing field":
        del data["created_at"]
    elif how == "bad id":
        data["id"] = data["id"].upper() if any(c.isalpha() for c in data["id"]) else "xyz"
    elif how == "duplicate id":
        doc["keys"].append(dict(data, status="active"))
    elif how == "two primaries":
        doc["keys"].append(dict(data, id="00000000"))
    elif how == "no primary":
        data["status"] = "active"
    elif how == "bad suite":
        data["suite"] = "des"
    elif how == "bad purpose":
        data["purpose"] = "both"
    elif how == "naive time":
        data["created_at"] = "2026-11-29T11:00:00"
    elif how == "wrong format":
        doc["format"] = "something-else"
    elif how == "extra top-level":
        doc["comment"] = "x"
    return doc


@pytest.mark.parametrize(
    "how",
    [
        "short material",
        "bad base64",
        "unknown field",
        "missing field",
        "bad id",
        "duplicate id",
        "two primaries",
        "no primary",
        "bad suite",
        "bad purpose",
        "naive time",
        "wrong format",
        "extra top-level",
    ],
)
def test_malformed_keyring_refused_without_echoing_keys(suite: Suite, how: str) -> None:
    good = Keyring.generate(suite).export_json()
    bad = json.dumps(_break(json.loads(good), how))
    with pytest.raises(KeyringError) as info:
        Keyring.from_json(bad)
    text = repr(info.value) + str(info.value)
    for material in secrets_of(good):
        assert material not in text and base64.b64decode(material).hex() not in text


@pytest.mark.parametrize("text", ["", "not json", "[]", '{"format": "x"}', "{" + '"a":' * 3])
def test_unparseable_keyring_refused_without_context(text: str) -> None:
    with pytest.raises(KeyringError) as info:
        Keyring.from_json(text)
    assert info.value.__context__ is None  # the JSON decoder's error would hold the whole document


# ------------------------------------------------------------------------------------------- file


def test_development_keyring_file(path: Path, suite: Suite) -> None:
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o077 == 0
    assert not create_development_keyring(path, suite)  # never overwritten
    keyring = FileKeyring(path)
    assert {k.suite for k in keyring.key_infos()} == {suite}
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert str(path) in repr(keyring) or "FileKeyring" in repr(keyring)
    for material in secrets_of(path.read_text()):
        assert material not in repr(keyring)


def test_concurrent_first_runs_create_one_keyring(tmp_path: Path, suite: Suite) -> None:
    target = tmp_path / "keyring.json"
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        results.append(create_development_keyring(target, suite))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    FileKeyring(target)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_keyring_readable_by_others_refused(path: Path, mode: int) -> None:
    path.chmod(mode)
    with pytest.raises(KeyringError, match="chmod 600"):
        FileKeyring(path)


def test_missing_or_symlinked_keyring_refused(path: Path, tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="no keyring file"):
        FileKeyring(tmp_path / "absent.json")
    link = tmp_path / "link.json"
    link.symlink_to(path)
    with pytest.raises(KeyringError):
        FileKeyring(link)


def test_rotate_and_retire_persist(path: Path, suite: Suite) -> None:
    keyring = FileKeyring(path)
    fc = FieldCrypto(keyring)
    old = fc.encrypt_field(NAME, **CELL)
    new_key = keyring.rotate(Purpose.DATA)
    reopened = FileKeyring(path)
    assert reopened.primary_key(Purpose.DATA).key_id.hex() == new_key.key_id
    assert reopened.info(key_id_of(old)).status == "active"
    assert FieldCrypto(reopened).decrypt_field(old, **CELL) == NAME
    keyring.retire(key_id_of(old))
    assert FileKeyring(path).info(key_id_of(old)).status == "retired"
    with pytest.raises(DecryptionError):
        FieldCrypto(FileKeyring(path)).decrypt_field(old, **CELL)
    assert path.stat().st_mode & 0o777 == 0o600


def test_another_process_sees_a_new_key_at_once(path: Path) -> None:
    """A worker that has not re-read the file still opens values written under a just-added key."""
    writer, reader = FileKeyring(path), FileKeyring(path, refresh_interval=3600)
    writer.rotate(Purpose.DATA)
    envelope = FieldCrypto(writer).encrypt_field(NAME, **CELL)
    assert FieldCrypto(reader).decrypt_field(envelope, **CELL) == NAME


def test_another_process_sees_a_retirement_after_the_refresh_interval(path: Path) -> None:
    writer, reader = FileKeyring(path), FileKeyring(path, refresh_interval=0)
    old = FieldCrypto(reader).encrypt_field(NAME, **CELL)
    writer.rotate(Purpose.DATA)
    writer.retire(key_id_of(old))
    with pytest.raises(DecryptionError) as info:
        FieldCrypto(reader).decrypt_field(old, **CELL)
    assert info.value.reason == "retired_key"
    assert key_id_of(FieldCrypto(reader).encrypt_field(NAME, **CELL)) != key_id_of(old)


def test_concurrent_rotations_lose_nothing(path: Path) -> None:
    first, second = FileKeyring(path), FileKeyring(path)
    added = [first.rotate(Purpose.DATA), second.rotate(Purpose.DATA), first.rotate(Purpose.INDEX)]
    final = FileKeyring(path)
    ids = {k.key_id for k in final.key_infos()}
    assert {a.key_id for a in added} <= ids
    assert final.primary_key(Purpose.DATA).key_id.hex() == added[1].key_id
    assert [k.status for k in final.key_infos() if k.purpose == "data"].count("primary") == 1


def test_keyring_file_removed_while_serving_keeps_loaded_keys(path: Path) -> None:
    keyring = FileKeyring(path, refresh_interval=0)
    envelope = FieldCrypto(keyring).encrypt_field(NAME, **CELL)
    path.unlink()
    assert FieldCrypto(keyring).decrypt_field(envelope, **CELL) == NAME


def test_a_corrupted_or_replaced_keyring_file_is_rejected_and_the_loaded_keys_stay(path: Path) -> None:
    keyring = FileKeyring(path, refresh_interval=0)
    fc = FieldCrypto(keyring)
    envelope = fc.encrypt_field(NAME, **CELL)
    for text in ("{}", "", Keyring.generate().export_json()):  # unparsable, empty, unrelated keys
        path.write_text(text)
        # a running process keeps its keys: no request fails, none is sealed under unrelated keys
        assert fc.decrypt_field(fc.encrypt_field(NAME, **CELL), **CELL) == NAME
        assert fc.decrypt_field(envelope, **CELL) == NAME
        # a process starting now refuses an unusable file; the unrelated one it would take as given
        if not text.startswith("{\n"):
            with pytest.raises(KeyringError):
                FileKeyring(path)


def test_a_file_giving_loaded_key_ids_other_material_is_rejected(path: Path) -> None:
    keyring = FileKeyring(path, refresh_interval=0)
    fc = FieldCrypto(keyring)
    envelope = fc.encrypt_field(NAME, **CELL)
    data = json.loads(path.read_text())
    for key in data["keys"]:
        key["material"] = base64.b64encode(os.urandom(len(base64.b64decode(key["material"])))).decode()
    path.write_text(json.dumps(data))
    assert fc.decrypt_field(envelope, **CELL) == NAME  # still the loaded keys
    assert fc.decrypt_field(fc.encrypt_field(NAME, **CELL), **CELL) == NAME
    with pytest.raises(DecryptionError):
        FieldCrypto(FileKeyring(path)).decrypt_field(envelope, **CELL)  # a fresh process would not open it


# -------------------------------------------------------------------------------------- environment


def test_environment_keyring(suite: Suite) -> None:
    source = Keyring.generate(suite)
    env = {"JJ_KEYRING": source.export_json()}
    keyring = EnvKeyring(env)
    envelope = FieldCrypto(source).encrypt_field(NAME, **CELL)
    assert FieldCrypto(keyring).decrypt_field(envelope, **CELL) == NAME
    with pytest.raises(KeyringError, match="read-only"):
        keyring.rotate(Purpose.DATA)
    for material in secrets_of(env["JJ_KEYRING"]):
        assert material not in repr(keyring)
    with pytest.raises(KeyringError, match="JJ_KEYRING is not set"):
        EnvKeyring({})
    assert EnvKeyring({"OTHER": env["JJ_KEYRING"]}, variable="OTHER").key_infos() == keyring.key_infos()


def test_environment_keyring_reads_os_environ(monkeypatch: pytest.MonkeyPatch, suite: Suite) -> None:
    monkeypatch.setenv("JJ_KEYRING", Keyring.generate(suite).export_json())
    assert len(EnvKeyring().key_infos()) == 2
    monkeypatch.delenv("JJ_KEYRING")
    with pytest.raises(KeyringError):
        EnvKeyring()
    assert "JJ_KEYRING" not in os.environ
