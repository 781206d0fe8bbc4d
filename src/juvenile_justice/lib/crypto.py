"""Field-level encryption (issue 3): AEAD envelopes bound to their cell, two suites, blind indexes.

This is the only module that imports ``cryptography``; keys come from a :class:`KeyProvider` (see
:mod:`juvenile_justice.lib.keyring`), and repositories call :class:`FieldCrypto`.

Suites (chosen per key, so a store may hold values of both during a migration):

* ``aes`` (wire id 1): AES-256-GCM, SHA-256, HMAC-SHA-256.
* ``sm`` (wire id 2): SM4-GCM (GB/T 32907, 128-bit key), SM3 (GB/T 32905), HMAC-SM3.

Envelope, version 1 (``OVERHEAD`` = 36 bytes on top of the UTF-8 plaintext)::

    offset  size  field
    0       2     magic  b"JE"
    2       1     format version  0x01
    3       1     suite  0x01 = aes, 0x02 = sm
    4       4     key id (the keyring's 8-hex-digit id)
    8       12    nonce (random, 96 bits, new for every encryption)
    20      n     ciphertext
    20+n    16    GCM tag

Bytes 0-7 are the *header*. The text form, for TEXT columns, is the same bytes in standard padded
base64 (RFC 4648 §4; faster to decode than base64url) and must be canonical: no whitespace, correct
padding, unused bits zero. Every version-1 text envelope starts with ``TEXT_PREFIX`` (``"SkUB"`` =
base64 of ``JE\\x01``), which a ``CHECK (col LIKE 'SkUB%')`` constraint can enforce.

Associated data binds a value to its cell and to its header::

    AAD = header(8) || PAE("jj.field.v1", table, column, row_id)
    PAE(p1..pn) = LE64(n) || LE64(len p1) || p1 || ... || LE64(len pn) || pn      (PASETO PAE)

with each part UTF-8 (``surrogatepass``); an ``int`` or ``UUID`` row id is bound as its canonical text
(``5`` and ``"5"`` are the same row id). A value copied to another row, column or table, or with any
header byte changed, fails its tag. The key is chosen by the header's key id, never by trial.
Random 96-bit nonces are safe for at most 2^32 encryptions per key (SP 800-38D); rotate well before
(security.md E5: 2^30). This module keeps no usage counter.

Fail closed: every failure to open a stored value (not an envelope, truncated, unknown version or
suite, unknown or retired key, wrong tag, ...) raises :class:`DecryptionError` with a ``reason``; no
message contains key material or plaintext, and such exceptions carry no chained exception.

Blind index (exact ID-number lookup): ``HMAC(index key, PAE("jj.blind-index.v1", label, value))``
under an index key that is a separate random key of the keyring (purpose ``index``), never the
encryption key. The MAC is truncated to ``bits`` (default 16, security.md E10: at R = 10^6 rows
C = R / 2^16 ≈ 15 candidates per value, inside CipherSweet's ``2 <= C < sqrt(R)``). Truncation means
a lookup returns a few candidates that the caller decrypts and compares with :func:`index_matches`;
in return the index does not show which rows share an ID number, and even with a leaked index key a
16-bit value narrows a 1.05e10 ID space (E11) only to ~1.6e5 candidates instead of revealing it. The
text form is ``"<key id>:<hex>"`` so that an index key can be rotated and rows re-indexed.
"""

from __future__ import annotations

import binascii
import enum
import hmac
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final, Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC: Final = b"JE"
FORMAT_VERSION: Final = 1
HEADER_LENGTH: Final = 8
KEY_ID_LENGTH: Final = 4
NONCE_LENGTH: Final = 12
TAG_LENGTH: Final = 16
OVERHEAD: Final = HEADER_LENGTH + NONCE_LENGTH + TAG_LENGTH
_SEALED_START: Final = HEADER_LENGTH + NONCE_LENGTH
TEXT_PREFIX: Final = "SkUB"
"""Every version-1 text envelope starts with this (base64 of ``b"JE\\x01"``)."""

BLIND_INDEX_BITS: Final = 16
INDEX_KEY_LENGTH: Final = 32

RowId = str | int | uuid.UUID


# --------------------------------------------------------------------------------------------- errors


class CryptoError(Exception):
    """Base class of this module's errors. Messages never contain key material or plaintext."""


class KeyringError(CryptoError):
    """The keyring is missing, malformed or unsafe, has no primary key, or refused a change."""


_REASONS: Final = {
    "malformed": "not an envelope (plaintext, truncated or damaged)",
    "version": "unsupported envelope version",
    "suite": "unknown crypto suite",
    "unknown_key": "no key with this id in the keyring",
    "retired_key": "the key is retired",
    "wrong_key": "the key does not match the envelope's suite or purpose",
    "authentication": "authentication failed (altered, moved to another cell, or wrong key)",
    "encoding": "the decrypted value is not UTF-8 text",
    "keyring": "the keyring is unavailable",
}


class DecryptionError(CryptoError):
    """A stored value could not be opened; the read must fail (API: 500 "integrity").

    ``reason`` is one of ``malformed``, ``version``, ``suite``, ``unknown_key``, ``retired_key``,
    ``wrong_key``, ``authentication``, ``encoding``, ``keyring``. ``table``, ``column``, ``row_id``
    and ``key_id`` say where, when known (none of them is secret).
    """

    def __init__(
        self,
        reason: str,
        *,
        table: str | None = None,
        column: str | None = None,
        row_id: RowId | None = None,
        key_id: str | None = None,
    ) -> None:
        self.reason = reason if reason in _REASONS else "malformed"
        self.table = table
        self.column = column
        self.row_id = row_id
        self.key_id = key_id
        where = f" in {table}.{column}" if table is not None else ""
        key = f" (key {key_id})" if key_id else ""
        super().__init__(f"stored value failed its integrity check{where}: {_REASONS[self.reason]}{key}")


# --------------------------------------------------------------------------------------------- suites


class Suite(enum.StrEnum):
    """A crypto suite; its value is the name used in settings and keyrings."""

    AES = "aes"
    SM = "sm"

    @property
    def wire_id(self) -> int:
        """The envelope's suite byte."""
        return _WIRE_IDS[self]

    @property
    def data_key_length(self) -> int:
        """Bytes of an encryption key: 32 (AES-256) or 16 (SM4)."""
        return 32 if self is Suite.AES else 16


_WIRE_IDS: Final = {Suite.AES: 1, Suite.SM: 2}


class Purpose(enum.StrEnum):
    """What a key is for: field encryption or blind indexes (never both)."""

    DATA = "data"
    INDEX = "index"


_DATA: Final = Purpose.DATA


class KeyStatus(enum.StrEnum):
    """``primary``: used for new writes; ``active``: still opens old values; ``retired``: refused."""

    PRIMARY = "primary"
    ACTIVE = "active"
    RETIRED = "retired"


def _hash_algorithm(suite: Suite) -> hashes.HashAlgorithm:
    return hashes.SHA256() if suite is Suite.AES else hashes.SM3()


def hash_digest(suite: Suite, data: bytes) -> bytes:
    """SHA-256 (``aes``) or SM3 (``sm``) of ``data``."""
    h = hashes.Hash(_hash_algorithm(suite))
    h.update(data)
    return h.finalize()


def ed25519_generate() -> tuple[bytes, bytes]:
    """A new Ed25519 key pair as raw bytes: (private 32 bytes, public 32 bytes) (checkpoint signing)."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return private, key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def ed25519_public(private: bytes) -> bytes:
    """The raw public key of a raw Ed25519 private key."""
    key = ed25519.Ed25519PrivateKey.from_private_bytes(private)
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def ed25519_sign(private: bytes, message: bytes) -> bytes:
    """The Ed25519 signature (64 bytes) of ``message`` under the raw private key."""
    return ed25519.Ed25519PrivateKey.from_private_bytes(private).sign(message)


def ed25519_verify(public: bytes, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message`` under the raw public key."""
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def sm3(data: bytes) -> bytes:
    """SM3 (GB/T 32905) of ``data``."""
    return hash_digest(Suite.SM, data)


def hmac_digest(suite: Suite, key: bytes, data: bytes) -> bytes:
    """HMAC-SHA-256 (``aes``) or HMAC-SM3 (``sm``)."""
    h = crypto_hmac.HMAC(key, _hash_algorithm(suite))
    h.update(data)
    return h.finalize()


def sm4_encrypt_block(key: bytes, block: bytes) -> bytes:
    """One raw SM4 block encryption (GB/T 32907). For the known-answer self-test only."""
    if len(key) != 16 or len(block) != 16:
        raise CryptoError("SM4 takes a 16-byte key and a 16-byte block")
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305 - single-block KAT
    return enc.update(block) + enc.finalize()


# ------------------------------------------------------------------------------- key handle protocol


@runtime_checkable
class KeyHandle(Protocol):
    """One key as the field code sees it: metadata plus operations, never the raw material.

    A hardware module or KMS implements this with calls into the module (security.md E15).
    ``seal`` chooses the nonce itself (a module may insist on generating IVs); ``open`` raises
    :class:`DecryptionError` (reason ``authentication``) on a bad tag.
    """

    @property
    def key_id(self) -> bytes:
        """The 4-byte key id written in envelope headers."""
        ...

    @property
    def suite(self) -> Suite:
        """The key's suite."""
        ...

    @property
    def purpose(self) -> Purpose:
        """``data`` keys seal and open; ``index`` keys compute MACs."""
        ...

    def seal(self, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
        """Encrypt: ``(nonce (12 bytes), ciphertext || tag (16 bytes))``."""
        ...

    def open(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        """Decrypt and authenticate ``ciphertext || tag``."""
        ...

    def mac(self, data: bytes) -> bytes:
        """HMAC of ``data`` (index keys)."""
        ...


@runtime_checkable
class KeyProvider(Protocol):
    """Where keys come from: a keyring file, the environment, or a KMS / certified module.

    ``key`` is the only lookup on the read path (exactly one per decryption) and raises
    :class:`DecryptionError` (``unknown_key`` / ``retired_key``) for a key that must not open data.
    """

    def primary_key(self, purpose: Purpose) -> KeyHandle:
        """The key for new writes of ``purpose``; :class:`KeyringError` if there is none."""
        ...

    def key(self, key_id: bytes) -> KeyHandle:
        """The non-retired key with this id."""
        ...

    def usable_keys(self, purpose: Purpose) -> Sequence[KeyHandle]:
        """Every non-retired key of ``purpose``, primary first."""
        ...


class _Sm4Gcm:
    """SM4-GCM through the low-level ``Cipher`` API (``cryptography`` has no SM4 AEAD class).

    Same calling convention as ``AESGCM``: ``encrypt`` returns ``ciphertext || tag``.
    """

    __slots__ = ("_algorithm",)

    def __init__(self, material: bytes) -> None:
        self._algorithm = algorithms.SM4(material)

    def encrypt(self, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        enc = Cipher(self._algorithm, modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(aad)
        ciphertext = enc.update(plaintext) + enc.finalize()
        return ciphertext + enc.tag

    def decrypt(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        if len(sealed) < TAG_LENGTH:
            raise InvalidTag
        dec = Cipher(self._algorithm, modes.GCM(nonce)).decryptor()
        dec.authenticate_additional_data(aad)
        plaintext = dec.update(sealed[:-TAG_LENGTH])
        return plaintext + dec.finalize_with_tag(sealed[-TAG_LENGTH:])


_Aead = Callable[[bytes, bytes, bytes], bytes]


class LocalKey:
    """A key held in this process (file or environment keyring). Its material is never shown.

    The AEAD object is built once per key and reused (``AESGCM`` keeps the key schedule).
    """

    __slots__ = ("_decrypt", "_encrypt", "_mac_key", "key_id", "purpose", "suite")

    key_id: bytes
    suite: Suite
    purpose: Purpose

    def __init__(self, key_id: bytes, suite: Suite, purpose: Purpose, material: bytes) -> None:
        if len(key_id) != KEY_ID_LENGTH:
            raise KeyringError(f"a key id has {KEY_ID_LENGTH} bytes")
        expected = suite.data_key_length if purpose is Purpose.DATA else INDEX_KEY_LENGTH
        if len(material) != expected:
            raise KeyringError(f"key {key_id.hex()}: a {suite} {purpose} key has {expected} bytes")
        self.key_id = key_id
        self.suite = suite
        self.purpose = purpose
        self._encrypt: _Aead | None = None
        self._decrypt: _Aead | None = None
        self._mac_key: bytes | None = None
        if purpose is Purpose.DATA:
            aead = AESGCM(material) if suite is Suite.AES else _Sm4Gcm(material)
            self._encrypt, self._decrypt = aead.encrypt, aead.decrypt
        else:
            self._mac_key = material

    def seal(self, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
        if self._encrypt is None:
            raise CryptoError(f"key {self.key_id.hex()} is a blind-index key, not an encryption key")
        nonce = os.urandom(NONCE_LENGTH)
        return nonce, self._encrypt(nonce, plaintext, aad)

    def open(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        if self._decrypt is None:
            raise DecryptionError("wrong_key", key_id=self.key_id.hex())
        try:
            return self._decrypt(nonce, sealed, aad)
        except InvalidTag:
            pass
        raise DecryptionError("authentication", key_id=self.key_id.hex())

    def mac(self, data: bytes) -> bytes:
        if self._mac_key is None:
            raise CryptoError(f"key {self.key_id.hex()} is an encryption key, not a blind-index key")
        return hmac_digest(self.suite, self._mac_key, data)

    def __repr__(self) -> str:
        return f"LocalKey(id={self.key_id.hex()}, suite={self.suite}, purpose={self.purpose})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("keys cannot be pickled or copied")


# ------------------------------------------------------------------------------------------ envelope


def _le64(n: int) -> bytes:
    return n.to_bytes(8, "little")


def _text_bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


_AAD_LABEL: Final = b"jj.field.v1"
_INDEX_LABEL: Final = b"jj.blind-index.v1"


@lru_cache(maxsize=4096)
def _cell_prefix(table: str, column: str) -> bytes:
    t, c = _text_bytes(table), _text_bytes(column)
    return _le64(4) + _le64(len(_AAD_LABEL)) + _AAD_LABEL + _le64(len(t)) + t + _le64(len(c)) + c


def _row_bytes(row_id: RowId) -> bytes:
    """A row id's canonical text: decimal for an int, hyphenated lower-case hex for a UUID."""
    if type(row_id) is int:
        return b"%d" % row_id
    if isinstance(row_id, uuid.UUID):
        return str(row_id).encode("ascii")
    if isinstance(row_id, str):
        return _text_bytes(row_id)
    raise TypeError("row_id must be a str, an int or a UUID")


def associated_data(header: bytes, table: str, column: str, row_id: RowId) -> bytes:
    """The AAD of a value in cell (``table``, ``column``, ``row_id``) with envelope ``header``.

    :class:`FieldCrypto` inlines this computation on its hot paths; the tests pin both to each other.
    """
    row = _row_bytes(row_id)
    return header + _cell_prefix(table, column) + _le64(len(row)) + row


_HEADER_PREFIX: Final = {s: MAGIC + bytes((FORMAT_VERSION, s.wire_id)) for s in Suite}
_SUITE_BY_PREFIX: Final = {v: k for k, v in _HEADER_PREFIX.items()}

_B64_VALUE: Final = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def _from_text(text: object) -> bytes | None:
    """Strict, canonical padded base64; ``None`` for anything else (never raises)."""
    if not isinstance(text, str) or len(text) % 4:  # strict mode alone accepts "SkUB="
        return None
    try:
        raw = binascii.a2b_base64(text, strict_mode=True)
    except ValueError:  # binascii.Error, or a non-ASCII string
        return None
    if text[-1:] == "=":  # the last data character must leave its unused low bits zero
        if text[-2:] == "==":
            if _B64_VALUE[text[-3]] & 0x0F:
                return None
        elif _B64_VALUE[text[-2]] & 0x03:
            return None
    return raw


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed (not authenticated) envelope."""

    version: int
    suite: Suite
    key_id: str
    header: bytes = field(repr=False)
    nonce: bytes = field(repr=False)
    ciphertext: bytes = field(repr=False)
    tag: bytes = field(repr=False)


def _as_raw(envelope: str | bytes) -> bytes | None:
    if isinstance(envelope, bytes):
        return envelope
    return _from_text(envelope)


def _check_header(raw: bytes | None) -> tuple[str | None, Suite | None]:
    """``(reason, None)`` when ``raw`` is not a version-1 envelope, else ``(None, suite)``."""
    if raw is not None and len(raw) >= OVERHEAD:
        suite = _SUITE_BY_PREFIX.get(raw[:4])  # magic, version and suite in one look-up
        if suite is not None:
            return None, suite
        if raw[:2] == MAGIC:
            return ("version" if raw[2] != FORMAT_VERSION else "suite"), None
    return "malformed", None


def parse_envelope(envelope: str | bytes) -> Envelope:
    """Split an envelope (text or bytes) into its fields; :class:`DecryptionError` if it is not one."""
    raw = _as_raw(envelope)
    reason, suite = _check_header(raw)
    if reason is not None or raw is None or suite is None:
        raise DecryptionError(reason or "malformed")
    return Envelope(
        version=raw[2],
        suite=suite,
        key_id=raw[4:HEADER_LENGTH].hex(),
        header=raw[:HEADER_LENGTH],
        nonce=raw[HEADER_LENGTH : HEADER_LENGTH + NONCE_LENGTH],
        ciphertext=raw[HEADER_LENGTH + NONCE_LENGTH : -TAG_LENGTH],
        tag=raw[-TAG_LENGTH:],
    )


def key_id_of(envelope: str | bytes) -> str:
    """The key id (8 hex digits) in an envelope's header."""
    return parse_envelope(envelope).key_id


def is_envelope(value: object) -> bool:
    """True when ``value`` has the *shape* of an envelope (nothing is authenticated).

    For migrations that must tell legacy plaintext from already-encrypted values. Read paths must not
    use it: they call :meth:`FieldCrypto.decrypt_field`, which refuses anything but a valid envelope.
    """
    if not isinstance(value, str | bytes):
        return False
    return _check_header(_as_raw(value))[0] is None


def index_matches(a: str, b: str) -> bool:
    """Constant-time equality of two blind-index values."""
    return hmac.compare_digest(_text_bytes(a), _text_bytes(b))


# ------------------------------------------------------------------------------------- field crypto


class FieldCrypto:
    """Encrypts and decrypts fields for repositories; built from a :class:`KeyProvider`."""

    __slots__ = ("_provider",)

    def __init__(self, provider: KeyProvider) -> None:
        self._provider = provider

    @property
    def provider(self) -> KeyProvider:
        """The key provider."""
        return self._provider

    def __repr__(self) -> str:
        return f"FieldCrypto({type(self._provider).__name__})"

    # -- encryption

    def encrypt_bytes(self, plaintext: bytes, *, table: str, column: str, row_id: RowId) -> bytes:
        """The binary envelope of ``plaintext`` for cell (``table``, ``column``, ``row_id``)."""
        return self._seal(plaintext, table, column, row_id)

    def encrypt_field(self, plaintext: str, *, table: str, column: str, row_id: RowId) -> str:
        """The text envelope of ``plaintext`` for cell (``table``, ``column``, ``row_id``)."""
        if not isinstance(plaintext, str):
            raise TypeError("encrypt_field takes text; use encrypt_bytes for bytes")
        try:
            data = plaintext.encode("utf-8")
        except UnicodeEncodeError:
            data = None  # the exception holds the text: do not chain it
        if data is None:
            raise CryptoError("the value is not valid Unicode text (lone surrogate)")
        return binascii.b2a_base64(self._seal(data, table, column, row_id), newline=False).decode("ascii")

    def _seal(self, plaintext: bytes, table: str, column: str, row_id: RowId) -> bytes:
        key = self._provider.primary_key(_DATA)
        header = _HEADER_PREFIX[key.suite] + key.key_id
        if key.purpose is not _DATA or len(header) != HEADER_LENGTH:
            raise KeyringError("the primary data key is not a usable encryption key")
        row = b"%d" % row_id if type(row_id) is int else _row_bytes(row_id)
        aad = header + _cell_prefix(table, column) + len(row).to_bytes(8, "little") + row
        nonce, sealed = key.seal(plaintext, aad)
        if len(nonce) != NONCE_LENGTH or len(sealed) != len(plaintext) + TAG_LENGTH:
            raise CryptoError("the key provider returned a malformed ciphertext")
        return header + nonce + sealed

    # -- decryption

    def decrypt_bytes(self, envelope: bytes, *, table: str, column: str, row_id: RowId) -> bytes:
        """Open a binary envelope stored in cell (``table``, ``column``, ``row_id``)."""
        return self._open(envelope if isinstance(envelope, bytes) else None, table, column, row_id)

    def decrypt_field(self, envelope: str, *, table: str, column: str, row_id: RowId) -> str:
        """Open a text envelope stored in cell (``table``, ``column``, ``row_id``)."""
        data = self._open(_from_text(envelope), table, column, row_id)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass  # the exception holds the plaintext: do not chain it
        raise DecryptionError("encoding", table=table, column=column, row_id=row_id, key_id=key_id_of(envelope))

    def _open(self, raw: bytes | None, table: str, column: str, row_id: RowId) -> bytes:
        """Open ``raw``; one key lookup, chosen by the header's key id (never by trial)."""
        suite = _SUITE_BY_PREFIX.get(raw[:4]) if raw is not None and len(raw) >= OVERHEAD else None
        reason, key_id = None, b""
        if suite is None:
            reason = _check_header(raw)[0]
        elif raw is not None:
            key_id = raw[4:HEADER_LENGTH]
            try:
                key: KeyHandle | None = self._provider.key(key_id)
            except DecryptionError as exc:
                key, reason = None, exc.reason
            except KeyringError:
                key, reason = None, "keyring"
            if key is not None:
                if key.suite is not suite or key.purpose is not _DATA:
                    reason = "wrong_key"
                else:
                    row = b"%d" % row_id if type(row_id) is int else _row_bytes(row_id)
                    aad = raw[:HEADER_LENGTH] + _cell_prefix(table, column) + len(row).to_bytes(8, "little") + row
                    try:
                        return key.open(raw[HEADER_LENGTH:_SEALED_START], raw[_SEALED_START:], aad)
                    except DecryptionError as exc:
                        reason = exc.reason
        raise DecryptionError(
            reason or "malformed", table=table, column=column, row_id=row_id, key_id=key_id.hex() or None
        )

    # -- rotation

    def needs_rewrap(self, envelope: str | bytes) -> bool:
        """True when ``envelope`` is not under the current primary data key (and hence suite)."""
        key_id = bytes.fromhex(key_id_of(envelope))
        return not hmac.compare_digest(key_id, self._provider.primary_key(Purpose.DATA).key_id)

    def rewrap_field(self, envelope: str, *, table: str, column: str, row_id: RowId) -> str:
        """``envelope`` re-encrypted under the primary key; unchanged when already under it.

        A value already under the primary key is returned as is without being opened, so a second
        rewrap pass changes nothing.
        """
        if not self.needs_rewrap(envelope):
            return envelope
        plaintext = self.decrypt_field(envelope, table=table, column=column, row_id=row_id)
        return self.encrypt_field(plaintext, table=table, column=column, row_id=row_id)

    # -- blind index

    def blind_index(self, value: str, *, label: str, bits: int = BLIND_INDEX_BITS) -> str:
        """``"<key id>:<hex>"``: the truncated HMAC of the (already normalised) ``value``.

        ``label`` names the indexed column (e.g. ``"person.id_number"``) so that the same value gets
        unrelated index values in different columns. Equal inputs give equal outputs; compare with
        :func:`index_matches`.
        """
        return _index_value(self._provider.primary_key(Purpose.INDEX), value, label, bits)

    def blind_indexes(self, value: str, *, label: str, bits: int = BLIND_INDEX_BITS) -> list[str]:
        """:meth:`blind_index` under every usable index key, primary first (lookups during re-indexing)."""
        return [_index_value(k, value, label, bits) for k in self._provider.usable_keys(Purpose.INDEX)]

    def needs_reindex(self, index: str) -> bool:
        """True when a stored index value was not computed under the primary index key."""
        primary = self._provider.primary_key(Purpose.INDEX).key_id.hex()
        return not index_matches(index.partition(":")[0], primary)


def _index_value(key: KeyHandle, value: str, label: str, bits: int) -> str:
    if key.purpose is not Purpose.INDEX:
        raise KeyringError("the primary index key is not a blind-index key")
    if not isinstance(value, str) or not isinstance(label, str):
        raise TypeError("blind_index takes text")
    if not 8 <= bits <= 256:
        raise CryptoError("a blind index has 8 to 256 bits")
    lab, val = _text_bytes(label), _text_bytes(value)
    mac = key.mac(_le64(3) + _le64(len(_INDEX_LABEL)) + _INDEX_LABEL + _le64(len(lab)) + lab + _le64(len(val)) + val)
    truncated = int.from_bytes(mac, "big") >> (len(mac) * 8 - bits)
    return f"{key.key_id.hex()}:{truncated:0{(bits + 3) // 4}x}"


# -------------------------------------------------------------------------------------- self-test

_KAT_SM4_KEY: Final = bytes.fromhex("0123456789abcdeffedcba9876543210")
_KAT_SM4_CIPHERTEXT: Final = bytes.fromhex("681edf34d206965e86b3e94f536e4246")
_KAT_SM3_ABC: Final = bytes.fromhex("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
_KAT_SHA256_ABC: Final = bytes.fromhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
# GCM specification (McGrew & Viega, submitted to NIST), test case 16: AES-256 with associated data.
_KAT_GCM_KEY: Final = bytes.fromhex("feffe9928665731c6d6a8f9467308308" * 2)
_KAT_GCM_IV: Final = bytes.fromhex("cafebabefacedbaddecaf888")
_KAT_GCM_AAD: Final = bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
_KAT_GCM_PLAINTEXT: Final = bytes.fromhex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
)
_KAT_GCM_SEALED: Final = bytes.fromhex(
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
    "76fc6ece0f4e1768cddf8853bb2d551b"
)


def self_test() -> None:
    """Known-answer tests of SM4, SM3, SHA-256, AES-256-GCM and SM4-GCM round trip (power-on check).

    Raises :class:`CryptoError` when the linked OpenSSL gives a wrong answer or lacks a primitive.
    """
    try:
        ok = (
            sm4_encrypt_block(_KAT_SM4_KEY, _KAT_SM4_KEY) == _KAT_SM4_CIPHERTEXT
            and sm3(b"abc") == _KAT_SM3_ABC
            and hash_digest(Suite.AES, b"abc") == _KAT_SHA256_ABC
            and AESGCM(_KAT_GCM_KEY).encrypt(_KAT_GCM_IV, _KAT_GCM_PLAINTEXT, _KAT_GCM_AAD) == _KAT_GCM_SEALED
        )
        sm4 = _Sm4Gcm(_KAT_SM4_KEY)
        sealed = sm4.encrypt(_KAT_GCM_IV, b"self-test", b"aad")
        ok = ok and sm4.decrypt(_KAT_GCM_IV, sealed, b"aad") == b"self-test"
    except Exception:  # any failure of the primitives is a failed self-test
        ok = False
    if not ok:
        raise CryptoError("cryptographic self-test failed: the linked OpenSSL cannot be trusted for this suite")
