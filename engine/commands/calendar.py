"""Working-day calendar commands (admins): set or remove a day's override of the national calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, insert

from engine.command_context import CommandContext
from engine.commands.base import Command
from engine.errors import NotFound
from engine.persistence.tables import calendar_overrides
from engine.results import CalendarDayView


@dataclass(frozen=True, kw_only=True)
class SetCalendarDay(Command[CalendarDayView]):
    """Declare ``day`` a working day or a closed day, overriding the national calendar."""

    day: date
    working: bool
    note: str

    def execute(self, work: CommandContext) -> CalendarDayView:
        day = self.day
        work.connection.execute(delete(calendar_overrides).where(calendar_overrides.c.day == day))
        work.connection.execute(
            insert(calendar_overrides).values(day=day, working=self.working, note=self.note, created_at=work.now)
        )
        work.record(
            action="calendar.day_set",
            details={"day": day.isoformat(), "working": self.working, "note": self.note},
        )
        return CalendarDayView(day, self.working, self.note)


@dataclass(frozen=True, kw_only=True)
class RemoveCalendarDay(Command[None]):
    """Drop a day's override: the national calendar applies again."""

    day: date

    def execute(self, work: CommandContext) -> None:
        removed = work.connection.execute(delete(calendar_overrides).where(calendar_overrides.c.day == self.day))
        if removed.rowcount == 0:
            raise NotFound(f"no override for {self.day.isoformat()}", code="calendar_day_not_found")
        work.record(
            action="calendar.day_removed",
            details={"day": self.day.isoformat()},
        )
