"""Working-day arithmetic on the national calendar of the PRC, offered to BPMN expressions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import holidays


@lru_cache(maxsize=8)
def _calendar(year: int) -> Any:
    return holidays.country_holidays("CN", years=range(year - 1, year + 3))


def is_working_day(day: date) -> bool:
    """Weekdays that are not holidays, plus the make-up working days on weekends."""
    calendar = _calendar(day.year)
    return bool(calendar.is_working_day(day))


def add_working_days(start: date | datetime, count: int) -> date:
    """The ``count``-th working day strictly after ``start`` (before it for a negative count)."""
    day = start.date() if isinstance(start, datetime) else start
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(first: date | datetime, second: date | datetime) -> int:
    """Working days after ``first`` up to and including ``second`` (negative if reversed)."""
    a = first.date() if isinstance(first, datetime) else first
    b = second.date() if isinstance(second, datetime) else second
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    count = 0
    day = a
    while day < b:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return sign * count


def sandbox_helpers() -> dict[str, Callable[..., Any]]:
    return {
        "add_working_days": add_working_days,
        "working_days_between": working_days_between,
        "is_working_day": is_working_day,
    }
