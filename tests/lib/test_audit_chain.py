"""The access log's chain and checkpoints (issue 4): property tests of tamper detection, both suites."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from juvenile_justice.lib import audit_chain as ac
from juvenile_justice.lib.crypto import Suite, ed25519_generate

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SUITES = [Suite.AES, Suite.SM]


def build(n: int, suite: Suite = Suite.AES) -> list[ac.ChainEntry]:
    hash_fn = ac.suite_hash(suite)
    entries, prev = [], ac.GENESIS
    for seq in range(1, n + 1):
        entry = ac.append(prev, seq, {"actor": f"user{seq % 7}", "action": "person.read", "target": f"p{seq}"}, hash_fn)
        entries.append(entry)
        prev = entry.entry_hash
    return entries


def verify(entries: list[ac.ChainEntry], suite: Suite = Suite.AES) -> ac.Verification:
    return ac.verify_chain(entries, hash_fn=ac.suite_hash(suite))


@pytest.mark.parametrize("suite", SUITES)
def test_an_untouched_log_verifies(suite: Suite) -> None:
    entries = build(50, suite)
    result = verify(entries, suite)
    assert result.ok and result.checked == 50 and result.head == entries[-1].entry_hash
    assert verify([], suite).ok


MUTATIONS = ["modify", "delete", "duplicate", "insert", "swap"]


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(min_value=2, max_value=200),
    kind=st.sampled_from(MUTATIONS),
    where=st.floats(min_value=0, max_value=1, exclude_max=True),
    suite=st.sampled_from(SUITES),
)
def test_any_single_mutation_is_found_at_its_exact_sequence_number(
    n: int, kind: str, where: float, suite: Suite
) -> None:
    entries = build(n, suite)
    i = int(where * (n - 1 if kind == "swap" else n))  # 0-based position of the mutation
    seq = i + 1
    if kind == "modify":
        e = entries[i]
        entries[i] = ac.ChainEntry(e.seq, {**e.fields, "target": "forged"}, e.prev_hash, e.entry_hash)
    elif kind == "delete":
        del entries[i]
        if i == len(entries):  # the last entry deleted is a truncation: see the checkpoint tests
            assert verify(entries, suite).ok
            return
    elif kind == "duplicate":
        entries.insert(i + 1, entries[i])
        seq = i + 1
    elif kind == "insert":
        prev = entries[i - 1].entry_hash if i else ac.GENESIS
        entries.insert(i, ac.append(prev, seq, {"actor": "intruder", "action": "x"}, ac.suite_hash(suite)))
    else:
        entries[i], entries[i + 1] = entries[i + 1], entries[i]
    result = verify(entries, suite)
    assert not result.ok and result.first_bad_seq == seq, (kind, i, result)


@settings(max_examples=2000, deadline=None)
@given(
    st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(lambda k: k != "seq"),
        st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.text(st.characters(exclude_categories=["Cs"]))),
        max_size=12,
    ),
    st.integers(1, 2**62),
)
def test_canonical_bytes_are_exactly_the_standard_librarys_sorted_compact_json(
    fields: dict[str, ac.FieldValue], seq: int
) -> None:
    """The fast encoder must never change a hash: its bytes equal json.dumps's for every allowed value."""
    expected = json.dumps({"seq": seq, **fields}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert ac.canonical(seq, fields) == expected.encode("utf-8")


def test_canonical_entries_are_one_safe_line() -> None:
    hostile = 'a\r\nb\x00c\x1b[31md"e\\f\u2028g'
    body = ac.canonical(7, {"actor": hostile, "target": None, "size": 3})
    assert b"\n" not in body and b"\r" not in body and b"\x00" not in body and b"\x1b" not in body
    assert json.loads(body) == {"seq": 7, "actor": hostile, "target": None, "size": 3}
    assert ac.canonical(7, {"b": "1", "a": "2"}) == ac.canonical(7, {"a": "2", "b": "1"})
    for bad in ({"Actor": "x"}, {"seq": 1}, {"x": 1.5}, {"x": b"y"}, {"x": "\ud800"}, {"x": 2**63}):
        with pytest.raises(ac.ChainError):
            ac.canonical(1, bad)


@pytest.mark.parametrize("suite", SUITES)
def test_checkpoints_sign_and_verify_with_the_public_key_alone(suite: Suite) -> None:
    private, public = ed25519_generate()
    entries = build(30, suite)
    cp = ac.checkpoint_of(entries, "jj-test-log", NOW, suite)
    text = ac.sign_checkpoint(cp, private, public)
    keys = {ac.key_id(public): public}
    assert ac.verify_checkpoint(text, keys, "jj-test-log") == cp
    assert ac.verify_against_checkpoint(entries, cp).ok
    with pytest.raises(ac.CheckpointError, match="another log"):
        ac.verify_checkpoint(text, keys, "jj-other-log")
    other_private, other_public = ed25519_generate()
    with pytest.raises(ac.CheckpointError, match="unknown key"):
        ac.verify_checkpoint(text, {ac.key_id(other_public): other_public}, "jj-test-log")
    forged = ac.sign_checkpoint(cp, other_private, other_public).replace(ac.key_id(other_public), ac.key_id(public))
    with pytest.raises(ac.CheckpointError, match="does not verify"):
        ac.verify_checkpoint(forged, keys, "jj-test-log")
    for line in ("size 30", "root ", "head ", "time 2026"):
        i = text.index(line) + len(line) - 1
        tampered = text[:i] + ("1" if text[i] != "1" else "2") + text[i + 1 :]
        with pytest.raises(ac.CheckpointError):
            ac.verify_checkpoint(tampered, keys, "jj-test-log")


@pytest.mark.parametrize("suite", SUITES)
def test_truncation_and_rewrites_before_a_checkpoint_are_found(suite: Suite) -> None:
    entries = build(40, suite)
    cp = ac.checkpoint_of(entries[:25], "jj-test-log", NOW, suite)
    assert ac.verify_against_checkpoint(entries, cp).ok
    truncated = entries[:20]
    result = ac.verify_against_checkpoint(truncated, cp)
    assert not result.ok and result.reason == "truncated before the checkpoint" and result.first_bad_seq == 21
    # a rewrite with every hash recomputed passes the chain check but not the checkpoint
    hash_fn, rewritten, prev = ac.suite_hash(suite), [], ac.GENESIS
    for e in entries:
        fields = {**e.fields, "target": "hidden"} if e.seq == 10 else e.fields
        rewritten.append(ac.append(prev, e.seq, fields, hash_fn))
        prev = rewritten[-1].entry_hash
    assert ac.verify_chain(rewritten, hash_fn=hash_fn).ok
    result = ac.verify_against_checkpoint(rewritten, cp)
    assert not result.ok and result.reason == "history before the checkpoint was rewritten"


def test_known_limit_truncation_after_the_last_checkpoint_is_not_detectable() -> None:
    """Pinned limit (security.md §2.7): without a newer checkpoint, dropping entries written after the
    last one leaves a log that verifies. Checkpoints held outside the database bound that window."""
    entries = build(40)
    cp = ac.checkpoint_of(entries[:25], "jj-test-log", NOW)
    assert ac.verify_against_checkpoint(entries[:30], cp).ok
