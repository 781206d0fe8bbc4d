"""Field protection at run time (issue 3): the process's keys, and the columns they protect.

Repositories seal every personal field before it reaches SQL and open it on the way back, through
the helpers here; :mod:`juvenile_justice.lib.crypto` is the only module that calls ``cryptography``.

Keys (DESIGN.md "Data protection"; security.md E9, E15):

* ``JJ_KEYRING`` set: the keyring JSON from that environment variable (read-only: rotate it outside).
* otherwise the keyring file ``JJ_KEYS_FILE`` (default ``JJ_DATA_DIR/keyring.json``). When it does not
  exist and the database holds no sealed value, ``migrate``, ``serve`` and the other database
  commands create a development keyring with a warning (:func:`create_development_keyring_if_missing`,
  called by ``domain.keys.service.ensure_keyring``): fine for ``make run`` and tests. Nothing else
  creates one: a missing keyring next to sealed data is an error, never replaced. A production
  deployment provisions its keyring (docs/operations.md) and keeps it out of backups of the database.

Protected columns (``domain.keys.service.PROTECTED_TABLES``) hold text envelopes (``SkUB…``), bound by their
associated data to (table, column, row), where the row of case data is ``"<case id>/<row id>"``
(:func:`case_row`); database triggers (SQLite) and CHECK constraints (PostgreSQL) refuse anything
that is not shaped like an envelope. ``person.id_number_index`` is the 16-bit blind index of the ID
number (lookups, security.md E10); ``person.id_number_digest`` is a 128-bit keyed digest of (case, ID
number), unique per (case, role), which enforces "one person per ID number and role in a case"
without storing the ID number.
"""

from __future__ import annotations

import os
import threading
from typing import Final

import structlog

from juvenile_justice.lib.crypto import (
    DecryptionError,
    FieldCrypto,
    KeyProvider,
    KeyringError,
    Purpose,
    RowId,
    Suite,
    index_matches,
    self_test,
)
from juvenile_justice.lib.keyring import ENV_VARIABLE, EnvKeyring, FileKeyring, Keyring, create_development_keyring
from juvenile_justice.settings import get_settings

log = structlog.get_logger("juvenile_justice.protection")


ID_NUMBER_INDEX_LABEL: Final = "person.id_number"
ID_NUMBER_DIGEST_LABEL: Final = "person.id_number@case"
ID_NUMBER_DIGEST_BITS: Final = 128

_lock = threading.Lock()
_crypto: FieldCrypto | None = None


def uses_environment_keyring() -> bool:
    """True when the keyring comes from ``JJ_KEYRING`` rather than a file."""
    return bool(os.environ.get(ENV_VARIABLE))


def create_development_keyring_if_missing() -> bool:
    """Create a development keyring at ``JJ_KEYS_FILE`` unless one exists; True (and a warning) if made.

    The caller checks first that the database holds no sealed value (a new keyring could not open it).
    """
    if uses_environment_keyring():
        return False
    path = get_settings().keys_file
    suite = Suite(get_settings().crypto_suite)
    created = create_development_keyring(path, suite)
    if created:
        log.warning(
            "development_keyring_created",
            path=str(path),
            suite=suite.value,
            advice="provision a managed keyring for production (docs/operations.md, 'Keys')",
        )
        reset()
    return created


def keyring_exists() -> bool:
    """True when a keyring is configured: ``JJ_KEYRING`` set, or the ``JJ_KEYS_FILE`` path exists."""
    return uses_environment_keyring() or get_settings().keys_file.exists()


def load_key_provider() -> KeyProvider:
    """The configured key provider (see the module docstring).

    Raises:
        KeyringError: no keyring (file missing and ``JJ_KEYRING`` unset), or it cannot be read or is
            not a valid keyring.
    """
    if uses_environment_keyring():
        return EnvKeyring()
    path = get_settings().keys_file
    if not path.exists():
        raise KeyringError(
            f"no keyring at {path} (JJ_KEYS_FILE): restore it, or set JJ_KEYRING; on a new, empty "
            "database `juvenile-justice migrate` creates a development keyring"
        )
    return FileKeyring(path)


def field_crypto() -> FieldCrypto:
    """The process's :class:`FieldCrypto` (built once, after a cryptographic self-test).

    Raises:
        CryptoError: the self-test failed.
        KeyringError: no usable keyring.
    """
    global _crypto
    crypto = _crypto
    if crypto is None:
        with _lock:
            if _crypto is None:
                self_test()
                _crypto = FieldCrypto(load_key_provider())
                _warn_on_suite_mismatch(_crypto)
            crypto = _crypto
    return crypto


def keyring() -> Keyring:
    """The process's keyring (for ``keys`` commands). Raises TypeError when a KMS or module provides the keys."""
    provider = field_crypto().provider
    if not isinstance(provider, Keyring):
        raise TypeError("the configured key provider is not a keyring")
    return provider


def reset() -> None:
    """Forget the loaded keys (tests that switch keyrings; a process reads them again on next use)."""
    global _crypto
    with _lock:
        _crypto = None


def _warn_on_suite_mismatch(crypto: FieldCrypto) -> None:
    configured = get_settings().crypto_suite
    primary = crypto.provider.primary_key(Purpose.DATA).suite
    if primary.value != configured:
        log.warning(
            "crypto_suite_mismatch",
            configured=configured,
            primary_key_suite=primary.value,
            advice=(
                f"new keys will be {configured}: set JJ_CRYPTO_SUITE={primary.value} for the service and every "
                f"command to stay on {primary.value}, or run `keys rotate` and `keys rewrap` to move to {configured}"
            ),
        )


# ------------------------------------------------------------------------------------- fields


def case_row(case_id: int, row_id: int) -> str:
    """The row binding of a sealed value of case data: ``"<case id>/<row id>"``.

    Binding the owning case as well as the row means that a row moved to another case (by writing to
    the database directly) no longer opens, so its plaintext cannot surface in another unit.
    """
    return f"{int(case_id)}/{int(row_id)}"


def seal(table: str, column: str, row_id: RowId, value: str | None) -> str | None:
    """The text envelope of ``value`` for its cell; None stays None (nothing recorded)."""
    if value is None:
        return None
    return field_crypto().encrypt_field(value, table=table, column=column, row_id=row_id)


def open_required(table: str, column: str, row_id: RowId, stored: object) -> str:
    """The plaintext of a NOT NULL protected cell.

    Raises:
        DecryptionError: not an envelope (also NULL or plaintext), wrong cell, unknown or retired
            key, bad tag (fail closed, security.md E4).
    """
    if not isinstance(stored, str):
        raise DecryptionError("malformed", table=table, column=column, row_id=row_id)
    return field_crypto().decrypt_field(stored, table=table, column=column, row_id=row_id)


def open_optional(table: str, column: str, row_id: RowId, stored: object) -> str | None:
    """The plaintext of a nullable protected cell; NULL is None. Raises DecryptionError as above."""
    if stored is None:
        return None
    return open_required(table, column, row_id, stored)


# -------------------------------------------------------------------------------- ID numbers


def id_number_index(id_number: str) -> str:
    """Blind index of a normalised ID number under the primary index key (``"keyid:hhhh"``)."""
    return field_crypto().blind_index(id_number, label=ID_NUMBER_INDEX_LABEL)


def id_number_indexes(id_number: str) -> list[str]:
    """The blind index under every usable index key (lookups while an index key is being rotated)."""
    return field_crypto().blind_indexes(id_number, label=ID_NUMBER_INDEX_LABEL)


def _digest_value(case_id: int, id_number: str) -> str:
    return f"{case_id}:{id_number}"


def id_number_digest(case_id: int, id_number: str) -> str:
    """The keyed digest of (case, ID number) under the primary index key (unique per case and role)."""
    return field_crypto().blind_index(
        _digest_value(case_id, id_number), label=ID_NUMBER_DIGEST_LABEL, bits=ID_NUMBER_DIGEST_BITS
    )


def id_number_digests(case_id: int, id_number: str) -> list[str]:
    """:func:`id_number_digest` under every usable index key."""
    return field_crypto().blind_indexes(
        _digest_value(case_id, id_number), label=ID_NUMBER_DIGEST_LABEL, bits=ID_NUMBER_DIGEST_BITS
    )


def audit_hash(kind: str, value: str) -> str:
    """The keyed 128-bit hash (``"keyid:hex"``) under which the access log records a search term or ID
    number of ``kind`` (``id_number``, ``search``, ``username``), never the value (security.md A9)."""
    return field_crypto().blind_index(value, label=f"access_log.{kind}", bits=128)


def audit_hashes(kind: str, value: str) -> list[str]:
    """:func:`audit_hash` under every usable index key (entries written before an index-key rotation)."""
    return field_crypto().blind_indexes(value, label=f"access_log.{kind}", bits=128)


def same_id_number(a: str, b: str) -> bool:
    """Constant-time comparison of two ID numbers (candidates of a blind-index lookup)."""
    return index_matches(a, b)
