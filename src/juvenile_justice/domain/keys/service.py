"""Keys and the protected columns (issue 3): rotate, rewrap, retire, seal legacy plaintext.

Rewrap (security.md E6, E7) walks every protected table by id in batches. For each row it
re-encrypts the fields that are not under the primary data key and recomputes the blind-index
columns (written again when not under the primary index key, or altered), then writes the batch
back in one statement that only touches rows still holding the values read (compare-and-set), so a
request that changed a row meanwhile wins and nothing it wrote is lost. Each batch commits on its
own: killed at any point (``kill -9``), a new run starts again and skips what is done; a run over a
fully rewrapped store writes nothing. Values already under the primary key are never re-encrypted
(no double encryption); the ID number is opened to check its blind-index columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from juvenile_justice import db
from juvenile_justice import protection as pf
from juvenile_justice.domain.audit import service as audit
from juvenile_justice.domain.documents import repository as documents_repo
from juvenile_justice.domain.keys import repository as repo
from juvenile_justice.domain.sealing import repository as sealing_repo
from juvenile_justice.lib.crypto import (
    DecryptionError,
    KeyringError,
    KeyStatus,
    Purpose,
    RowId,
    Suite,
    is_envelope,
    key_id_of,
)
from juvenile_justice.lib.errors import Conflict, NotFound, ValidationFailed
from juvenile_justice.lib.keyring import KeyInfo
from juvenile_justice.settings import get_settings

Derive = Callable[[Mapping[str, Any], Mapping[str, str]], str]
"""Computes a derived (blind-index) column from the stored row and the plaintexts of its fields."""


@dataclass(frozen=True, slots=True)
class DerivedColumn:
    """A keyed-hash column computed from sealed fields (``sources``) and other columns of the row."""

    column: str
    sources: tuple[str, ...]
    compute: Derive


def _by_row_id(row: Mapping[str, Any]) -> RowId:
    return int(row["id"])


def _by_case_and_row(row: Mapping[str, Any]) -> RowId:
    return pf.case_row(row["case_file"], row["id"])


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A table's protected columns: sealed text (``nullable`` ones may be NULL), derived index columns.

    ``binding`` gives the row part of a value's associated data from the stored row (``context`` lists
    the extra columns it and the derived columns read).
    """

    table: str
    sealed: tuple[str, ...]
    nullable: frozenset[str] = frozenset()
    derived: tuple[DerivedColumn, ...] = ()
    context: tuple[str, ...] = ()
    binding: Callable[[Mapping[str, Any]], RowId] = _by_row_id
    max_batch: int = 2000
    """Rows per batch at most (tables of large values, such as stored PDFs, take smaller batches)."""

    @property
    def written(self) -> tuple[str, ...]:
        """The columns a rewrap may write."""
        return self.sealed + tuple(d.column for d in self.derived)

    @property
    def read(self) -> tuple[str, ...]:
        """The columns a rewrap reads."""
        return self.written + self.context


PERSON = TableSpec(
    table="person",
    sealed=("name", "id_number", "phone", "address"),
    nullable=frozenset({"phone", "address"}),
    derived=(
        DerivedColumn("id_number_index", ("id_number",), lambda _row, p: pf.id_number_index(p["id_number"])),
        DerivedColumn(
            "id_number_digest",
            ("id_number",),
            lambda row, p: pf.id_number_digest(int(row["case_file"]), p["id_number"]),
        ),
    ),
    context=("case_file",),
    binding=_by_case_and_row,
)
CASE_STEP = TableSpec(table="case_step", sealed=("summary",), context=("case_file",), binding=_by_case_and_row)
ISSUED_DOCUMENT = TableSpec(
    table="issued_document",
    sealed=("content",),
    context=documents_repo.BINDING_COLUMNS,
    binding=documents_repo.document_binding,
    max_batch=200,
)
DOCUMENT_COPY = TableSpec(
    table="document_copy", sealed=("pdf",), context=("pdf_hash",), binding=documents_repo.copy_binding, max_batch=20
)

SEALED_RECORD = TableSpec(
    table="sealed_record",
    sealed=("id_number", "content"),
    derived=(DerivedColumn("id_number_index", ("id_number",), lambda _row, p: pf.id_number_index(p["id_number"])),),
    context=sealing_repo.BINDING_COLUMNS,
    binding=sealing_repo.record_binding,
    max_batch=500,
)

PROTECTED_TABLES: tuple[TableSpec, ...] = (PERSON, CASE_STEP, ISSUED_DOCUMENT, DOCUMENT_COPY, SEALED_RECORD)
"""Every table with sealed columns (issue 3, point 3): what rewrap, key usage and the start-up check walk.
Later tables with personal or sealed fields add their spec here; the database guards of each table refuse
anything but envelopes in those columns."""

DEFAULT_BATCH = 1000


@dataclass(slots=True)
class TableReport:
    """What a pass over one table did."""

    table: str
    examined: int = 0
    rewritten: int = 0
    conflicts: int = 0
    failures: list[str] = field(default_factory=list)


def _row_changes(spec: TableSpec, row: Mapping[str, Any], *, legacy: bool) -> dict[str, Any] | None:
    """The new values of ``row``'s columns, or None when every value is current.

    Raises:
        DecryptionError: a value cannot be opened (or is plaintext outside a legacy pass).
    """
    crypto = pf.field_crypto()
    row_id = spec.binding(row)
    plain: dict[str, str] = {}
    new: dict[str, Any] = {}

    def plaintext(col: str) -> str:
        if col not in plain:
            plain[col] = pf.open_required(spec.table, col, row_id, row[col])
        return plain[col]

    for col in spec.sealed:
        value = row[col]
        if value is None:
            if col not in spec.nullable:
                raise DecryptionError("malformed", table=spec.table, column=col, row_id=row_id)
            continue
        if not is_envelope(value):
            if not legacy:
                raise DecryptionError("malformed", table=spec.table, column=col, row_id=row_id)
            plain[col] = value
            new[col] = crypto.encrypt_field(value, table=spec.table, column=col, row_id=row_id)
        elif crypto.needs_rewrap(value):
            new[col] = crypto.encrypt_field(plaintext(col), table=spec.table, column=col, row_id=row_id)
    for derived in spec.derived:
        expected = derived.compute(row, {src: plaintext(src) for src in derived.sources})
        if row[derived.column] != expected:  # under an old index key, missing, or altered: recompute
            new[derived.column] = expected
    return new or None


async def protect_table(
    spec: TableSpec,
    *,
    legacy: bool = False,
    batch_size: int = DEFAULT_BATCH,
    advance: Callable[[int], None] = lambda _n: None,
) -> TableReport:
    """One pass over ``spec.table``: rewrap, re-index, and (``legacy``) seal plaintext values.

    Each batch is one transaction. A value that cannot be opened is reported in ``failures`` (table,
    column, row id, reason; never the value) and its row is left as it is.
    """
    report = TableReport(spec.table)
    after = 0
    batch_size = min(batch_size, spec.max_batch)
    while True:
        rows = await repo.rows_after(spec.table, spec.read, after, batch_size)
        if not rows:
            return report
        changes = []
        for row in rows:
            try:
                new = _row_changes(spec, row, legacy=legacy)
            except DecryptionError as exc:
                report.failures.append(f"{exc.table}.{exc.column} id {exc.row_id}: {exc.reason}")
                continue
            if new is not None:
                old = {c: row[c] for c in spec.written}
                changes.append((int(row["id"]), old, {**old, **new}))
        async with db.transaction():
            written = await repo.compare_and_set(spec.table, spec.written, changes)
        report.examined += len(rows)
        report.rewritten += written
        report.conflicts += len(changes) - written
        after = int(rows[-1]["id"])
        advance(len(rows))


async def count_rows(spec: TableSpec) -> int:
    """Rows of a protected table (progress totals)."""
    return await repo.count_rows(spec.table)


async def rewrap(
    *, batch_size: int = DEFAULT_BATCH, advance: Callable[[int], None] = lambda _n: None
) -> list[TableReport]:
    """A rewrap pass over every protected table (see the module docstring)."""
    if not 1 <= batch_size <= 2000:
        raise ValidationFailed.one("batch_size", "1 to 2000 rows per batch")
    return [await protect_table(spec, batch_size=batch_size, advance=advance) for spec in PROTECTED_TABLES]


async def key_usage() -> dict[str, int]:
    """How many stored values (sealed fields and index values) each key id protects (full scan)."""
    usage: dict[str, int] = {}
    for spec in PROTECTED_TABLES:
        after = 0
        while rows := await repo.rows_after(spec.table, spec.written, after, DEFAULT_BATCH):
            for row in rows:
                for col in spec.sealed:
                    value = row[col]
                    if value is not None:
                        kid = key_id_of(value) if is_envelope(value) else "plaintext"
                        usage[kid] = usage.get(kid, 0) + 1
                for derived in spec.derived:
                    value = row[derived.column]
                    if value is not None:
                        kid = value.partition(":")[0]
                        usage[kid] = usage.get(kid, 0) + 1
            after = int(rows[-1]["id"])
    return usage


async def ensure_keyring() -> None:
    """Make a development keyring when none is configured and the database holds no sealed value.

    Run before the migrations by every database command (and the test and bench set-ups).

    Raises:
        KeyringError: no keyring, but the database holds sealed values (it must be restored); or the
            configured keyring cannot be read or used.
    """
    if pf.keyring_exists():
        pf.field_crypto()  # a keyring that cannot be used stops the command before anything is migrated
        return
    for spec in PROTECTED_TABLES:
        row = await repo.newest_row_if_table(spec.table, spec.sealed)
        if row and any(is_envelope(row[col]) for col in spec.sealed):
            raise KeyringError(
                f"no keyring at {get_settings().keys_file}, but {spec.table} holds sealed values: restore the "
                "keyring this database was written with (JJ_KEYS_FILE or JJ_KEYRING); a new one could not open them"
            )
    pf.create_development_keyring_if_missing()


START_SAMPLE = 12
"""Rows per protected table that the start-up check opens (spread from the oldest to the newest)."""


async def check_keyring_matches_database() -> None:
    """Refuse to run with a keyring that cannot open the database's values (start-up check).

    Opens the sealed values of :data:`START_SAMPLE` rows of each protected table, from the oldest to
    the newest: every key they name must be in the keyring and not retired, and the values must open.
    Catches a missing or wrong ``JJ_KEYS_FILE`` / ``JJ_KEYRING`` (a keyring of other keys, or of the
    same key ids with other material) before any request is served. A sampled value that fails while
    others open is tampering, not a wrong keyring: it is left to the read paths (500 "integrity").

    Raises:
        KeyringError: a value is under a key the keyring does not have or has retired, or no sampled
            value of a table opens.
    """
    provider = pf.field_crypto().provider
    for spec in PROTECTED_TABLES:
        opened = failed = 0
        for row in await repo.sample_rows(spec.table, spec.read, START_SAMPLE):
            for col in spec.sealed:
                value = row[col]
                if value is None or not is_envelope(value):
                    continue
                kid = key_id_of(value)
                try:
                    provider.key(bytes.fromhex(kid))
                except DecryptionError as exc:
                    raise KeyringError(
                        f"{spec.table}.{col} holds values under key {kid}, which this keyring "
                        f"{'has retired' if exc.reason == 'retired_key' else 'does not have'}: "
                        "start with the keyring this database was written with (JJ_KEYS_FILE or JJ_KEYRING)"
                    ) from None
                try:
                    pf.open_required(spec.table, col, spec.binding(row), value)
                    opened += 1
                except DecryptionError:
                    failed += 1
        if failed and not opened:
            raise KeyringError(
                f"none of the sampled values of {spec.table} opens with this keyring (same key ids, other key "
                "material?): start with the keyring this database was written with (JJ_KEYS_FILE or JJ_KEYRING)"
            )


def list_keys() -> list[KeyInfo]:
    """The keyring's keys (ids, purposes, suites, status; never material)."""
    return pf.keyring().key_infos()


def rotate(purposes: Sequence[Purpose], suite: Suite | None = None) -> list[KeyInfo]:
    """New primary keys for ``purposes`` (default suite: ``JJ_CRYPTO_SUITE``); old keys still open."""
    ring = pf.keyring()
    chosen = suite or Suite(get_settings().crypto_suite)
    return [ring.rotate(purpose, chosen) for purpose in purposes]


async def log_key_operation(action: str, target: str, detail: str | None = None) -> None:
    """Write a key operation (``keys.rotate``, ``keys.rewrap``, ``keys.retire``) to the access log."""
    await audit.admin_action(f"keys.{action}", target, detail)


async def retire(key_id: str) -> KeyInfo:
    """Retire a key: values under it are refused from now on.

    Raises:
        NotFound: no such key.
        Conflict: the key is primary, or stored values are still under it (run rewrap first).
    """
    ring = pf.keyring()
    infos = {info.key_id: info for info in ring.key_infos()}
    info = infos.get(key_id.strip().lower())
    if info is None:
        raise NotFound(f"no key {key_id!r} in the keyring")
    if info.status is KeyStatus.PRIMARY:
        raise Conflict(f"key {info.key_id} is the primary {info.purpose} key: rotate first")
    remaining = (await key_usage()).get(info.key_id, 0)
    if remaining:
        raise Conflict(f"{remaining} stored values are still under key {info.key_id}: run `keys rewrap` first")
    retired = ring.retire(info.key_id)
    await log_key_operation("retire", f"key:{retired.key_id}")
    return retired
