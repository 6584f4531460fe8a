"""SQL pieces every figure shares: the local-date window, rates, and nearest-rank percentiles.

Percentiles use the nearest rank (the value at rank ceil(p/100 × n) of the sorted values), with
integer arithmetic over exact counts, so SQLite and PostgreSQL give the same number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.sql import ColumnElement

from engine.errors import InvalidInput, Problem


def check_window(from_: date | None, to: date | None, names: tuple[str, str] = ("from", "to")) -> None:
    """A window's start after its end is a 422 naming the end parameter."""
    if from_ is not None and to is not None and from_ > to:
        raise InvalidInput(
            f"'{names[0]}' ({from_}) is after '{names[1]}' ({to})",
            problems=[Problem("range", f"must not be before '{names[0]}'", field=f"/{names[1]}")],
        )


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def within(column: Any, from_: date | None, to: date | None, zone: ZoneInfo) -> list[ColumnElement[bool]]:
    """``column`` (a UTC timestamp) falls on a local date from ``from_`` to ``to``, both included."""
    conditions: list[ColumnElement[bool]] = []
    if from_ is not None:
        conditions.append(column >= local_midnight(from_, zone))
    if to is not None:
        conditions.append(column < local_midnight(to + timedelta(days=1), zone))
    return conditions


def rate(numerator: int, denominator: int) -> dict[str, Any]:
    """A rate as numerator, denominator, fraction (4 places) and percentage (1 place); null when 0/0."""
    if denominator == 0:
        return {"numerator": numerator, "denominator": 0, "fraction": None, "percent": None}
    return {
        "numerator": numerator,
        "denominator": denominator,
        "fraction": round(numerator / denominator, 4),
        "percent": round(100 * numerator / denominator + 1e-9, 1),
    }


def nearest_rank(values: Sequence[float | int], percent: int) -> float | int | None:
    """The nearest-rank percentile of already-fetched values (the same rule as ``percentiles``)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (percent * len(ordered) + 99) // 100
    return ordered[max(rank, 1) - 1]


def nearest_rank_of_counts(counts: Mapping[int, int], percent: int) -> int | None:
    """The nearest-rank percentile of values given as ``{value: how many}`` (from a GROUP BY)."""
    total = sum(counts.values())
    if total == 0:
        return None
    rank = max((percent * total + 99) // 100, 1)
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    return None


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def split_by_month(
    from_: date | None, to: date | None
) -> tuple[tuple[str | None, str | None] | None, list[tuple[date | None, date | None]]]:
    """A window of local dates as the whole months inside it, ``(first, last)`` as ``YYYY-MM`` (None: no
    bound; the pair None when no month lies wholly inside), and the partial months at its edges, as
    windows of dates to scan case by case. Together they cover the window exactly, without overlap."""
    first = None if from_ is None else (from_ if from_.day == 1 else _next_month(from_))
    last_day_of_to = to is not None and (to + timedelta(days=1)).day == 1
    last = None
    if to is not None:
        last = _month_start(to) if last_day_of_to else _month_start(_month_start(to) - timedelta(days=1))
    if first is not None and last is not None and first > last:
        return None, [(from_, to)]
    edges: list[tuple[date | None, date | None]] = []
    if from_ is not None and from_.day != 1:
        edges.append((from_, _next_month(from_) - timedelta(days=1)))
    if to is not None and not last_day_of_to:
        edges.append((_month_start(to), to))
    months = (first.strftime("%Y-%m") if first else None, last.strftime("%Y-%m") if last else None)
    return months, edges
