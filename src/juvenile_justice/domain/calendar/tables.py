"""Piccolo table of loaded holiday calendars (schema in migrations/calendar/)."""

from piccolo.columns import Integer, Serial, Text, Timestamptz
from piccolo.table import Table


class CalendarYear(Table, tablename="calendar_year"):
    """One year's official holidays and make-up workdays (调休), JSON lists of ISO dates."""

    id = Serial(primary_key=True)
    year = Integer(unique=True)
    holidays = Text()
    workdays = Text()
    loaded_at = Timestamptz()
