"""The park's working-day overrides on top of the national calendar: anyone reads, admins write."""

from __future__ import annotations

from datetime import date
from typing import Any

from werkzeug.routing import BaseConverter

from engine.errors import InvalidInput, Problem
from webapi.auth import current_actor, current_engine
from webapi.blueprints.common import PAGINATION_HEADERS, documents, page_in_memory, protected_blueprint
from webapi.schemas.supervision import CalendarDaySchema, CalendarDaySetSchema, CalendarQuerySchema

blp = protected_blueprint("calendar", __name__,
                          "Working-day overrides: park closures and make-up working days the national calendar "
                          "does not know yet.")

DAY_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


class DayConverter(BaseConverter):
    """A day in a path, ``YYYY-MM-DD`` (anything else: no route, 404); the view checks it is a real date."""

    regex = DAY_PATTERN


def day_param_schema(_converter: BaseConverter) -> dict[str, Any]:
    return {"type": "string", "format": "date", "pattern": f"^{DAY_PATTERN}$"}


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"'{text}' is not a date",
                           problems=[Problem("format", "not a calendar date (YYYY-MM-DD)", field="/day")]) from None


@blp.route("/calendar/overrides", methods=["GET"])
@blp.arguments(CalendarQuerySchema, location="query")
@blp.response(200, CalendarDaySchema(many=True), headers=PAGINATION_HEADERS)
@documents(blp, 422)
def list_overrides(args: dict[str, Any]) -> Any:
    """Every overridden day, in date order."""
    return page_in_memory(current_engine().calendars.overrides(current_actor()), args)


@blp.route("/calendar/overrides/<day:day>", methods=["PUT"])
@blp.arguments(CalendarDaySetSchema)
@blp.response(200, CalendarDaySchema)
@documents(blp, 403, 422)
def set_override(args: dict[str, Any], day: str) -> Any:
    """Declare a day closed (`working: false`) or a working day (`working: true`), with a note (admins).
    Deadlines computed from now on count it that way."""
    return current_engine().calendars.set_day(current_actor(), _day(day), working=args["working"], note=args["note"])


@blp.route("/calendar/overrides/<day:day>", methods=["DELETE"])
@blp.response(204)
@documents(blp, 403, 404, 422)
def remove_override(day: str) -> tuple[str, int]:
    """Drop a day's override: the national calendar decides again (admins)."""
    current_engine().calendars.remove_day(current_actor(), _day(day))
    return "", 204
