"""Deadlines of tasks and cases (限时办结): from BPMN properties to due times and due status.

A task or process declares ``deadline`` (an ISO 8601 duration), or ``deadlineExpression`` (a
sandboxed expression over case data returning one), and ``deadlineCalendar``: ``working`` (default;
whole days only, ending at close of business on the Nth working day strictly after the local
creation date) or ``calendar`` (plain elapsed time). Due times are stored in UTC.

A deadline is at most :data:`MAX_DEADLINE_DAYS` (ten years): longer ones are refused at deploy, and
one computed by an expression raises an incident (or a 422 at start, for a case deadline) before
any day is counted, so a ``P3000000D`` never walks the calendar under the write lock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from engine.errors import Problem
from engine.spiff.durations import parse_duration
from engine.working_calendar import WorkdayPolicy, WorkingCalendar

CALENDARS = ("working", "calendar")
MAX_DEADLINE_DAYS = 3653


@dataclass(frozen=True)
class DeadlineSpec:
    """What a BPMN element says about its time limit."""

    duration: str | None
    expression: str | None
    calendar: str

    @classmethod
    def from_properties(cls, properties: Mapping[str, str]) -> DeadlineSpec | None:
        duration = (properties.get("deadline") or "").strip() or None
        expression = (properties.get("deadlineExpression") or "").strip() or None
        if duration is None and expression is None:
            return None
        calendar = (properties.get("deadlineCalendar") or "working").strip()
        return cls(duration, expression, calendar)

    def problems(self, *, file: str | None, element_id: str | None, line: int | None = None) -> list[Problem]:
        """Deploy-time checks; the expression itself is compiled by the model linter."""
        found: list[Problem] = []
        if self.calendar not in CALENDARS:
            found.append(
                Problem(
                    "deadline_calendar_unknown",
                    f"deadlineCalendar must be one of {', '.join(CALENDARS)}",
                    file=file,
                    line=line,
                    element_id=element_id,
                )
            )
        if self.duration is not None and self.expression is not None:
            found.append(
                Problem(
                    "deadline_ambiguous",
                    "give deadline or deadlineExpression, not both",
                    file=file,
                    line=line,
                    element_id=element_id,
                )
            )
        if self.duration is not None:
            try:
                check_duration(self.duration, self.calendar)
            except ValueError as exc:
                found.append(Problem("deadline_invalid", str(exc), file=file, line=line, element_id=element_id))
        return found


def check_duration(text: str, calendar: str) -> None:
    duration = parse_duration(text)
    if duration.approximate_days > MAX_DEADLINE_DAYS:
        raise ValueError(f"'{text}': a deadline may be at most {MAX_DEADLINE_DAYS} days")
    if calendar == "working" and duration.whole_days is None:
        raise ValueError(f"'{text}': a working-day deadline is whole days, such as P5D")


@dataclass(frozen=True)
class Due:
    at: datetime
    warning: str | None = None


def compute_due(
    created: datetime, duration_text: str, calendar_kind: str, calendar: WorkingCalendar, policy: WorkdayPolicy
) -> Due:
    """When a limit of ``duration_text`` that starts at ``created`` runs out."""
    check_duration(duration_text, calendar_kind)
    duration = parse_duration(duration_text)
    if calendar_kind == "calendar":
        return Due(duration.after(created).astimezone(UTC))
    days = duration.whole_days
    assert days is not None
    start = created.astimezone(policy.zone).date()
    day = calendar.add_working_days(start, days)
    due = datetime.combine(day, policy.close_of_business, tzinfo=policy.zone).astimezone(UTC)
    uncovered = [year for year in range(start.year, day.year + 1) if not calendar.covers(year)]
    warning = None
    if uncovered:
        warning = (
            "the working-day calendar does not yet know the official holidays of "
            + ", ".join(str(y) for y in uncovered)
            + ": this deadline may move once they are published"
        )
    return Due(due, warning)


DueJudge = Callable[[datetime | None], str | None]


def judge(now: datetime, calendar: WorkingCalendar, policy: WorkdayPolicy) -> DueJudge:
    """A function telling ``on_time``, ``due_soon`` (within N working days) or ``overdue`` at ``now``."""
    threshold = soon_threshold(now, calendar, policy)

    def status(due_at: datetime | None) -> str | None:
        if due_at is None:
            return None
        if due_at < now:
            return "overdue"
        if due_at <= threshold:
            return "due_soon"
        return "on_time"

    return status


def soon_threshold(now: datetime, calendar: WorkingCalendar, policy: WorkdayPolicy) -> datetime:
    """Due times up to this moment count as due soon: close of business N working days ahead."""
    today = now.astimezone(policy.zone).date()
    day = calendar.add_working_days(today, policy.due_soon_working_days)
    return datetime.combine(day, policy.close_of_business, tzinfo=policy.zone).astimezone(UTC)
