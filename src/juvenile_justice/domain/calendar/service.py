"""Loaded holiday calendars: ``juvenile-justice calendar load FILE`` and the working-day calendar.

chinese-calendar covers 2004–2026; a year it does not cover is loaded from the State Council's
published arrangement (国务院办公厅关于…部分节假日安排的通知) and stored in the database so every
worker process uses it. Until then, deadlines in that year fall back to weekends only and say so.
"""

from __future__ import annotations

import json
from datetime import date

from juvenile_justice import db
from juvenile_justice.domain.audit import service as audit
from juvenile_justice.domain.calendar.tables import CalendarYear
from juvenile_justice.lib.clock import now_utc
from juvenile_justice.lib.periods import WorkingDayCalendar, parse_calendar_file


async def load_calendar_text(text: str) -> tuple[int, int, int]:
    """Store one year's holidays and make-up workdays from a calendar file's text (replacing any).

    Returns:
        (year, number of holidays, number of make-up workdays).

    Raises:
        ValueError: the file is malformed (the message says where).
    """
    year, holidays, workdays = parse_calendar_file(text)
    holidays_json = json.dumps(sorted(d.isoformat() for d in holidays))
    workdays_json = json.dumps(sorted(d.isoformat() for d in workdays))
    now = now_utc()
    async with db.transaction():
        existing = await CalendarYear.select(CalendarYear.id).where(CalendarYear.year == year).first()
        if existing:
            await CalendarYear.update(
                {
                    CalendarYear.holidays: holidays_json,
                    CalendarYear.workdays: workdays_json,
                    CalendarYear.loaded_at: now,
                }
            ).where(CalendarYear.year == year)
        else:
            await CalendarYear.insert(
                CalendarYear(year=year, holidays=holidays_json, workdays=workdays_json, loaded_at=now)
            )
        await audit.admin_action(
            "calendar.load", f"calendar:{year}", f"holidays:{len(holidays)},workdays:{len(workdays)}"
        )
    return year, len(holidays), len(workdays)


async def working_day_calendar() -> WorkingDayCalendar:
    """The bundled holiday table plus every loaded year."""
    calendar = WorkingDayCalendar()
    for row in await CalendarYear.select().order_by(CalendarYear.year):
        calendar.load_year(
            row["year"],
            {date.fromisoformat(d) for d in json.loads(row["holidays"])},
            {date.fromisoformat(d) for d in json.loads(row["workdays"])},
        )
    return calendar
