"""Tests for juvenile_justice.lib.periods (R-GEN-2 ages, R-GEN-8 periods, working days)."""

from __future__ import annotations

import calendar
import json
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from juvenile_justice.lib.periods import (
    HALF_MONTH_DAYS,
    ParsedCalendar,
    WorkingDayCalendar,
    WorkingDayResult,
    add_days,
    add_months,
    age_in_full_years,
    date_reaching_age,
    parse_calendar_file,
)

# No example database on disk (the repository must stay clean), no per-example deadline.
PROPS = settings(database=None, deadline=None, max_examples=200)

dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
leap_day_births = st.sampled_from([date(y, 2, 29) for y in range(1904, 2021, 4)])


# ---------------------------------------------------------------------------------------------
# Age (周岁), R-GEN-2


def test_age_reaches_n_on_the_day_after_the_birthday() -> None:
    birth = date(2006, 5, 10)
    assert age_in_full_years(birth, date(2024, 5, 9)) == 17
    assert age_in_full_years(birth, date(2024, 5, 10)) == 17  # the 18th birthday itself
    assert age_in_full_years(birth, date(2024, 5, 11)) == 18
    assert date_reaching_age(birth, 18) == date(2024, 5, 11)


def test_r_gen_1_example_17_years_364_days_is_juvenile() -> None:
    birth = date(2006, 5, 10)
    assert age_in_full_years(birth, date(2024, 5, 9)) < 18


def test_age_on_birth_date_is_zero_and_before_birth_raises() -> None:
    assert age_in_full_years(date(2010, 1, 1), date(2010, 1, 1)) == 0
    assert age_in_full_years(date(2010, 1, 1), date(2010, 12, 31)) == 0
    assert age_in_full_years(date(2010, 1, 1), date(2011, 1, 1)) == 0
    assert age_in_full_years(date(2010, 1, 1), date(2011, 1, 2)) == 1
    with pytest.raises(ValueError, match="before the birth date"):
        age_in_full_years(date(2010, 1, 2), date(2010, 1, 1))


def test_feb_29_birthday_is_feb_28_in_common_years() -> None:
    birth = date(2008, 2, 29)
    # Common year 2026: the 18th birthday is 28 Feb, so 18 周岁 from 1 March.
    assert age_in_full_years(birth, date(2026, 2, 27)) == 17
    assert age_in_full_years(birth, date(2026, 2, 28)) == 17
    assert age_in_full_years(birth, date(2026, 3, 1)) == 18
    assert date_reaching_age(birth, 18) == date(2026, 3, 1)
    # Leap year 2024: the 16th birthday is 29 Feb itself, 16 周岁 from 1 March as well.
    assert age_in_full_years(birth, date(2024, 2, 29)) == 15
    assert age_in_full_years(birth, date(2024, 3, 1)) == 16
    assert date_reaching_age(birth, 16) == date(2024, 3, 1)


def test_date_reaching_age_rejects_negative() -> None:
    assert date_reaching_age(date(2010, 7, 1), 0) == date(2010, 7, 1)
    with pytest.raises(ValueError):
        date_reaching_age(date(2010, 7, 1), -1)


@PROPS
@given(birth=dates, a=dates, b=dates)
def test_age_is_monotone_in_the_date(birth: date, a: date, b: date) -> None:
    lo, hi = sorted((a, b))
    if lo < birth:
        return
    assert age_in_full_years(birth, lo) <= age_in_full_years(birth, hi)


@PROPS
@given(birth=dates, years=st.integers(min_value=1, max_value=120))
def test_age_changes_exactly_on_date_reaching_age(birth: date, years: int) -> None:
    first_day = date_reaching_age(birth, years)
    assert age_in_full_years(birth, first_day) == years
    assert age_in_full_years(birth, first_day - timedelta(days=1)) == years - 1


@PROPS
@given(birth=leap_day_births, years=st.integers(min_value=1, max_value=100))
def test_leap_day_births_reach_each_age_on_1_march(birth: date, years: int) -> None:
    assert date_reaching_age(birth, years) == date(birth.year + years, 3, 1)


@PROPS
@given(birth=dates, on=dates)
def test_age_matches_a_naive_reference(birth: date, on: date) -> None:
    if on < birth:
        return

    # Reference: the birthday of year Y is (Y, m, d), or 28 Feb for a 29 Feb birth in a common year.
    def birthday(year: int) -> date:
        if (birth.month, birth.day) == (2, 29) and not calendar.isleap(year):
            return date(year, 2, 28)
        return date(year, birth.month, birth.day)

    expected = on.year - birth.year - (1 if on.year > birth.year and on <= birthday(on.year) else 0)
    assert age_in_full_years(birth, on) == expected


# ---------------------------------------------------------------------------------------------
# Months and days, R-GEN-8 / CPL 105


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2024, 3, 31), 6, date(2024, 9, 30)),  # R-GEN-8 test: CNP 6-month probation
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2024, 5, 15), 0, date(2024, 5, 15)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 1, 15), -13, date(2022, 12, 15)),
    ],
)
def test_add_months_examples(start: date, months: int, end: date) -> None:
    assert add_months(start, months) == end


def test_add_months_out_of_range() -> None:
    with pytest.raises(ValueError, match="out of range"):
        add_months(date(9999, 12, 1), 1)
    with pytest.raises(ValueError, match="out of range"):
        add_months(date(1, 1, 1), -1)


def test_add_days_does_not_count_the_start_day() -> None:
    assert add_days(date(2024, 3, 1), 7) == date(2024, 3, 8)
    assert add_days(date(2024, 2, 28), 1) == date(2024, 2, 29)
    assert add_days(date(2024, 3, 1), HALF_MONTH_DAYS) == date(2024, 3, 16)
    assert add_days(date(2024, 3, 1), -1) == date(2024, 2, 29)


month_counts = st.integers(min_value=-1200, max_value=1200)


@PROPS
@given(start=dates, months=month_counts)
def test_add_months_never_overflows_the_month(start: date, months: int) -> None:
    end = add_months(start, months)
    last = calendar.monthrange(end.year, end.month)[1]
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    assert end.day <= start.day
    if start.day > last:
        assert end.day == last  # clipped to the month end
    else:
        assert end.day == start.day


@PROPS
@given(start=dates, m=st.integers(min_value=0, max_value=600), n=st.integers(min_value=0, max_value=600))
def test_add_months_chain_is_never_later_than_one_step(start: date, m: int, n: int) -> None:
    """Documented non-associativity: a clipped day is not restored by a later step."""
    chained = add_months(add_months(start, m), n)
    direct = add_months(start, m + n)
    assert chained <= direct
    assert (chained.year, chained.month) == (direct.year, direct.month)
    if start.day <= 28:
        assert chained == direct


def test_add_months_non_associative_example() -> None:
    assert add_months(add_months(date(2024, 1, 31), 1), 1) == date(2024, 3, 29)
    assert add_months(date(2024, 1, 31), 2) == date(2024, 3, 31)


# ---------------------------------------------------------------------------------------------
# Working days


@pytest.fixture
def cal() -> WorkingDayCalendar:
    return WorkingDayCalendar()


def test_national_day_2026(cal: WorkingDayCalendar) -> None:
    for day in range(1, 8):
        assert not cal.is_working_day(date(2026, 10, day)), day
    assert cal.is_working_day(date(2026, 10, 8))
    assert cal.is_working_day(date(2026, 10, 10))  # Saturday make-up workday (调休)
    assert not cal.is_working_day(date(2026, 10, 11))  # ordinary Sunday
    assert cal.source_of(2026) == "library"


def test_spring_festival_2026(cal: WorkingDayCalendar) -> None:
    for day in range(15, 24):
        assert not cal.is_working_day(date(2026, 2, day)), day
    assert cal.is_working_day(date(2026, 2, 14))  # Saturday make-up workday
    assert cal.is_working_day(date(2026, 2, 28))  # Saturday make-up workday
    assert cal.is_working_day(date(2026, 2, 24))
    assert cal.add_working_days(date(2026, 2, 13), 1) == WorkingDayResult(date(2026, 2, 14))
    assert cal.add_working_days(date(2026, 2, 14), 1) == WorkingDayResult(date(2026, 2, 24))


def test_add_working_days_skips_holidays(cal: WorkingDayCalendar) -> None:
    assert cal.add_working_days(date(2026, 9, 30), 1).date == date(2026, 10, 8)
    assert cal.add_working_days(date(2026, 9, 30), 3).date == date(2026, 10, 10)
    assert cal.add_working_days(date(2026, 10, 8), 0) == WorkingDayResult(date(2026, 10, 8))
    assert cal.add_working_days(date(2026, 10, 8), -1).date == date(2026, 9, 30)
    # The start day itself is not counted even when it is a working day.
    assert cal.add_working_days(date(2026, 10, 12), 1).date == date(2026, 10, 13)


def test_deadline_end_moves_off_holidays_unless_in_custody(cal: WorkingDayCalendar) -> None:
    start = date(2026, 9, 3)
    assert cal.deadline_end(start, date(2026, 10, 3), in_custody=False).date == date(2026, 10, 8)
    assert cal.deadline_end(start, date(2026, 10, 3), in_custody=True) == WorkingDayResult(date(2026, 10, 3))
    assert cal.deadline_end(start, date(2026, 11, 1), in_custody=False).date == date(2026, 11, 2)  # Sunday
    assert cal.deadline_end(start, date(2026, 10, 10), in_custody=False).date == date(2026, 10, 10)
    with pytest.raises(ValueError, match="before the start"):
        cal.deadline_end(start, date(2026, 9, 2), in_custody=False)


def test_r_gen_8_month_period_then_holiday_rule(cal: WorkingDayCalendar) -> None:
    start = date(2026, 7, 1)
    last = add_months(start, 3)  # 2026-10-01, National Day
    assert cal.deadline_end(start, last, in_custody=False).date == date(2026, 10, 8)
    assert cal.deadline_end(start, last, in_custody=True).date == date(2026, 10, 1)


def test_period_into_2027_does_not_raise_and_reports_fallback(cal: WorkingDayCalendar) -> None:
    result = cal.add_working_days(date(2026, 12, 28), 5)
    assert result.date == date(2027, 1, 4)  # 29, 30, 31 Dec, Fri 1 Jan (unknown), Mon 4 Jan
    assert result.fallback_years == frozenset({2027})
    assert result.is_fallback
    assert cal.source_of(2027) == "fallback"
    end = cal.deadline_end(date(2026, 12, 2), date(2027, 1, 2), in_custody=False)
    assert end == WorkingDayResult(date(2027, 1, 4), frozenset({2027}))


def test_loaded_2027_removes_the_fallback(cal: WorkingDayCalendar) -> None:
    cal.load_year(2027, holidays={date(2027, 1, 1)}, workdays=set())
    result = cal.add_working_days(date(2026, 12, 28), 5)
    assert result == WorkingDayResult(date(2027, 1, 5))
    assert not result.is_fallback
    assert cal.source_of(2027) == "loaded"
    assert cal.loaded_years() == frozenset({2027})


def test_years_before_the_library_fall_back_too(cal: WorkingDayCalendar) -> None:
    result = cal.next_working_day_on_or_after(date(2003, 1, 4))  # a Saturday
    assert result == WorkingDayResult(date(2003, 1, 6), frozenset({2003}))
    assert cal.is_fallback_year(2003)
    assert not cal.is_fallback_year(2004)


def test_without_library_every_year_is_weekends_only() -> None:
    cal = WorkingDayCalendar(use_library=False)
    assert cal.is_working_day(date(2026, 10, 1))  # a Thursday
    assert not cal.is_working_day(date(2026, 10, 10))  # a Saturday
    assert cal.next_working_day_on_or_after(date(2026, 10, 1)).fallback_years == frozenset({2026})


def test_loaded_year_overrides_the_library(cal: WorkingDayCalendar) -> None:
    cal.load_year(2026, holidays={date(2026, 10, 8)}, workdays={date(2026, 10, 11)})
    assert not cal.is_working_day(date(2026, 10, 8))
    assert cal.is_working_day(date(2026, 10, 11))
    assert cal.is_working_day(date(2026, 10, 1))  # not listed as a holiday in the loaded data
    assert cal.source_of(2026) == "loaded"


def test_load_year_validation(cal: WorkingDayCalendar) -> None:
    with pytest.raises(ValueError, match="not in 2027"):
        cal.load_year(2027, holidays={date(2026, 12, 31)}, workdays=set())
    with pytest.raises(ValueError, match="both as a holiday and as a workday"):
        cal.load_year(2027, holidays={date(2027, 2, 6)}, workdays={date(2027, 2, 6)})
    with pytest.raises(ValueError, match="is a weekday"):
        cal.load_year(2027, holidays=set(), workdays={date(2027, 2, 8)})
    with pytest.raises(ValueError, match="integer"):
        cal.load_year(0, holidays=set(), workdays=set())
    assert cal.loaded_years() == frozenset()


days_2004_2030 = st.dates(min_value=date(2004, 1, 1), max_value=date(2030, 12, 31))


@PROPS
@given(day=days_2004_2030)
def test_next_working_day_is_the_first_one(day: date) -> None:
    cal = WorkingDayCalendar()
    result = cal.next_working_day_on_or_after(day)
    assert result.date >= day
    assert cal.is_working_day(result.date)
    probe = day
    while probe < result.date:
        assert not cal.is_working_day(probe)
        probe += timedelta(days=1)
    assert all(year >= 2027 for year in result.fallback_years)


@PROPS
@given(start=days_2004_2030, n=st.integers(min_value=1, max_value=40))
def test_add_working_days_counts_exactly_n(start: date, n: int) -> None:
    cal = WorkingDayCalendar()
    result = cal.add_working_days(start, n)
    counted = sum(cal.is_working_day(start + timedelta(days=i)) for i in range(1, (result.date - start).days + 1))
    assert counted == n
    assert cal.is_working_day(result.date)
    first_counted = start + timedelta(days=1)
    expected_fallback = {y for y in range(first_counted.year, result.date.year + 1) if y >= 2027}
    assert result.fallback_years == frozenset(expected_fallback)


@PROPS
@given(last=days_2004_2030, in_custody=st.booleans())
def test_deadline_end_never_earlier_than_last_day(last: date, in_custody: bool) -> None:
    cal = WorkingDayCalendar()
    result = cal.deadline_end(last - timedelta(days=30), last, in_custody=in_custody)
    if in_custody:
        assert result == WorkingDayResult(last)
    else:
        assert result.date >= last
        assert cal.is_working_day(result.date)


# ---------------------------------------------------------------------------------------------
# Calendar file


def _file(**overrides: object) -> str:
    data: dict[str, object] = {
        "year": 2027,
        "holidays": ["2027-01-01", "2027-02-06", "2027-02-07"],
        "workdays": ["2027-02-14"],
        "source": "国务院办公厅通知（示例）",
    }
    data.update(overrides)
    return json.dumps({k: v for k, v in data.items() if v is not ...}, ensure_ascii=False)


def test_parse_calendar_file_and_load() -> None:
    parsed = parse_calendar_file(_file())
    assert parsed == ParsedCalendar(
        2027,
        frozenset({date(2027, 1, 1), date(2027, 2, 6), date(2027, 2, 7)}),
        frozenset({date(2027, 2, 14)}),
    )
    year, holidays, workdays = parsed
    cal = WorkingDayCalendar()
    cal.load_year(year, holidays, workdays)
    assert cal.is_working_day(date(2027, 2, 14))  # a Sunday make-up workday
    assert not cal.is_working_day(date(2027, 1, 1))


def test_parse_calendar_file_source_is_optional() -> None:
    assert parse_calendar_file(_file(source=...)).year == 2027


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        (_file(workdays=...), "missing key"),
        (_file(extra=1), "unknown key"),
        (_file(year="2027"), "'year' must be an integer"),
        (_file(year=True), "'year' must be an integer"),
        (_file(source=5), "'source' must be a string"),
        (_file(holidays="2027-01-01"), "'holidays' must be a list"),
        (_file(holidays=["2027-1-1"]), "is not a YYYY-MM-DD date"),
        (_file(holidays=[20270101]), "is not a YYYY-MM-DD date"),
        (_file(holidays=["2027-02-30"]), "is not a real date"),
        (_file(holidays=["2026-12-31"]), "is not in 2027"),
        (_file(holidays=["2027-01-01", "2027-01-01"]), "twice"),
        (_file(workdays=["2027-02-06"]), "both as a holiday and as a workday"),
        (_file(workdays=["2027-02-08"]), "is a weekday"),
    ],
)
def test_parse_calendar_file_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_calendar_file(text)
