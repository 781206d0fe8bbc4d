"""Tests for juvenile_justice.lib.resident_id (GB 11643-1999). All numbers are synthetic."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from juvenile_justice.lib.resident_id import (
    InvalidResidentId,
    ResidentId,
    check_digit,
    parse_resident_id,
)

PROPS = settings(database=None, deadline=None, max_examples=200)
TODAY = date(2026, 11, 29)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def reference_check(body17: str) -> str:
    """Independent ISO 7064 MOD 11-2 implementation (GB 11643-1999 §7)."""
    total = sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def make(region: str, birth: str, seq: str) -> str:
    body = region + birth + seq
    return body + reference_check(body)


def assert_no_leak(exc: InvalidResidentId, number: str) -> None:
    text = str(exc)
    assert number not in text
    assert number[:17] not in text
    assert number[6:14] not in text  # not even the birth digits


def test_check_digit_matches_the_standard() -> None:
    assert check_digit("36042619910101007") == "1"  # stdnum's documented example
    assert check_digit("37081120080510001") == reference_check("37081120080510001")
    # stack-notes pitfall: stdnum's own function wants 18 characters.
    assert ric.calc_check_digit("36042619910101007") != "1"


@pytest.mark.parametrize("bad", ["3708112008051000", "370811200805100011", "3708112008051000A", 17])
def test_check_digit_rejects_bad_bodies(bad: object) -> None:
    with pytest.raises(InvalidResidentId) as info:
        check_digit(bad)  # type: ignore[arg-type]
    assert info.value.reason == "format"


def test_valid_male_and_female() -> None:
    male = make("370811", "20080510", "001")
    female = make("370811", "20080510", "002")
    rid = parse_resident_id(male, today=TODAY)
    assert rid == ResidentId(number=male, birth_date=date(2008, 5, 10), sex="male", region_code="370811")
    assert parse_resident_id(female, today=TODAY).sex == "female"


def test_number_is_normalised() -> None:
    seq = next(f"{i:03d}" for i in range(1, 1000) if reference_check(f"37081120080510{i:03d}") == "X")
    number = make("370811", "20080510", seq)
    assert number.endswith("X")
    rid = parse_resident_id(f"  {number[:-1]}x\t", today=TODAY)
    assert rid.number == number
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)  # ３７０８１１… typed with a CJK IME
    assert parse_resident_id(full_width, today=TODAY).number == number


def test_repr_and_masked_hide_the_number() -> None:
    number = make("370811", "20080510", "001")
    rid = parse_resident_id(number, today=TODAY)
    assert number not in repr(rid)
    assert rid.masked == "370811********" + number[-4:]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("37081120080510001", "length"),
        ("3708112008051000123", "length"),
        ("", "length"),
        ("37081120080510001 ", "length"),
        ("3708112008A510001X", "format"),
        ("370811-2008051-001", "format"),
        ("37081120080510001Y", "format"),
    ],
)
def test_shape_errors(value: str, reason: str) -> None:
    with pytest.raises(InvalidResidentId) as info:
        parse_resident_id(value, today=TODAY)
    assert info.value.reason == reason
    assert isinstance(info.value, ValueError)


def test_not_a_string() -> None:
    with pytest.raises(InvalidResidentId) as info:
        parse_resident_id(None, today=TODAY)  # type: ignore[arg-type]
    assert info.value.reason == "type"


def test_wrong_check_digit() -> None:
    good = make("370811", "20080510", "001")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(InvalidResidentId) as info:
        parse_resident_id(bad, today=TODAY)
    assert info.value.reason == "checksum"
    assert "校验码" in str(info.value) and "check digit" in str(info.value)
    assert_no_leak(info.value, bad)


@pytest.mark.parametrize(
    ("birth", "reason"),
    [
        ("20080230", "birth_date"),  # 30 February
        ("20081301", "birth_date"),
        ("20080000", "birth_date"),
        ("20261130", "birth_future"),  # the day after TODAY
        ("20990101", "birth_future"),  # stdnum alone would accept this
        ("18991231", "birth_too_early"),
    ],
)
def test_birth_date_errors(birth: str, reason: str) -> None:
    number = make("370811", birth, "001")
    with pytest.raises(InvalidResidentId) as info:
        parse_resident_id(number, today=TODAY)
    assert info.value.reason == reason
    assert_no_leak(info.value, number)


def test_born_today_is_accepted() -> None:
    number = make("370811", TODAY.strftime("%Y%m%d"), "003")
    assert parse_resident_id(number, today=TODAY).birth_date == TODAY


def test_unknown_region() -> None:
    number = make("990101", "20080510", "001")
    with pytest.raises(InvalidResidentId) as info:
        parse_resident_id(number, today=TODAY)
    assert info.value.reason == "region"
    assert_no_leak(info.value, number)


def test_province_only_region_keyerror_is_converted() -> None:
    """stdnum 2.2 raises KeyError('county') when only the province part (11) matches."""
    number = make("119999", "20080510", "001")
    with pytest.raises(KeyError):
        ric.validate(number)
    with pytest.raises(InvalidResidentId) as info:
        parse_resident_id(number, today=TODAY)
    assert info.value.reason == "region"


@pytest.mark.parametrize(
    ("region", "birth", "valid"),
    [
        # stdnum cn/loc.dat: 370882 "[1992-2013]兖州市", 370812 "[2013-]兖州区" (Jining, Shandong).
        # A number is issued after birth under the codes then in force: the code must have been in
        # use at some time in or after the birth year.
        ("370882", "20100510", True),
        ("370882", "20130510", True),
        ("370882", "20150510", False),  # retired before the person was born
        ("370812", "20150510", True),
        ("370812", "20130510", True),
        ("370812", "20100510", True),  # born in 兖州 in 2010, first ID issued after 2013
        # 370811 "[1983-1992]郊区,[1993-]任城区": a parent born in 1980 carries it.
        ("370811", "19830510", True),
        ("370811", "19800510", True),
        ("370802", "20150510", False),  # 市中区, retired in 2013
    ],
)
def test_region_must_be_in_use_in_or_after_the_birth_year(region: str, birth: str, valid: bool) -> None:
    number = make(region, birth, "001")
    if valid:
        assert parse_resident_id(number, today=TODAY).region_code == region
    else:
        with pytest.raises(InvalidResidentId) as info:
            parse_resident_id(number, today=TODAY)
        assert info.value.reason == "region"


births = st.dates(min_value=date(1993, 1, 1), max_value=TODAY)
seqs = st.integers(min_value=0, max_value=999)


@PROPS
@given(birth=births, seq=seqs)
def test_constructed_numbers_parse(birth: date, seq: int) -> None:
    number = make("370811", birth.strftime("%Y%m%d"), f"{seq:03d}")
    rid = parse_resident_id(number, today=TODAY)
    assert rid.birth_date == birth
    assert rid.sex == ("male" if seq % 2 else "female")
    assert check_digit(number[:17]) == number[17]


@PROPS
@given(birth=births, seq=seqs, position=st.integers(min_value=0, max_value=17), data=st.data())
def test_any_single_substitution_is_caught_by_the_check_digit(
    birth: date, seq: int, position: int, data: st.DataObject
) -> None:
    number = make("370811", birth.strftime("%Y%m%d"), f"{seq:03d}")
    alphabet = "0123456789X" if position == 17 else "0123456789"
    new = data.draw(st.sampled_from([c for c in alphabet if c != number[position]]))
    bad = number[:position] + new + number[position + 1 :]
    with pytest.raises(InvalidResidentId) as info:
        parse_resident_id(bad, today=TODAY)
    assert info.value.reason == "checksum"
    assert_no_leak(info.value, bad)


@PROPS
@given(birth=st.dates(min_value=TODAY + timedelta(days=1), max_value=date(2999, 12, 31)))
def test_future_births_are_always_refused(birth: date) -> None:
    number = make("370811", birth.strftime("%Y%m%d"), "001")
    with pytest.raises(InvalidResidentId) as info:
        parse_resident_id(number, today=TODAY)
    assert info.value.reason == "birth_future"
