"""Working days on the national calendar of the PRC, with the park's own overrides.

The ``holidays`` library knows the State Council's holidays and the make-up working days on
weekends for the years it has been told about. An admin-managed override table adds park-specific
closed days and next year's make-up days before the library has them. A year with neither known
make-up days nor overrides is "not covered": deadlines there are still computed, with a warning.
"""

from __future__ import annotations

import threading
import time as _time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

OverrideLoader = Callable[[], Mapping[date, bool]]
SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_HELPER_DAYS = 3653  # ten years: the most an expression may count in one helper call


@lru_cache(maxsize=16)
def _national(year: int) -> Any:
    return holidays.country_holidays("CN", years=year)


@lru_cache(maxsize=64)
def _national_working_days(year: int) -> bytes:
    """One byte per day of ``year`` (January 1 first), 1 for a national working day: counting working
    days over a range becomes a slice count instead of one library lookup per day."""
    first, national = date(year, 1, 1), _national(year)
    days = (date(year + 1, 1, 1) - first).days
    return bytes(1 if national.is_working_day(first + timedelta(days=n)) else 0 for n in range(days))


@lru_cache(maxsize=256)
def _library_covers(year: int) -> bool:
    return any(day.year == year for day in getattr(_national(year), "weekend_workdays", ()))


@dataclass(frozen=True)
class WorkdayPolicy:
    """Where and when a working day ends."""

    zone: ZoneInfo = SHANGHAI
    close_of_business: time = time(18, 0)
    due_soon_working_days: int = 1


class WorkingCalendar:
    """Answers working-day questions; overrides are re-read at most every ``refresh_seconds``."""

    def __init__(self, loader: OverrideLoader | None = None, refresh_seconds: float = 30.0) -> None:
        self._loader = loader
        self._refresh = refresh_seconds
        self._overrides: Mapping[date, bool] = {}
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = float("-inf")

    def overrides(self) -> Mapping[date, bool]:
        if self._loader is None:
            return {}
        with self._lock:
            if _time.monotonic() - self._loaded_at > self._refresh:
                self._overrides = dict(self._loader())
                self._loaded_at = _time.monotonic()
            return self._overrides

    def is_working_day(self, day: date) -> bool:
        override = self.overrides().get(day)
        if override is not None:
            return override
        return bool(_national(day.year).is_working_day(day))

    def covers(self, year: int) -> bool:
        return _library_covers(year) or any(day.year == year for day in self.overrides())

    def add_working_days(self, start: date | datetime, count: int) -> date:
        """The ``count``-th working day strictly after ``start`` (before it for a negative count)."""
        day = start.date() if isinstance(start, datetime) else start
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        while remaining:
            day += timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, first: date | datetime, second: date | datetime) -> int:
        """Working days after ``first`` up to and including ``second`` (negative if reversed).

        Counts the national working days year by year from a cached day map, then corrects for the
        overrides inside the range: a ledger page computes the age of every open case with it."""
        a = first.date() if isinstance(first, datetime) else first
        b = second.date() if isinstance(second, datetime) else second
        sign = 1
        if b < a:
            a, b, sign = b, a, -1
        count = 0
        day = a + timedelta(days=1)  # the range is (a, b]
        while day <= b:
            year_end = min(b, date(day.year, 12, 31))
            start = day.timetuple().tm_yday - 1
            count += _national_working_days(day.year).count(1, start, start + (year_end - day).days + 1)
            day = year_end + timedelta(days=1)
        for override_day, working in self.overrides().items():
            if a < override_day <= b:
                national = bool(_national_working_days(override_day.year)[override_day.timetuple().tm_yday - 1])
                count += int(working) - int(national)
        return sign * count

    def sandbox_helpers(self) -> dict[str, Callable[..., Any]]:
        """Functions BPMN expressions may call (timers and scripts count working days too).

        Their arguments are bounded: the day-by-day walk runs in one call the sandbox cannot interrupt.
        """

        def add_working_days(start: date | datetime, count: int) -> date:
            if not isinstance(count, int) or abs(count) > MAX_HELPER_DAYS:
                raise ValueError(f"add_working_days counts at most {MAX_HELPER_DAYS:,} days, got {count!r}")
            return self.add_working_days(start, count)

        def working_days_between(first: date | datetime, second: date | datetime) -> int:
            a = first.date() if isinstance(first, datetime) else first
            b = second.date() if isinstance(second, datetime) else second
            if abs((b - a).days) > MAX_HELPER_DAYS * 2:
                raise ValueError(f"working_days_between spans at most {MAX_HELPER_DAYS * 2:,} days")
            return self.working_days_between(a, b)

        return {
            "add_working_days": add_working_days,
            "working_days_between": working_days_between,
            "is_working_day": self.is_working_day,
        }
