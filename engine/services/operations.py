"""Operational figures for monitoring (``/metrics``): open tasks per department and the work due
for the timer worker, read at scrape time with a few grouped, indexed SQL counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select

from engine.persistence.tables import TASK_IS_OPEN, tasks, timers

if TYPE_CHECKING:
    from engine.core import ProcessEngine


@dataclass(frozen=True)
class DueWork:
    """Rows past their due time that the worker has not handled yet, and the oldest one's due time."""

    count: int
    oldest_due_at: datetime | None


@dataclass(frozen=True)
class OperationalFigures:
    """What a monitoring scrape shows about the database: the system's own numbers, no case data."""

    taken_at: datetime
    open_tasks_by_department: dict[str, int]  # "" for tasks without a department
    timers_due: DueWork
    escalations_due: DueWork


class OperationsService:
    """Figures for operators; no actor, because only the metrics endpoint (with its own token) asks."""

    def __init__(self, engine: ProcessEngine) -> None:
        self._engine = engine

    def figures(self) -> OperationalFigures:
        """One read transaction: open tasks grouped by department, due timers, due escalations."""
        now = self._engine.clock.now()

        def read(connection: Connection) -> OperationalFigures:
            by_department = {
                str(code or ""): int(count)
                for code, count in connection.execute(
                    select(tasks.c.department_code, func.count())
                    .where(TASK_IS_OPEN)
                    .group_by(tasks.c.department_code)
                )
            }
            timer_row = connection.execute(
                select(func.count(), func.min(timers.c.due_at)).where(timers.c.due_at <= now)
            ).one()
            escalation_row = connection.execute(
                select(func.count(), func.min(tasks.c.due_at)).where(
                    TASK_IS_OPEN,
                    tasks.c.kind == "user",
                    tasks.c.escalated_at.is_(None),
                    tasks.c.due_at <= now,
                )
            ).one()
            return OperationalFigures(
                taken_at=now,
                open_tasks_by_department=by_department,
                timers_due=DueWork(int(timer_row[0]), timer_row[1]),
                escalations_due=DueWork(int(escalation_row[0]), escalation_row[1]),
            )

        return self._engine.query(read)
