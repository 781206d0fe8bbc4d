"""期间计算: ages in full years (周岁), periods in days and months, working-day deadlines.

Pure functions and one in-memory calendar class; no I/O, no database. All dates are
``datetime.date`` values in the Gregorian calendar; every count is in whole days or whole months.

Legal sources:

* R-GEN-2 (SPC-2006 Art 2): a person reaches N 周岁 on the day *after* the Nth birthday.
* R-GEN-8 (CPL 105; SPC-Interp 202): the start day is not counted; a month runs from day D to
  day D of the later month, or to that month's last day when it has no day D; half a month is 15
  days; when the last day is a holiday the period ends on the next working day, except while the
  person is in custody (在押).
* Working days follow the State Council's yearly holiday notice (放假安排), including make-up
  workdays (调休) on weekends. The ``chinese-calendar`` package bundles 2004–2026; other years can
  be loaded with :meth:`WorkingDayCalendar.load_year`; any other year falls back to
  "Monday–Friday are working days" and every result says which years were such a fallback.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, NamedTuple

import chinese_calendar

HALF_MONTH_DAYS = 15
"""R-GEN-8 / CPL 105: half a month (半个月) is counted as 15 days."""


# --------------------------------------------------------------------------------------------
# Days, months, ages


def add_days(start: date, days: int) -> date:
    """Last day of a period of ``days`` days starting on ``start`` (R-GEN-8, CPL 105).

    The start day is not counted, so a 7-day period from 2024-03-01 ends on 2024-03-08.
    A negative ``days`` counts backwards.

    Raises:
        OverflowError: the result is outside ``date.min``..``date.max``.
    """
    return start + timedelta(days=days)


def add_months(start: date, months: int) -> date:
    """Last day of a period of ``months`` months starting on ``start`` (R-GEN-8, CPL 105).

    The period runs from day D to day D of the month ``months`` later; when that month has no day D
    it ends on that month's last day: 2024-03-31 + 6 → 2024-09-30, 2024-01-31 + 1 → 2024-02-29,
    2023-01-31 + 1 → 2023-02-28. A negative ``months`` counts backwards with the same rule.

    Not associative: ``add_months(add_months(a, m), n)`` can be earlier than
    ``add_months(a, m + n)`` because a clipped day is not restored (2024-01-31 + 1 + 1 →
    2024-03-29, but 2024-01-31 + 2 → 2024-03-31). Compute a period from its own start in one call.

    Raises:
        ValueError: the result's year is outside 1..9999.
    """
    index = start.year * 12 + (start.month - 1) + months
    year, month0 = divmod(index, 12)
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise ValueError(f"add_months: year {year} is out of range")
    month = month0 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last))


def date_reaching_age(birth: date, years: int) -> date:
    """First day on which a person born on ``birth`` is ``years`` 周岁 (R-GEN-2, SPC-2006 Art 2).

    That is the day after the ``years``-th birthday. The birthday is ``add_months(birth, 12 * years)``,
    so someone born on 29 February has their birthday on 28 February in a common year (the usual
    practice: 生日为2月29日的，非闰年以2月28日为生日) and reaches the age on 1 March.
    Example: born 2006-05-10 → 18 周岁 from 2024-05-11.

    Raises:
        ValueError: ``years`` is negative or the date is out of range.
    """
    if years < 0:
        raise ValueError("date_reaching_age: years must not be negative")
    if years == 0:
        return birth
    return add_months(birth, 12 * years) + timedelta(days=1)


def age_in_full_years(birth: date, on: date) -> int:
    """Age in full years (周岁) on the date ``on`` (R-GEN-2, SPC-2006 Art 2).

    A person reaches N 周岁 on the day after the Nth birthday: born 2006-05-10, on 2024-05-10 the
    age is 17 and on 2024-05-11 it is 18. Born on 29 February: in a common year the birthday is
    28 February, so the new age starts on 1 March (see :func:`date_reaching_age`). On the birth
    date itself the age is 0.

    Raises:
        ValueError: ``on`` is before ``birth``.
    """
    if on < birth:
        raise ValueError("age_in_full_years: the date is before the birth date")
    years = on.year - birth.year
    if years > 0 and on <= add_months(birth, 12 * years):
        years -= 1  # the birthday of this year has not yet been passed
    return years


# --------------------------------------------------------------------------------------------
# Working days


@dataclass(frozen=True, slots=True)
class WorkingDayResult:
    """A computed date plus the years for which no holiday data was available.

    ``fallback_years`` lists every year consulted that was neither bundled in
    ``chinese-calendar`` nor loaded with :meth:`WorkingDayCalendar.load_year`; for those years the
    result treats Monday–Friday as working days and ignores holidays, so it may be too early and
    should be shown as provisional (e.g. "按双休日推算，2027年放假安排尚未载入").
    """

    date: dt.date
    fallback_years: frozenset[int] = frozenset()

    @property
    def is_fallback(self) -> bool:
        """True when any year used the weekends-only fallback."""
        return bool(self.fallback_years)


class ParsedCalendar(NamedTuple):
    """One year's holidays and make-up workdays, as returned by :func:`parse_calendar_file`."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]


CalendarSource = Literal["loaded", "library", "fallback"]


class WorkingDayCalendar:
    """Working-day arithmetic over official holidays and make-up workdays (调休).

    For each year the data comes from, in order: a year loaded with :meth:`load_year` (this
    overrides the bundled data, so corrections are possible), the ``chinese-calendar`` package
    (2004–2026 in 1.11.0) unless ``use_library=False``, or the weekends-only fallback. Methods never
    raise for a year without data (e.g. 2027); results carry the fallback years instead.
    """

    def __init__(self, *, use_library: bool = True) -> None:
        self._use_library = use_library
        self._loaded: dict[int, ParsedCalendar] = {}

    def load_year(self, year: int, holidays: Iterable[date], workdays: Iterable[date]) -> None:
        """Load (or replace) one year's holidays and make-up workdays.

        Args:
            year: the calendar year, 1..9999.
            holidays: days off (放假日), weekends inside a holiday block may be listed too.
            workdays: make-up workdays (调休上班日); each must fall on a Saturday or Sunday.

        Raises:
            ValueError: a date outside ``year``, a date in both sets, or a workday on a weekday.
        """
        self._loaded[year] = _validated(year, holidays, workdays, where="load_year")

    def loaded_years(self) -> frozenset[int]:
        """Years loaded with :meth:`load_year`."""
        return frozenset(self._loaded)

    def source_of(self, year: int) -> CalendarSource:
        """Where the data for ``year`` comes from: ``loaded``, ``library`` or ``fallback``."""
        if year in self._loaded:
            return "loaded"
        if self._use_library and _library_has(year):
            return "library"
        return "fallback"

    def is_fallback_year(self, year: int) -> bool:
        """True when ``year`` has no holiday data and uses the weekends-only rule."""
        return self.source_of(year) == "fallback"

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a working day (Mon–Fri only, for a fallback year)."""
        return self._check(d)[0]

    def _check(self, d: date) -> tuple[bool, bool]:
        """(is working day, used fallback) for one day."""
        day = date(d.year, d.month, d.day)
        loaded = self._loaded.get(day.year)
        if loaded is not None:
            if day in loaded.workdays:
                return True, False
            if day in loaded.holidays:
                return False, False
            return day.weekday() < 5, False
        if self._use_library:
            try:
                return bool(chinese_calendar.is_workday(day)), False
            except NotImplementedError:
                pass
        return day.weekday() < 5, True

    def next_working_day_on_or_after(self, d: date) -> WorkingDayResult:
        """``d`` itself when it is a working day, else the first working day after it.

        Raises:
            OverflowError: no working day before ``date.max``.
        """
        fallback: set[int] = set()
        day = d
        while True:
            working, used_fallback = self._check(day)
            if used_fallback:
                fallback.add(day.year)
            if working:
                return WorkingDayResult(day, frozenset(fallback))
            day += timedelta(days=1)

    def add_working_days(self, start: date, n: int) -> WorkingDayResult:
        """The ``n``-th working day after ``start``; ``start`` itself is not counted (R-GEN-8).

        ``n == 0`` returns ``start`` unchanged; a negative ``n`` counts working days backwards.
        Example: 2026-09-30 + 1 working day → 2026-10-08 (the National Day holidays 10-01..10-07 are
        skipped).

        Raises:
            OverflowError: the count runs past ``date.min``/``date.max``.
        """
        fallback: set[int] = set()
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        day = start
        while remaining:
            day += step
            working, used_fallback = self._check(day)
            if used_fallback:
                fallback.add(day.year)
            if working:
                remaining -= 1
        return WorkingDayResult(day, frozenset(fallback))

    def deadline_end(self, start: date, last_day: date, *, in_custody: bool) -> WorkingDayResult:
        """Legal end of a period whose nominal last day is ``last_day`` (R-GEN-8, CPL 105).

        If ``last_day`` is a holiday or a weekend rest day (节假日), the period ends on the next
        working day; while the person is in custody (``in_custody=True``) it is never extended and
        ``last_day`` is returned as is, with no calendar consulted. ``start`` is the period's start
        (not counted) and only checks the order. Compute ``last_day`` with :func:`add_days` or
        :func:`add_months` first.

        Raises:
            ValueError: ``last_day`` is before ``start``.
        """
        if last_day < start:
            raise ValueError("deadline_end: the last day is before the start")
        if in_custody:
            return WorkingDayResult(last_day, frozenset())
        return self.next_working_day_on_or_after(last_day)


def _library_has(year: int) -> bool:
    """Whether the bundled ``chinese-calendar`` data covers ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _validated(year: int, holidays: Iterable[date], workdays: Iterable[date], *, where: str) -> ParsedCalendar:
    """Check one year's lists; ``where`` prefixes the error messages."""
    if isinstance(year, bool) or not isinstance(year, int) or not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise ValueError(f"{where}: year must be an integer 1..9999")
    sets: dict[str, set[date]] = {"holidays": set(), "workdays": set()}
    for key, values in (("holidays", holidays), ("workdays", workdays)):
        for value in values:
            if not isinstance(value, date):
                raise ValueError(f"{where}: {key} must contain dates, got {type(value).__name__}")
            day = date(value.year, value.month, value.day)
            if day.year != year:
                raise ValueError(f"{where}: {key} date {day.isoformat()} is not in {year}")
            if key == "workdays" and day.weekday() < 5:
                raise ValueError(
                    f"{where}: workday {day.isoformat()} is a weekday; "
                    "make-up workdays (调休) fall on a Saturday or Sunday"
                )
            sets[key].add(day)
    both = sorted(sets["holidays"] & sets["workdays"])
    if both:
        raise ValueError(f"{where}: {both[0].isoformat()} is listed both as a holiday and as a workday")
    return ParsedCalendar(year, frozenset(sets["holidays"]), frozenset(sets["workdays"]))


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_calendar_file(text: str) -> ParsedCalendar:
    """Parse one year's holiday calendar from JSON text.

    Format (one JSON object, UTF-8)::

        {
          "year": 2027,
          "holidays": ["2027-01-01", "2027-02-06", ...],
          "workdays": ["2027-02-14", ...],
          "source": "国务院办公厅关于2027年部分节假日安排的通知"
        }

    ``year`` is an integer; ``holidays`` lists every day off (放假日); ``workdays`` lists the make-up
    workdays (调休上班日), each a Saturday or Sunday; dates are ``YYYY-MM-DD`` strings in ``year``
    and no date is in both lists; duplicates are refused. ``source`` (optional) is free text
    naming the State Council notice; it is not returned. No other keys are allowed.

    Raises:
        ValueError: with a message naming the offending key and value.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"calendar file: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise ValueError("calendar file: the top level must be a JSON object")
    missing = [key for key in ("year", "holidays", "workdays") if key not in data]
    if missing:
        raise ValueError(f"calendar file: missing key(s): {', '.join(missing)}")
    unknown = sorted(set(data) - {"year", "holidays", "workdays", "source"})
    if unknown:
        raise ValueError(f"calendar file: unknown key(s): {', '.join(unknown)}")
    year = data["year"]
    if isinstance(year, bool) or not isinstance(year, int):
        raise ValueError("calendar file: 'year' must be an integer")
    if "source" in data and not isinstance(data["source"], str):
        raise ValueError("calendar file: 'source' must be a string")
    lists: dict[str, list[date]] = {}
    for key in ("holidays", "workdays"):
        raw = data[key]
        if not isinstance(raw, list):
            raise ValueError(f"calendar file: '{key}' must be a list of dates")
        days: list[date] = []
        for i, item in enumerate(raw):
            if not isinstance(item, str) or not _ISO_DATE.fullmatch(item):
                raise ValueError(f"calendar file: '{key}'[{i}] = {item!r} is not a YYYY-MM-DD date")
            try:
                day = date.fromisoformat(item)
            except ValueError:
                raise ValueError(f"calendar file: '{key}'[{i}] = {item!r} is not a real date") from None
            if day in days:
                raise ValueError(f"calendar file: '{key}' lists {item} twice")
            days.append(day)
        lists[key] = days
    return _validated(year, lists["holidays"], lists["workdays"], where="calendar file")
