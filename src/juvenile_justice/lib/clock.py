"""The current time and the current date in China Standard Time (dates of legal acts are local)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def now_utc() -> datetime:
    """Now, timezone-aware, UTC (stored timestamps)."""
    return datetime.now(UTC)


def today_china() -> date:
    """Today's date in Beijing time (deadlines and 'not in the future' checks)."""
    return datetime.now(CHINA).date()


def china_time(stamp: str) -> str:
    """A stored UTC stamp (``2026-11-29T19:05:12.123456Z``, the access log's) as China Standard Time, to
    the second (``2026-11-30 03:05:12``); anything else unchanged (template filter ``cst``)."""
    try:
        moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ") + timedelta(hours=8)
    except (TypeError, ValueError):
        return str(stamp)
    return moment.strftime("%Y-%m-%d %H:%M:%S")
