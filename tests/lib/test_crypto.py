"""Tests for juvenile_justice.lib.crypto: envelopes, suites, fail-closed reads, rotation, blind index.

Every test runs under both suites (the autouse ``suite`` fixture), as issue 3 asks. Keys are real
keys from :class:`Keyring`; nothing of the crypto is mocked. All personal data here is synthetic.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import pickle
import time
import traceback
import uuid
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from juvenile_justice.lib import crypto
from juvenile_justice.lib.crypto import (
    BLIND_INDEX_BITS,
    OVERHEAD,
    TEXT_PREFIX,
    CryptoError,
    DecryptionError,
    FieldCrypto,
    KeyHandle,
    KeyProvider,
    KeyringError,
    LocalKey,
    Purpose,
    Suite,
    associated_data,
    hash_digest,
    hmac_digest,
    index_matches,
    is_envelope,
    key_id_of,
    parse_envelope,
    sm3,
    sm4_encrypt_block,
)
from juvenile_justice.lib.keyring import Keyring

PROPS = settings(
    database=None, deadline=None, max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
NAME = "欧阳娜娜"
ID_NUMBER = "11010120100307002X"
CELL = {"table": "person", "column": "name", "row_id": 17}
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@pytest.fixture(params=[Suite.AES, Suite.SM], ids=["aes", "sm"], autouse=True)
def suite(request: pytest.FixtureRequest) -> Suite:
    """The suite under test: the whole module runs once per suite."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def keyring(suite: Suite) -> Keyring:
    return Keyring.generate(suite)


@pytest.fixture
def fc(keyring: Keyring) -> FieldCrypto:
    return FieldCrypto(keyring)


def other(suite: Suite) -> Suite:
    return Suite.SM if suite is Suite.AES else Suite.AES


def materials(keyring: Keyring) -> list[bytes]:
    """Every key's raw material, from the keyring's own export (for leak checks)."""
    return [base64.b64decode(k["material"]) for k in json.loads(keyring.export_json())["keys"]]


def leak_forms(secret: bytes) -> list[str]:
    """The ways a key could show up in text."""
    return [
        secret.hex(),
        secret.hex().upper(),
        base64.b64encode(secret).decode(),
        base64.urlsafe_b64encode(secret).decode().rstrip("="),
        repr(secret)[2:-1],
    ]


def assert_no_leak(text: str, keyring: Keyring, *plaintexts: str) -> None:
    for secret in materials(keyring):
        for form in leak_forms(secret):
            assert form not in text
    for plaintext in plaintexts:
        assert plaintext not in text


def error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc) + str(exc)


# ------------------------------------------------------------------------------ known-answer tests


def test_sm4_known_answer_gbt_32907() -> None:
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    assert sm4_encrypt_block(key, key).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm3_known_answers_gbt_32905() -> None:
    assert sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3(b"abcd" * 16).hex() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    assert hash_digest(Suite.SM, b"abc") == sm3(b"abc")


def test_sha256_and_hmac_sha256_known_answers() -> None:
    assert hash_digest(Suite.AES, b"abc").hex() == ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    # RFC 4231 test case 2
    assert hmac_digest(Suite.AES, b"Jefe", b"what do ya want for nothing?").hex() == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_hmac_sm3_is_rfc_2104_over_sm3() -> None:
    key, message = bytes(range(32)), "未成年人".encode()
    block = key.ljust(64, b"\0")
    inner = sm3(bytes(b ^ 0x36 for b in block) + message)
    expected = sm3(bytes(b ^ 0x5C for b in block) + inner)
    assert hmac_digest(Suite.SM, key, message) == expected


def test_aes_256_gcm_known_answer_through_local_key() -> None:
    """GCM specification (McGrew & Viega) test case 16, opened by the code path envelopes use."""
    key = LocalKey(b"\0\0\0\1", Suite.AES, Purpose.DATA, bytes.fromhex("feffe9928665731c6d6a8f9467308308" * 2))
    sealed = bytes.fromhex(
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838"
        "c5f61e6393ba7a0abcc9f662" + "76fc6ece0f4e1768cddf8853bb2d551b"
    )
    plaintext = key.open(
        bytes.fromhex("cafebabefacedbaddecaf888"), sealed, bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
    )
    assert plaintext.hex() == (
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
    )


def test_sm4_gcm_known_answer_through_local_key() -> None:
    """RFC 8998 appendix A.1 (SM4-GCM), opened by the code path envelopes use."""
    key = LocalKey(b"\0\0\0\2", Suite.SM, Purpose.DATA, bytes.fromhex("0123456789abcdeffedcba9876543210"))
    sealed = bytes.fromhex(
        "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
        "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d"
        "83de3541e4c2b58177e065a9bf7b62ec"
    )
    plaintext = key.open(
        bytes.fromhex("00001234567800000000abcd"), sealed, bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
    )
    assert plaintext == bytes.fromhex("".join(c * 16 for c in "abcdefea"))


def test_self_test_passes() -> None:
    crypto.self_test()


# -------------------------------------------------------------------------------------- envelope


@pytest.mark.parametrize("plaintext", ["", NAME, ID_NUMBER, "a" * 10_000, "🙂\u0000\n\t'\"<>", "x"])
def test_round_trip(fc: FieldCrypto, keyring: Keyring, suite: Suite, plaintext: str) -> None:
    envelope = fc.encrypt_field(plaintext, **CELL)
    assert envelope.startswith(TEXT_PREFIX)
    raw = base64.b64decode(envelope, validate=True)
    assert len(raw) == OVERHEAD + len(plaintext.encode())
    primary = keyring.primary_key(Purpose.DATA)
    assert raw[:8] == b"JE\x01" + bytes([suite.wire_id]) + primary.key_id
    assert key_id_of(envelope) == primary.key_id.hex()
    assert fc.decrypt_field(envelope, **CELL) == plaintext
    binary = fc.encrypt_bytes(plaintext.encode(), **CELL)
    assert fc.decrypt_bytes(binary, **CELL) == plaintext.encode()


def test_parse_envelope(fc: FieldCrypto, suite: Suite) -> None:
    envelope = fc.encrypt_field(NAME, **CELL)
    parsed = parse_envelope(envelope)
    assert (parsed.version, parsed.suite, parsed.key_id) == (1, suite, key_id_of(envelope))
    assert len(parsed.nonce) == 12 and len(parsed.tag) == 16 and len(parsed.ciphertext) == len(NAME.encode())
    assert parse_envelope(base64.b64decode(envelope)) == parsed
    assert NAME not in repr(parsed)
    assert is_envelope(envelope) and is_envelope(base64.b64decode(envelope))
    assert not is_envelope(NAME) and not is_envelope(None) and not is_envelope(ID_NUMBER)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("ab", "c", "1"), ("a", "bc", "1")),
        (("a", "bc", "1"), ("a", "b", "c1")),
        (("person", "name", "1"), ("person", "name1", "")),
        (("", "", ""), ("", "", "\0")),
    ],
)
def test_associated_data_is_canonical(a: tuple[str, str, str], b: tuple[str, str, str]) -> None:
    header = b"JE\x01\x01abcd"
    assert associated_data(header, *a) != associated_data(header, *b)


@PROPS
@given(
    a=st.tuples(st.text(), st.text(), st.text() | st.integers(min_value=0)),
    b=st.tuples(st.text(), st.text(), st.text()),
)
def test_associated_data_is_injective(a: tuple[str, str, str | int], b: tuple[str, str, str]) -> None:
    header = b"JE\x01\x02wxyz"
    canonical_a = (a[0], a[1], str(a[2]))
    assert (associated_data(header, *a) == associated_data(header, *b)) == (canonical_a == b)


@PROPS
@given(
    table=st.text(max_size=12),
    column=st.text(max_size=12),
    row_id=st.integers(min_value=0) | st.text(max_size=40) | st.uuids(),
)
def test_envelope_aad_is_associated_data(
    fc: FieldCrypto, keyring: Keyring, table: str, column: str, row_id: int | str | uuid.UUID
) -> None:
    """The inlined AAD of the hot paths is exactly ``associated_data`` (header || PAE(...))."""
    raw = fc.encrypt_bytes(b"value", table=table, column=column, row_id=row_id)
    key = keyring.key(raw[4:8])
    assert key.open(raw[8:20], raw[20:], associated_data(raw[:8], table, column, row_id)) == b"value"
    label = b"jj.field.v1"
    parts = [label, table.encode("utf-8", "surrogatepass"), column.encode("utf-8", "surrogatepass")]
    parts.append(str(row_id).encode("utf-8", "surrogatepass"))
    pae = (4).to_bytes(8, "little") + b"".join(len(p).to_bytes(8, "little") + p for p in parts)
    assert associated_data(raw[:8], table, column, row_id) == raw[:8] + pae


def test_row_id_forms(fc: FieldCrypto) -> None:
    row = uuid.UUID("12345678-1234-5678-1234-567812345678")
    envelope = fc.encrypt_field(NAME, table="person", column="name", row_id=row)
    assert fc.decrypt_field(envelope, table="person", column="name", row_id=str(row)) == NAME
    assert fc.decrypt_field(fc.encrypt_field(NAME, **CELL), table="person", column="name", row_id="17") == NAME
    with pytest.raises(TypeError):
        fc.encrypt_field(NAME, table="person", column="name", row_id=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        fc.encrypt_field(NAME, table="person", column="name", row_id=True)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------ fail closed


def refused(fc: FieldCrypto, envelope: object, **cell: object) -> DecryptionError:
    where = {**CELL, **cell}
    with pytest.raises(DecryptionError) as info:
        if isinstance(envelope, bytes):
            fc.decrypt_bytes(envelope, **where)  # type: ignore[arg-type]
        else:
            fc.decrypt_field(envelope, **where)  # type: ignore[arg-type]
    assert info.value.__context__ is None and info.value.__cause__ is None
    return info.value


def test_swapped_between_rows_columns_and_tables_refused(fc: FieldCrypto) -> None:
    a = fc.encrypt_field("张三", table="person", column="name", row_id=1)
    b = fc.encrypt_field("李四", table="person", column="name", row_id=2)
    assert refused(fc, a, table="person", column="name", row_id=2).reason == "authentication"
    assert refused(fc, b, table="person", column="name", row_id=1).reason == "authentication"
    assert refused(fc, a, table="person", column="address", row_id=1).reason == "authentication"
    assert refused(fc, a, table="guardian", column="name", row_id=1).reason == "authentication"
    assert refused(fc, a, table="person", column="name", row_id="01").reason == "authentication"
    assert fc.decrypt_field(a, table="person", column="name", row_id=1) == "张三"


def test_every_single_byte_change_refused(fc: FieldCrypto, keyring: Keyring, suite: Suite) -> None:
    envelope = fc.encrypt_bytes("张三".encode(), **CELL)
    for position in range(len(envelope)):
        reasons = set()
        for flip in range(1, 256):
            changed = bytearray(envelope)
            changed[position] ^= flip
            reasons.add(refused(fc, bytes(changed)).reason)
        if position < 2:
            assert reasons == {"malformed"}, position
        elif position == 2:
            assert reasons == {"version"}
        elif position == 3:  # the other suite's id finds a key of the wrong suite; the rest are unknown
            assert reasons == {"suite", "wrong_key"}
        elif position < 8:
            assert reasons == {"unknown_key"}, position
        else:
            assert reasons == {"authentication"}, position
    assert fc.decrypt_bytes(envelope, **CELL) == "张三".encode()


def test_every_single_character_change_of_text_refused(fc: FieldCrypto) -> None:
    envelope = fc.encrypt_field("王五", **CELL)
    for position in range(len(envelope)):
        for replacement in B64 + "=-_ \n.é":
            if replacement != envelope[position]:
                changed = envelope[:position] + replacement + envelope[position + 1 :]
                refused(fc, changed)


def test_truncations_and_extensions_refused(fc: FieldCrypto) -> None:
    raw = fc.encrypt_bytes(NAME.encode(), **CELL)
    for length in range(len(raw)):
        assert refused(fc, raw[:length]).reason in {"malformed", "authentication"}
        refused(fc, raw[len(raw) - length :])
    refused(fc, raw + b"\0")
    text = fc.encrypt_field(NAME, **CELL)
    for length in range(len(text)):
        refused(fc, text[:length])
    for suffix in ("=", "A", "AAAA", "\n", " "):
        refused(fc, text + suffix)
    refused(fc, " " + text)


@pytest.mark.parametrize(
    "stored",
    [
        NAME,
        ID_NUMBER,
        "",
        "null",
        TEXT_PREFIX,
        "SkUBAQ==",
        base64.b64encode(b"JE\x01\x01" + bytes(40)).decode(),
        base64.b64encode(bytes(64)).decode(),
        None,
        b"",
        b"JE",
        NAME.encode(),
        42,
    ],
)
def test_plaintext_or_junk_where_an_envelope_is_expected_refused(fc: FieldCrypto, stored: object) -> None:
    error = refused(fc, stored)
    assert error.reason in {"malformed", "unknown_key"}
    assert error.table == "person" and error.column == "name"


def test_text_and_binary_forms_are_not_interchangeable(fc: FieldCrypto) -> None:
    text = fc.encrypt_field(NAME, **CELL)
    raw = fc.encrypt_bytes(NAME.encode(), **CELL)
    refused(fc, text.encode())  # text bytes handed to decrypt_bytes
    with pytest.raises(DecryptionError):
        fc.decrypt_field(raw, **CELL)  # type: ignore[arg-type]
    unpadded = base64.b64encode(raw).decode().rstrip("=")
    urlsafe = base64.urlsafe_b64encode(raw).decode()
    for variant in {unpadded, urlsafe} - {base64.b64encode(raw).decode()}:
        refused(fc, variant)


def test_non_canonical_base64_refused(fc: FieldCrypto) -> None:
    """Setting the unused low bits of the last character must not give a second valid spelling."""
    for plaintext in ("a", "ab", "abc"):
        envelope = fc.encrypt_field(plaintext, **CELL)
        padding = len(envelope) - len(envelope.rstrip("="))
        if padding:
            last = len(envelope) - padding - 1
            spare = 0x0F if padding == 2 else 0x03
            for low in range(1, spare + 1):
                value = B64.index(envelope[last]) | low
                changed = envelope[:last] + B64[value] + envelope[last + 1 :]
                if changed != envelope:
                    assert base64.b64decode(changed) == base64.b64decode(envelope)
                    refused(fc, changed)


def test_unknown_key_refused(fc: FieldCrypto, suite: Suite) -> None:
    stranger = FieldCrypto(Keyring.generate(suite)).encrypt_field(NAME, **CELL)
    error = refused(fc, stranger)
    assert error.reason == "unknown_key" and error.key_id == key_id_of(stranger)


def test_missing_primary_key_raises(suite: Suite) -> None:
    empty = FieldCrypto(Keyring())
    with pytest.raises(KeyringError):
        empty.encrypt_field(NAME, **CELL)
    with pytest.raises(KeyringError):
        empty.blind_index(ID_NUMBER, label="person.id_number")
    envelope = FieldCrypto(Keyring.generate(suite)).encrypt_field(NAME, **CELL)
    assert refused(empty, envelope).reason == "unknown_key"


def test_decrypting_bytes_that_are_not_utf8_refused(fc: FieldCrypto) -> None:
    envelope = base64.b64encode(fc.encrypt_bytes(b"\xff\xfe" + NAME.encode("utf-16-le"), **CELL)).decode()
    error = refused(fc, envelope)
    assert error.reason == "encoding"
    assert NAME not in error_text(error)


def test_lone_surrogate_refused_without_echo(fc: FieldCrypto) -> None:
    with pytest.raises(CryptoError) as info:
        fc.encrypt_field(NAME + "\ud800", **CELL)
    assert info.value.__context__ is None
    assert NAME not in error_text(info.value)


def test_one_key_lookup_per_decryption(keyring: Keyring) -> None:
    """security.md E3: the header picks the key; no trial of other keys."""

    class Spy:
        def __init__(self, inner: Keyring) -> None:
            self.inner, self.lookups = inner, 0

        def primary_key(self, purpose: Purpose) -> KeyHandle:
            return self.inner.primary_key(purpose)

        def key(self, key_id: bytes) -> KeyHandle:
            self.lookups += 1
            return self.inner.key(key_id)

        def usable_keys(self, purpose: Purpose) -> Sequence[KeyHandle]:
            return self.inner.usable_keys(purpose)

    keyring.rotate(Purpose.DATA)
    keyring.rotate(Purpose.DATA)
    spy = Spy(keyring)
    fc = FieldCrypto(spy)
    envelope = fc.encrypt_field(NAME, **CELL)
    assert fc.decrypt_field(envelope, **CELL) == NAME
    assert spy.lookups == 1
    refused(fc, envelope, row_id=18)
    assert spy.lookups == 2
    refused(fc, NAME)
    assert spy.lookups == 2  # not an envelope: no key is even looked up


# ------------------------------------------------------------------------------------- nonces


@pytest.mark.slow
def test_a_million_encryptions_give_a_million_distinct_nonces(fc: FieldCrypto) -> None:
    """security.md E5: random 96-bit nonces, never repeated (and hence distinct ciphertexts)."""
    encrypt = fc.encrypt_bytes
    plaintext = ID_NUMBER.encode()
    nonces: set[bytes] = set()
    sealed: set[bytes] = set()
    started = time.perf_counter()
    for _ in range(1_000_000):
        raw = encrypt(plaintext, table="person", column="id_number", row_id=17)
        nonces.add(raw[8:20])
        sealed.add(raw[20:])
    elapsed = time.perf_counter() - started
    assert len(nonces) == 1_000_000
    assert len(sealed) == 1_000_000
    assert elapsed < 600


# ------------------------------------------------------------------------------------- rotation


def test_rotation_keeps_old_values_readable(fc: FieldCrypto, keyring: Keyring, suite: Suite) -> None:
    old = fc.encrypt_field(NAME, **CELL)
    old_key = key_id_of(old)
    assert not fc.needs_rewrap(old)
    info = keyring.rotate(Purpose.DATA)
    assert info.suite is suite and info.key_id != old_key
    assert keyring.info(old_key).status == "active"
    new = fc.encrypt_field(NAME, **CELL)
    assert key_id_of(new) == info.key_id
    assert fc.decrypt_field(old, **CELL) == NAME == fc.decrypt_field(new, **CELL)
    assert fc.needs_rewrap(old) and not fc.needs_rewrap(new)
    rewrapped = fc.rewrap_field(old, **CELL)
    assert key_id_of(rewrapped) == info.key_id and fc.decrypt_field(rewrapped, **CELL) == NAME
    assert fc.rewrap_field(rewrapped, **CELL) == rewrapped  # a second pass changes nothing
    with pytest.raises(DecryptionError):
        fc.rewrap_field(old, table="person", column="name", row_id=18)  # rewrap checks the cell too


def test_store_with_both_suites(fc: FieldCrypto, keyring: Keyring, suite: Suite) -> None:
    """A migration from one suite to the other: values of both decrypt, by their header alone."""
    before = fc.encrypt_field(NAME, **CELL)
    keyring.rotate(Purpose.DATA, other(suite))
    after = fc.encrypt_field(NAME, **CELL)
    assert parse_envelope(before).suite is suite and parse_envelope(after).suite is other(suite)
    assert fc.decrypt_field(before, **CELL) == fc.decrypt_field(after, **CELL) == NAME
    assert fc.needs_rewrap(before) and not fc.needs_rewrap(after)
    assert parse_envelope(fc.rewrap_field(before, **CELL)).suite is other(suite)


def test_retired_key_refused(fc: FieldCrypto, keyring: Keyring) -> None:
    old = fc.encrypt_field(NAME, **CELL)
    old_key = key_id_of(old)
    with pytest.raises(KeyringError):
        keyring.retire(old_key)  # the primary cannot be retired
    keyring.rotate(Purpose.DATA)
    keyring.retire(old_key)
    error = refused(fc, old)
    assert error.reason == "retired_key" and error.key_id == old_key
    with pytest.raises(DecryptionError):
        fc.rewrap_field(old, **CELL)
    with pytest.raises(KeyringError):
        keyring.promote(old_key)


def test_distribute_then_promote(fc: FieldCrypto, keyring: Keyring, suite: Suite) -> None:
    """Tink's order: add the key everywhere first (active), then make it primary."""
    old = fc.encrypt_field(NAME, **CELL)
    added = keyring.add_key(Purpose.DATA, suite)
    assert added.status == "active" and key_id_of(fc.encrypt_field(NAME, **CELL)) == key_id_of(old)
    keyring.promote(added.key_id)
    assert key_id_of(fc.encrypt_field(NAME, **CELL)) == added.key_id
    assert fc.decrypt_field(old, **CELL) == NAME


# -------------------------------------------------------------------------------- keys never shown


def test_keys_absent_from_repr_str_and_errors(fc: FieldCrypto, keyring: Keyring, suite: Suite) -> None:
    envelope = fc.encrypt_field(NAME, **CELL)
    keyring.rotate(Purpose.DATA)
    keyring.rotate(Purpose.INDEX)
    texts = [repr(keyring), str(keyring), repr(fc), repr(keyring.key_infos())]
    for purpose in Purpose:
        for handle in keyring.usable_keys(purpose):
            texts += [repr(handle), str(handle)]
    errors: list[BaseException] = [
        refused(fc, envelope, row_id=99),
        refused(fc, envelope[:-4] + "AAAA"),
        refused(fc, NAME),
        refused(fc, FieldCrypto(Keyring.generate(suite)).encrypt_field(NAME, **CELL)),
    ]
    keyring.retire(key_id_of(envelope))
    errors.append(refused(fc, envelope))
    for attempt in (
        lambda: keyring.retire(keyring.primary_key(Purpose.DATA).key_id.hex()),
        lambda: keyring.usable_keys(Purpose.INDEX)[0].seal(b"x", b""),
        lambda: keyring.primary_key(Purpose.DATA).mac(b"x"),
    ):
        with pytest.raises(CryptoError) as info:
            attempt()
        errors.append(info.value)
    texts += [error_text(e) for e in errors]
    for text in texts:
        assert_no_leak(text, keyring, NAME)
    for handle in keyring.usable_keys(Purpose.DATA):
        with pytest.raises(TypeError):
            pickle.dumps(handle)
    with pytest.raises(TypeError):
        pickle.dumps(keyring)


def test_key_handles_satisfy_the_protocols(keyring: Keyring) -> None:
    assert isinstance(keyring, KeyProvider)
    assert isinstance(keyring.primary_key(Purpose.DATA), KeyHandle)


def test_hardware_style_provider_that_never_exports_keys(suite: Suite) -> None:
    """security.md E15: the field code needs only seal/open/mac, so a module can keep the keys."""

    class Module:
        """Stands in for an HSM: keys live inside, callers hold only ids."""

        def __init__(self) -> None:
            self._inner = Keyring.generate(suite)

        def call(self, key_id: bytes, operation: str, *args: bytes) -> bytes | tuple[bytes, bytes]:
            handle = self._inner.key(key_id)
            return getattr(handle, operation)(*args)  # type: ignore[no-any-return]

        def primary_id(self, purpose: Purpose) -> bytes:
            return self._inner.primary_key(purpose).key_id

    class RemoteHandle:
        def __init__(self, module: Module, key_id: bytes, purpose: Purpose) -> None:
            self.module, self.key_id, self.suite, self.purpose = module, key_id, suite, purpose

        def seal(self, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
            return self.module.call(self.key_id, "seal", plaintext, aad)  # type: ignore[return-value]

        def open(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
            return self.module.call(self.key_id, "open", nonce, sealed, aad)  # type: ignore[return-value]

        def mac(self, data: bytes) -> bytes:
            return self.module.call(self.key_id, "mac", data)  # type: ignore[return-value]

    class ModuleProvider:
        def __init__(self) -> None:
            self.module = Module()

        def primary_key(self, purpose: Purpose) -> KeyHandle:
            return RemoteHandle(self.module, self.module.primary_id(purpose), purpose)

        def key(self, key_id: bytes) -> KeyHandle:
            return RemoteHandle(self.module, key_id, Purpose.DATA)

        def usable_keys(self, purpose: Purpose) -> Sequence[KeyHandle]:
            return [self.primary_key(purpose)]

    provider = ModuleProvider()
    assert isinstance(provider, KeyProvider)
    fc = FieldCrypto(provider)
    envelope = fc.encrypt_field(NAME, **CELL)
    assert fc.decrypt_field(envelope, **CELL) == NAME
    assert refused(fc, envelope, row_id=18).reason == "authentication"
    assert fc.blind_index(ID_NUMBER, label="person.id_number") == fc.blind_index(ID_NUMBER, label="person.id_number")


# ------------------------------------------------------------------------------------ blind index


def test_blind_index_is_stable_and_per_label(fc: FieldCrypto, keyring: Keyring) -> None:
    index = fc.blind_index(ID_NUMBER, label="person.id_number")
    key_part, _, digits = index.partition(":")
    assert key_part == keyring.primary_key(Purpose.INDEX).key_id.hex()
    assert len(digits) == BLIND_INDEX_BITS // 4 and int(digits, 16) < 2**BLIND_INDEX_BITS
    assert fc.blind_index(ID_NUMBER, label="person.id_number") == index
    assert index_matches(index, fc.blind_index(ID_NUMBER, label="person.id_number"))
    labels = [f"table{i}.id_number" for i in range(40)]
    values = {fc.blind_index(ID_NUMBER, label=label, bits=64) for label in labels}
    assert len(values) == len(labels)
    assert fc.blind_index(ID_NUMBER, label="ab", bits=64) != fc.blind_index(
        ID_NUMBER[1:], label="ab" + ID_NUMBER[0], bits=64
    )
    full = fc.blind_index(ID_NUMBER, label="person.id_number", bits=256)
    assert full.split(":")[1].startswith(digits)  # truncation keeps the leading bits
    assert len(full.split(":")[1]) == 64
    assert ID_NUMBER not in full


def test_blind_index_bits(fc: FieldCrypto) -> None:
    for bits in (8, 10, 16, 18, 32, 255, 256):
        digits = fc.blind_index(ID_NUMBER, label="l", bits=bits).split(":")[1]
        assert len(digits) == (bits + 3) // 4 and int(digits, 16) < 2**bits
    for bits in (0, 7, 257):
        with pytest.raises(CryptoError):
            fc.blind_index(ID_NUMBER, label="l", bits=bits)


def test_index_matches_is_exact() -> None:
    assert index_matches("0a0b0c0d:12ab", "0a0b0c0d:12ab")
    assert not index_matches("0a0b0c0d:12ab", "0a0b0c0d:12ac")
    assert not index_matches("0a0b0c0d:12ab", "0a0b0c0d:12ab0")
    assert not index_matches("0a0b0c0d:12ab", "")


def test_blind_index_differs_between_suites(suite: Suite) -> None:
    """The same index key material under HMAC-SHA-256 and HMAC-SM3 gives unrelated values."""
    document = json.loads(Keyring.generate(suite).export_json())
    twin = json.loads(json.dumps(document))
    for entry in twin["keys"]:
        entry["suite"] = str(other(suite))
        if entry["purpose"] == "data":
            entry["material"] = base64.b64encode(bytes(other(suite).data_key_length)).decode()
    mine = FieldCrypto(Keyring.from_json(json.dumps(document)))
    theirs = FieldCrypto(Keyring.from_json(json.dumps(twin)))
    assert mine.blind_index(ID_NUMBER, label="l", bits=256) != theirs.blind_index(ID_NUMBER, label="l", bits=256)
    key = base64.b64decode(next(k["material"] for k in document["keys"] if k["purpose"] == "index"))
    hash_name = "sha256" if suite is Suite.AES else "sm3"
    message = b"".join(len(p).to_bytes(8, "little") + p for p in (b"jj.blind-index.v1", b"l", ID_NUMBER.encode()))
    expected = hmac_digest(suite, key, (3).to_bytes(8, "little") + message)
    assert mine.blind_index(ID_NUMBER, label="l", bits=256).split(":")[1] == expected.hex()
    if hash_name in hashlib.algorithms_available:  # cross-check against the standard library
        assert hmac.new(key, (3).to_bytes(8, "little") + message, hash_name).digest() == expected


def test_index_key_is_not_the_encryption_key(keyring: Keyring) -> None:
    data, index = keyring.primary_key(Purpose.DATA), keyring.primary_key(Purpose.INDEX)
    assert data.key_id != index.key_id
    exported = {k["id"]: k for k in json.loads(keyring.export_json())["keys"]}
    assert exported[data.key_id.hex()]["material"] != exported[index.key_id.hex()]["material"]
    with pytest.raises(CryptoError):
        index.seal(b"x", b"")
    with pytest.raises(CryptoError):
        data.mac(b"x")
    fc = FieldCrypto(keyring)
    forged = bytearray(fc.encrypt_bytes(b"x", **CELL))
    forged[4:8] = index.key_id  # an envelope naming the index key is refused before any decryption
    assert refused(fc, bytes(forged)).reason == "wrong_key"


def test_blind_index_sizing_follows_security_md() -> None:
    """E10: at R = 10^6 rows, 2 <= C < sqrt(R). E11: a leaked index key does not reveal an ID."""
    rows = 10**6
    coincidences = rows / 2**BLIND_INDEX_BITS
    assert 2 <= coincidences < math.sqrt(rows)
    id_space = 3_200 * 3_285 * 1_000  # counties x birth dates (ages 10-18) x sequence numbers
    assert id_space / 2**BLIND_INDEX_BITS > 100_000  # candidate IDs per index value for a key thief


def test_index_key_rotation(fc: FieldCrypto, keyring: Keyring) -> None:
    old = fc.blind_index(ID_NUMBER, label="person.id_number")
    keyring.rotate(Purpose.INDEX)
    new = fc.blind_index(ID_NUMBER, label="person.id_number")
    assert new != old
    assert fc.blind_indexes(ID_NUMBER, label="person.id_number") == [new, old]
    assert fc.needs_reindex(old) and not fc.needs_reindex(new)
    keyring.retire(old.split(":")[0])
    assert fc.blind_indexes(ID_NUMBER, label="person.id_number") == [new]


# --------------------------------------------------------------------------------------- property


@PROPS
@given(
    plaintext=st.text(),
    table=st.text(min_size=1, max_size=20),
    column=st.text(min_size=1, max_size=20),
    row_id=st.integers(min_value=0) | st.text(max_size=40) | st.uuids(),
)
def test_round_trip_property(fc: FieldCrypto, plaintext: str, table: str, column: str, row_id: int | str) -> None:
    envelope = fc.encrypt_field(plaintext, table=table, column=column, row_id=row_id)
    assert fc.decrypt_field(envelope, table=table, column=column, row_id=row_id) == plaintext
    with pytest.raises(DecryptionError):
        fc.decrypt_field(envelope, table=table, column=column + "x", row_id=row_id)
    with pytest.raises(DecryptionError):
        fc.decrypt_field(envelope, table=table + "x", column=column, row_id=row_id)
    with pytest.raises(DecryptionError):
        fc.decrypt_field(envelope, table=table, column=column, row_id=f"{row_id}x")
