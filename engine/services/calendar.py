"""The park's working-day overrides (admin-managed): closed days and make-up working days."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, insert, select

from engine import access
from engine.actors import Actor
from engine.casework import CaseWork
from engine.errors import InvalidInput, NotFound, Problem
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

        def act(work: CaseWork) -> CalendarDayView:
            work.connection.execute(delete(calendar_overrides).where(calendar_overrides.c.day == day))
            work.connection.execute(
                insert(calendar_overrides).values(day=day, working=working, note=note.strip(), created_at=work.now)
            )
            work.record(
                action="calendar.day_set",
                details={"day": day.isoformat(), "working": working, "note": note.strip()},
            )
            return CalendarDayView(day, working, note.strip())

        result = self._engine.command(actor, act)
        self._engine.calendar.invalidate()
        return result

    def remove_day(self, actor: Actor, day: date) -> None:
        access.require_role(actor, "admin")

        def act(work: CaseWork) -> None:
            removed = work.connection.execute(delete(calendar_overrides).where(calendar_overrides.c.day == day))
            if removed.rowcount == 0:
                raise NotFound(f"no override for {day.isoformat()}", code="calendar_day_not_found")
            work.record(
                action="calendar.day_removed",
                details={"day": day.isoformat()},
            )

        self._engine.command(actor, act)
        self._engine.calendar.invalidate()
