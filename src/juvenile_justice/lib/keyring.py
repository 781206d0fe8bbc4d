"""Keyrings: the field-encryption keys, kept outside the database (issue 3, security.md §1.8, E6, E9).

A keyring is a list of keys, each with an id (8 hex digits, written in every envelope header), a suite
(``aes`` or ``sm``), a purpose (``data`` for field encryption, ``index`` for blind indexes: separate
random keys, never derived from each other), a status and its material. Per purpose exactly one key is
``primary`` (new writes); ``active`` keys still open old values; ``retired`` keys are refused.

JSON form (the keyring file, mode 0600, path ``JJ_KEYS_FILE``; or the variable ``JJ_KEYRING``)::

    {"format": "juvenile-justice.keyring.v1",
     "keys": [{"id": "3f2a9c01", "suite": "aes", "purpose": "data", "status": "primary",
               "created_at": "2026-11-29T11:00:00Z", "material": "<standard base64>"}, ...]}

Material: 32 bytes for AES-256 data keys, 16 for SM4 data keys, 32 for index keys of either suite.

Providers: :class:`Keyring` (in memory), :class:`FileKeyring` (the file; changes are written
atomically under a lock, and other processes pick them up: at once for an unknown key id, within
``refresh_interval`` seconds otherwise), :class:`EnvKeyring` (read-only). All implement
:class:`~juvenile_justice.lib.crypto.KeyProvider`; a KMS or certified module can replace them.
"""

from __future__ import annotations

import binascii
import fcntl
import hmac
import json
import math
import os
import re
import secrets
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Final, TypeVar

import structlog

from juvenile_justice.lib.clock import now_utc
from juvenile_justice.lib.crypto import (
    INDEX_KEY_LENGTH,
    KEY_ID_LENGTH,
    DecryptionError,
    KeyringError,
    KeyStatus,
    LocalKey,
    Purpose,
    Suite,
)

KEYRING_FORMAT: Final = "juvenile-justice.keyring.v1"
ENV_VARIABLE: Final = "JJ_KEYRING"

_log = structlog.get_logger("juvenile_justice.keyring")

_ID_PATTERN: Final = re.compile(r"[0-9a-f]{8}")
_ENTRY_FIELDS: Final = frozenset({"id", "suite", "purpose", "status", "created_at", "material"})

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A key's public metadata (no material)."""

    key_id: str
    suite: Suite
    purpose: Purpose
    status: KeyStatus
    created_at: datetime


@dataclass(frozen=True, slots=True)
class _KeyRecord:
    info: KeyInfo
    material: bytes = field(repr=False)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("keys cannot be pickled or copied")


@dataclass(frozen=True, slots=True)
class _State:
    records: tuple[_KeyRecord, ...]
    by_id: dict[bytes, tuple[KeyInfo, LocalKey]]
    usable: dict[bytes, LocalKey]  # the non-retired keys (the read path's one look-up)
    primary: dict[Purpose, LocalKey]


def _build_state(records: Iterable[_KeyRecord]) -> _State:
    records = tuple(records)
    by_id: dict[bytes, tuple[KeyInfo, LocalKey]] = {}
    primary: dict[Purpose, LocalKey] = {}
    for record in records:
        info = record.info
        key_id = bytes.fromhex(info.key_id)
        if key_id in by_id:
            raise KeyringError(f"key id {info.key_id} appears twice in the keyring")
        handle = LocalKey(key_id, info.suite, info.purpose, record.material)
        by_id[key_id] = (info, handle)
        if info.status is KeyStatus.PRIMARY:
            if info.purpose in primary:
                raise KeyringError(f"the keyring has two primary {info.purpose} keys")
            primary[info.purpose] = handle
    for purpose in {r.info.purpose for r in records}:
        if purpose not in primary:
            raise KeyringError(f"the keyring has {purpose} keys but none is primary")
    usable = {kid: handle for kid, (info, handle) in by_id.items() if info.status is not KeyStatus.RETIRED}
    return _State(records, by_id, usable, primary)


def _parse_entry(position: int, entry: object) -> _KeyRecord:
    if not isinstance(entry, dict):
        raise KeyringError(f"keyring entry {position} is not an object")
    key_id = entry.get("id")
    if not isinstance(key_id, str) or not _ID_PATTERN.fullmatch(key_id):
        raise KeyringError(f"keyring entry {position}: 'id' must be 8 lower-case hex digits")
    where = f"keyring entry {position} (key {key_id})"
    unknown = set(entry) - _ENTRY_FIELDS
    missing = _ENTRY_FIELDS - set(entry)
    if unknown or missing:
        raise KeyringError(f"{where}: unknown fields {sorted(unknown)}, missing fields {sorted(missing)}")
    suite = _member(Suite, entry["suite"])
    purpose = _member(Purpose, entry["purpose"])
    status = _member(KeyStatus, entry["status"])
    if suite is None or purpose is None or status is None:
        raise KeyringError(f"{where}: suite must be aes|sm, purpose data|index, status primary|active|retired")
    created_at = _parse_time(entry["created_at"])
    if created_at is None:
        raise KeyringError(f"{where}: created_at must be an ISO 8601 time with a zone")
    material = _parse_material(entry["material"])
    expected = suite.data_key_length if purpose is Purpose.DATA else INDEX_KEY_LENGTH
    if material is None or len(material) != expected:
        raise KeyringError(f"{where}: material must be {expected} bytes in standard base64")
    return _KeyRecord(KeyInfo(key_id, suite, purpose, status, created_at), material)


E = TypeVar("E", Suite, Purpose, KeyStatus)


def _member(kind: type[E], value: object) -> E | None:
    return kind(value) if isinstance(value, str) and value in kind._value2member_map_ else None


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _parse_material(value: object) -> bytes | None:
    if not isinstance(value, str) or not value.isascii():
        return None
    try:
        return binascii.a2b_base64(value.encode("ascii"), strict_mode=True)
    except binascii.Error:
        return None


def _parse_keyring(text: str | bytes) -> tuple[_KeyRecord, ...]:
    """Records from keyring JSON; errors name fields and key ids, never material."""
    try:
        document: Any = json.loads(text)
    except (ValueError, TypeError):
        document = None  # the decoder's exception holds the whole document: do not chain it
    if not isinstance(document, dict):
        raise KeyringError("the keyring is not a JSON object")
    if document.get("format") != KEYRING_FORMAT or set(document) != {"format", "keys"}:
        raise KeyringError(f"the keyring must be {{'format': '{KEYRING_FORMAT}', 'keys': [...]}}")
    entries = document["keys"]
    if not isinstance(entries, list):
        raise KeyringError("the keyring's 'keys' must be a list")
    return tuple(_parse_entry(i, entry) for i, entry in enumerate(entries))


def _dump_keyring(records: Iterable[_KeyRecord]) -> str:
    keys = [
        {
            "id": r.info.key_id,
            "suite": str(r.info.suite),
            "purpose": str(r.info.purpose),
            "status": str(r.info.status),
            "created_at": r.info.created_at.isoformat().replace("+00:00", "Z"),
            "material": binascii.b2a_base64(r.material, newline=False).decode("ascii"),
        }
        for r in records
    ]
    return json.dumps({"format": KEYRING_FORMAT, "keys": keys}, indent=2) + "\n"


# ---------------------------------------------------------------------------------------- changes


def _new_record(records: tuple[_KeyRecord, ...], purpose: Purpose, suite: Suite, status: KeyStatus) -> _KeyRecord:
    taken = {r.info.key_id for r in records}
    while True:
        key_id = secrets.token_bytes(KEY_ID_LENGTH).hex()
        if key_id not in taken:
            break
    length = suite.data_key_length if purpose is Purpose.DATA else INDEX_KEY_LENGTH
    info = KeyInfo(key_id, suite, purpose, status, now_utc().replace(microsecond=0))
    return _KeyRecord(info, secrets.token_bytes(length))


def _with_primary(records: tuple[_KeyRecord, ...], new_primary: str) -> tuple[_KeyRecord, ...]:
    """``new_primary`` becomes primary; the former primary of its purpose becomes active."""
    purpose = next(r.info.purpose for r in records if r.info.key_id == new_primary)
    out = []
    for r in records:
        if r.info.key_id == new_primary:
            r = replace(r, info=replace(r.info, status=KeyStatus.PRIMARY))
        elif r.info.purpose is purpose and r.info.status is KeyStatus.PRIMARY:
            r = replace(r, info=replace(r.info, status=KeyStatus.ACTIVE))
        out.append(r)
    return tuple(out)


def _find(records: tuple[_KeyRecord, ...], key_id: str) -> _KeyRecord:
    for r in records:
        if r.info.key_id == key_id:
            return r
    raise KeyringError(f"no key {key_id!r} in the keyring")


def _info(records: tuple[_KeyRecord, ...], key_id: str) -> KeyInfo:
    return _find(records, key_id).info


Change = Callable[[tuple[_KeyRecord, ...]], tuple[tuple[_KeyRecord, ...], T]]


# --------------------------------------------------------------------------------------- providers


class Keyring:
    """An in-memory keyring; implements :class:`~juvenile_justice.lib.crypto.KeyProvider`."""

    _next_check: float = math.inf  # when a backed keyring next looks for changes (never, in memory)

    def __init__(self, records: Iterable[_KeyRecord] = (), *, read_only: bool = False) -> None:
        self._state = _build_state(records)
        self._read_only = read_only

    @classmethod
    def generate(cls, suite: Suite = Suite.AES) -> Keyring:
        """A fresh keyring: one primary data key and one primary index key of ``suite``."""
        data = _new_record((), Purpose.DATA, suite, KeyStatus.PRIMARY)
        index = _new_record((data,), Purpose.INDEX, suite, KeyStatus.PRIMARY)
        return cls((data, index))

    @classmethod
    def from_json(cls, text: str | bytes, *, read_only: bool = False) -> Keyring:
        """A keyring from its JSON form (see the module docstring)."""
        return cls(_parse_keyring(text), read_only=read_only)

    def export_json(self) -> str:
        """The JSON form, **with key material**: only for writing a keyring file or variable."""
        return _dump_keyring(self._state.records)

    def __repr__(self) -> str:
        primaries = ", ".join(f"{p} {h.suite} {h.key_id.hex()}" for p, h in sorted(self._state.primary.items()))
        return f"<{type(self).__name__}: {len(self._state.records)} keys; primary {primaries or 'none'}>"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("keyrings cannot be pickled or copied")

    # -- KeyProvider

    def primary_key(self, purpose: Purpose) -> LocalKey:
        if time.monotonic() >= self._next_check:
            self._maybe_refresh(force=False)
        handle = self._state.primary.get(purpose)
        if handle is None:
            raise KeyringError(f"the keyring has no primary {purpose} key")
        return handle

    def key(self, key_id: bytes) -> LocalKey:
        if time.monotonic() >= self._next_check:
            self._maybe_refresh(force=False)
        handle = self._state.usable.get(key_id)
        if handle is not None:
            return handle
        if key_id not in self._state.by_id:
            self._maybe_refresh(force=True)  # perhaps another process has just added it
            handle = self._state.usable.get(key_id)
            if handle is not None:
                return handle
        if key_id in self._state.by_id:
            raise DecryptionError("retired_key", key_id=key_id.hex())
        raise DecryptionError("unknown_key", key_id=key_id.hex())

    def usable_keys(self, purpose: Purpose) -> list[LocalKey]:
        self._maybe_refresh(force=False)
        primary = self.primary_key(purpose)
        others = [
            handle
            for info, handle in self._state.by_id.values()
            if info.purpose is purpose and info.status is KeyStatus.ACTIVE
        ]
        return [primary, *others]

    # -- inspection

    def key_infos(self) -> list[KeyInfo]:
        """Every key's metadata, in keyring order."""
        self._maybe_refresh(force=False)
        return [r.info for r in self._state.records]

    def info(self, key_id: str) -> KeyInfo:
        """One key's metadata."""
        return _info(self._state.records, key_id)

    # -- changes

    def add_key(self, purpose: Purpose, suite: Suite, *, primary: bool = False) -> KeyInfo:
        """Add a key; as ``active`` it can be distributed to every worker before it is promoted."""

        def change(records: tuple[_KeyRecord, ...]) -> tuple[tuple[_KeyRecord, ...], KeyInfo]:
            record = _new_record(records, purpose, suite, KeyStatus.ACTIVE)
            records = (*records, record)
            if primary:
                records = _with_primary(records, record.info.key_id)
            return records, _info(records, record.info.key_id)

        return self._mutate(change)

    def promote(self, key_id: str) -> KeyInfo:
        """Make an active key the primary of its purpose (the old primary stays active)."""

        def change(records: tuple[_KeyRecord, ...]) -> tuple[tuple[_KeyRecord, ...], KeyInfo]:
            if _find(records, key_id).info.status is KeyStatus.RETIRED:
                raise KeyringError(f"key {key_id} is retired and cannot become primary")
            records = _with_primary(records, key_id)
            return records, _info(records, key_id)

        return self._mutate(change)

    def rotate(self, purpose: Purpose, suite: Suite | None = None) -> KeyInfo:
        """A new primary key for ``purpose`` (default: the current primary's suite, else ``aes``)."""

        def change(records: tuple[_KeyRecord, ...]) -> tuple[tuple[_KeyRecord, ...], KeyInfo]:
            current = [r for r in records if r.info.purpose is purpose and r.info.status is KeyStatus.PRIMARY]
            chosen = suite if suite is not None else (current[0].info.suite if current else Suite.AES)
            record = _new_record(records, purpose, chosen, KeyStatus.ACTIVE)
            records = _with_primary((*records, record), record.info.key_id)
            return records, _info(records, record.info.key_id)

        return self._mutate(change)

    def retire(self, key_id: str) -> KeyInfo:
        """Retire a key: values under it are refused from now on. The primary cannot be retired."""

        def change(records: tuple[_KeyRecord, ...]) -> tuple[tuple[_KeyRecord, ...], KeyInfo]:
            record = _find(records, key_id)
            if record.info.status is KeyStatus.PRIMARY:
                raise KeyringError(f"key {key_id} is primary: rotate first, then retire it")
            retired = replace(record, info=replace(record.info, status=KeyStatus.RETIRED))
            records = tuple(retired if r is record else r for r in records)
            return records, retired.info

        return self._mutate(change)

    # -- hooks

    def _mutate(self, change: Change[T]) -> T:
        if self._read_only:
            raise KeyringError(
                f"{type(self).__name__} is read-only: change a copy (Keyring.from_json), export it and redeploy"
            )
        records, result = change(self._state.records)
        self._state = _build_state(records)
        return result

    def _maybe_refresh(self, *, force: bool) -> None:
        """Reload from the backing store if it changed (no-op in memory)."""


class EnvKeyring(Keyring):
    """The keyring JSON from an environment variable (default ``JJ_KEYRING``); read-only."""

    def __init__(self, environ: Mapping[str, str] | None = None, *, variable: str = ENV_VARIABLE) -> None:
        text = (os.environ if environ is None else environ).get(variable, "")
        if not text.strip():
            raise KeyringError(f"{variable} is not set")
        super().__init__(_parse_keyring(text), read_only=True)


def _signature(st: os.stat_result) -> tuple[int, ...]:
    """What tells that the file changed: a new inode, content (mtime, size) or mode and owner (ctime)."""
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size, st.st_ctime_ns, st.st_mode)


def _read_keyring_file(path: Path) -> tuple[tuple[_KeyRecord, ...], tuple[int, ...]]:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise KeyringError(f"no keyring file at {path}") from None
    except OSError as exc:
        raise KeyringError(f"cannot open the keyring file {path}: {exc.strerror}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise KeyringError(f"the keyring {path} is not a regular file")
    with os.fdopen(fd, "rb") as handle:
        if st.st_mode & 0o077:
            raise KeyringError(f"the keyring file {path} is readable by others: chmod 600 it")
        if st.st_uid != os.geteuid():
            raise KeyringError(f"the keyring file {path} belongs to another user")
        text = handle.read()
    return _parse_keyring(text), _signature(st)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(path: Path, text: str) -> Path:
    """A fsynced 0600 temporary file next to ``path``."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", closefd=False) as handle:
            handle.write(text)
            handle.flush()
            os.fsync(fd)
    finally:
        os.close(fd)
    return temp


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class FileKeyring(Keyring):
    """The keyring file at ``path`` (mode 0600, owned by this user).

    Changes take an exclusive lock, re-read the file, and replace it atomically, so concurrent
    ``keys rotate`` runs lose nothing. A key id this process does not know triggers an immediate
    re-read (a worker sees a key another process just added); otherwise the file is re-checked at
    most every ``refresh_interval`` seconds (a retirement elsewhere takes effect within that time).
    A changed file that cannot be read or parsed, that lacks a key this process has loaded (keys
    are retired, never removed), or that gives a loaded key id other material, is rejected with a
    ``keyring_rejected`` log event: the loaded keys stay in use, so a deleted, corrupted or replaced
    file never switches a running service to unrelated keys.
    """

    def __init__(self, path: Path | str, *, refresh_interval: float = 2.0) -> None:
        self._path = Path(path)
        self._refresh_interval = refresh_interval
        self._lock = threading.Lock()
        records, self._signature = _read_keyring_file(self._path)
        self._material = {r.info.key_id: r.material for r in records}
        self._next_check = time.monotonic() + refresh_interval
        super().__init__(records)

    @property
    def path(self) -> Path:
        """The keyring file."""
        return self._path

    def _maybe_refresh(self, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now < self._next_check:
            return
        self._next_check = now + self._refresh_interval
        try:
            current = _signature(self._path.stat())
        except FileNotFoundError:
            return  # keep the keys already loaded; nothing new can be learnt
        if current != self._signature:
            with self._lock:
                self._signature = current  # a rejected file is not read again until it changes
                try:
                    records, self._signature = _read_keyring_file(self._path)
                    state = _build_state(records)
                except KeyringError as exc:
                    _log.error("keyring_rejected", path=str(self._path), reason=str(exc), kept="the loaded keys")
                    return
                removed = sorted(kid.hex() for kid in set(self._state.by_id) - set(state.by_id))
                changed = sorted(
                    r.info.key_id
                    for r in state.records
                    if (old := self._material.get(r.info.key_id)) is not None
                    and not hmac.compare_digest(old, r.material)
                )
                if removed or changed:
                    reason = (
                        f"keys {', '.join(removed)} are missing from the file (keys are retired, not removed)"
                        if removed
                        else f"keys {', '.join(changed)} have other material than the loaded keys of the same id"
                    )
                    _log.error("keyring_rejected", path=str(self._path), reason=reason, kept="the loaded keys")
                    return
                self._material = {r.info.key_id: r.material for r in records}
                self._state = state

    def _mutate(self, change: Change[T]) -> T:
        with self._lock, _file_lock(self._path):
            records, _ = _read_keyring_file(self._path)
            new_records, result = change(records)
            new_state = _build_state(new_records)
            temp = _write_temp(self._path, _dump_keyring(new_records))
            temp.replace(self._path)
            _fsync_dir(self._path.parent)
            self._signature = _signature(self._path.stat())
            self._state = new_state
            self._material = {r.info.key_id: r.material for r in new_records}
        return result


def create_development_keyring(path: Path | str, suite: Suite = Suite.AES) -> bool:
    """Create a keyring file with fresh keys at ``path`` unless one exists; True when created.

    For development and first runs: the caller logs a warning when this returns True. Safe against
    several workers starting at once (the file appears complete, and only one wins).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        return False
    temp = _write_temp(path, Keyring.generate(suite).export_json())
    try:
        path.hardlink_to(temp)
    except FileExistsError:
        return False
    finally:
        temp.unlink()
    _fsync_dir(path.parent)
    return True
