"""The current time and the current date in China Standard Time (dates of legal acts are local)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def now_utc() -> datetime:
    """Now, timezone-aware, UTC (stored timestamps)."""
    return datetime.now(UTC)


def today_china() -> date:
    """Today's date in Beijing time (deadlines and 'not in the future' checks)."""
    return datetime.now(CHINA).date()
