"""The park's working-day overrides (admin-managed): closed days and make-up working days."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from engine import access
from engine.actors import Actor
from engine.commands.calendar import RemoveCalendarDay, SetCalendarDay
from engine.errors import InvalidInput, Problem
from engine.persistence.tables import calendar_overrides
from engine.results import CalendarDayView

if TYPE_CHECKING:
    from engine.core import ProcessEngine


class CalendarService:
    def __init__(self, engine: ProcessEngine) -> None:
        self._engine = engine

    def overrides(self, actor: Actor) -> list[CalendarDayView]:
        def run(connection: Connection) -> list[CalendarDayView]:
            rows = connection.execute(select(calendar_overrides).order_by(calendar_overrides.c.day)).mappings()
            return [CalendarDayView(r["day"], bool(r["working"]), r["note"]) for r in rows]

        return self._engine.query(run)

    def set_day(self, actor: Actor, day: date, *, working: bool, note: str | None) -> CalendarDayView:
        """Declare ``day`` a working day or a closed day, overriding the national calendar."""
        access.require_role(actor, "admin")
        if not note or not note.strip():
            raise InvalidInput(
                "say what the day is", problems=[Problem("required", "a note is required", field="/note")]
            )

        if len(note.strip()) > 200:
            raise InvalidInput(
                "the note is too long", problems=[Problem("max_length", "at most 200 characters", field="/note")]
            )

        result = self._engine.execute(SetCalendarDay(actor=actor, day=day, working=working, note=note.strip()))
        self._engine.calendar.invalidate()
        return result

    def remove_day(self, actor: Actor, day: date) -> None:
        access.require_role(actor, "admin")

        self._engine.execute(RemoveCalendarDay(actor=actor, day=day))
        self._engine.calendar.invalidate()
