"""Working days on the PRC national calendar, pinned to real dates, plus the park's overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from engine.deadlines import compute_due
from engine.working_calendar import WorkdayPolicy, WorkingCalendar

calendar = WorkingCalendar()
policy = WorkdayPolicy()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 28), True),  # Sunday, make-up working day before National Day
        (date(2025, 10, 1), False),  # National Day
        (date(2025, 10, 8), False),  # last day of the 2025 National Day / Mid-Autumn holiday
        (date(2025, 10, 11), True),  # Saturday, make-up working day after it
        (date(2026, 2, 14), True),  # Saturday, make-up working day before the Spring Festival
        (date(2026, 2, 17), False),  # Spring Festival
        (date(2026, 2, 23), False),  # last day of the 2026 Spring Festival holiday
        (date(2026, 2, 24), True),
        (date(2026, 3, 7), False),  # an ordinary Saturday
    ],
)
def test_national_calendar_knows_holidays_and_make_up_days(day: date, working: bool) -> None:
    assert calendar.is_working_day(day) is working


def test_a_working_day_deadline_skips_national_day() -> None:
    created = datetime(2025, 9, 30, 9, 0, tzinfo=policy.zone)  # Tuesday before the holiday
    due = compute_due(created, "P1D", "working", calendar, policy)
    assert due.at == datetime(2025, 10, 9, 18, 0, tzinfo=policy.zone).astimezone(UTC)
    assert due.warning is None


def test_a_working_day_deadline_counts_a_weekend_make_up_day() -> None:
    created = datetime(2025, 9, 26, 17, 0, tzinfo=policy.zone)  # Friday
    due = compute_due(created, "P1D", "working", calendar, policy)
    assert due.at == datetime(2025, 9, 28, 18, 0, tzinfo=policy.zone).astimezone(UTC)


def test_a_deadline_across_the_spring_festival() -> None:
    created = datetime(2026, 2, 13, 10, 0, tzinfo=policy.zone)  # Friday before the make-up Saturday
    due = compute_due(created, "P3D", "working", calendar, policy)
    # 14 Feb (make-up Saturday), then the holiday 15-23 Feb, then 24 and 25 Feb
    assert due.at == datetime(2026, 2, 25, 18, 0, tzinfo=policy.zone).astimezone(UTC)


def test_the_count_starts_from_the_local_date_not_the_utc_date() -> None:
    created = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # already Tuesday 3 March in Shanghai
    due = compute_due(created, "P1D", "working", calendar, policy)
    assert due.at == datetime(2026, 3, 4, 18, 0, tzinfo=policy.zone).astimezone(UTC)


def test_calendar_deadlines_are_elapsed_time() -> None:
    created = datetime(2026, 2, 16, 10, 0, tzinfo=UTC)
    assert compute_due(created, "PT4H", "calendar", calendar, policy).at == datetime(2026, 2, 16, 14, 0, tzinfo=UTC)


def test_working_deadlines_must_be_whole_days() -> None:
    with pytest.raises(ValueError):
        compute_due(datetime(2026, 3, 2, tzinfo=UTC), "PT4H", "working", calendar, policy)


def test_a_year_the_library_does_not_cover_gives_a_warning() -> None:
    due = compute_due(datetime(2031, 3, 3, 9, 0, tzinfo=policy.zone), "P2D", "working", calendar, policy)
    assert due.warning is not None and "2031" in due.warning


def test_overrides_close_a_day_and_open_a_weekend() -> None:
    park = WorkingCalendar(lambda: {date(2026, 3, 4): False, date(2026, 3, 7): True})
    assert park.is_working_day(date(2026, 3, 4)) is False
    assert park.is_working_day(date(2026, 3, 7)) is True
    assert park.add_working_days(date(2026, 3, 3), 3) == date(2026, 3, 7)


def test_overrides_make_a_year_covered() -> None:
    park = WorkingCalendar(lambda: {date(2031, 1, 26): True})
    assert park.covers(2031) and not calendar.covers(2031)


def test_working_days_between_counts_both_ways() -> None:
    assert calendar.working_days_between(date(2025, 9, 30), date(2025, 10, 9)) == 1
    assert calendar.working_days_between(date(2025, 10, 9), date(2025, 9, 30)) == -1


def test_working_days_between_agrees_with_a_day_by_day_walk_across_years_and_overrides() -> None:
    """The year-map count (used for every open case's age on a ledger page) equals walking the days."""
    overrides = {date(2025, 10, 1): True, date(2025, 12, 31): False, date(2026, 1, 3): True, date(2024, 2, 29): False}
    park = WorkingCalendar(lambda: overrides)

    def walk(a: date, b: date) -> int:
        sign, (low, high) = (1, (a, b)) if a <= b else (-1, (b, a))
        days = range(low.toordinal() + 1, high.toordinal() + 1)
        return sign * sum(park.is_working_day(date.fromordinal(n)) for n in days)

    ends = [date(2023, 12, 30), date(2024, 2, 28), date(2024, 2, 29), date(2025, 9, 30), date(2025, 10, 1),
            date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 3), date(2026, 6, 30)]
    for a in ends:
        for b in ends:
            assert park.working_days_between(a, b) == walk(a, b), (a, b)
