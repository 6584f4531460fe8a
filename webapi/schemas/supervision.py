"""Schemas of supervision (督办): deadlines, reassignment, sending back, notifications, the calendar."""

from __future__ import annotations

from datetime import datetime

import marshmallow as ma
from marshmallow import fields, validate

from webapi.schemas.common import ListArgs, sort_field, text

# Times a client may name: far enough from datetime's limits that any zone conversion stays in range.
EARLIEST_YEAR = 1900
LATEST_YEAR = 9000
MAX_IDS = 1000


def _in_range(value: datetime) -> None:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ma.ValidationError(f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}")


def _reason() -> fields.String:
    return text(2000, required=True, metadata={"description": "why; kept in the case's history"})


class DeadlineSchema(ma.Schema):
    due_at = fields.DateTime(required=True, validate=_in_range,
                             metadata={"description": "the new deadline, ISO 8601 with a zone, in the future"})
    reason = _reason()


class AssignSchema(ma.Schema):
    user_id = fields.UUID(allow_none=True, metadata={"description": "give the task to this person"})
    department = text(64, allow_none=True, metadata={
        "description": "open it in this department (code); with `user_id`, the person's department"})
    reason = _reason()


class SendBackSchema(ma.Schema):
    reason = _reason()


class MarkSentSchema(ma.Schema):
    ids = fields.List(fields.UUID(), required=True, validate=validate.Length(max=MAX_IDS),
                      metadata={"description": f"notification ids (at most {MAX_IDS})"})


class MarkedSchema(ma.Schema):
    marked = fields.Integer(metadata={"description": "how many were newly marked as sent"})


class CalendarQuerySchema(ListArgs):
    sort = sort_field(("day",), "day")


class CalendarDaySetSchema(ma.Schema):
    working = fields.Boolean(required=True, metadata={"description": "true: a working day; false: closed"})
    note = text(200, required=True, metadata={"description": "what the day is (e.g. 园区停电检修)"})


class CalendarDaySchema(ma.Schema):
    day = fields.Date()
    working = fields.Boolean()
    note = fields.String()
