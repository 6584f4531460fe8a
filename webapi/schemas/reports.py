"""Schemas of the ledger (``GET /ledger``) and the figures (``/reports/*``)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from engine.ledger import ENDED_HOW
from engine.points import DEFAULT_RULES, POINT_LIMIT
from engine.services.ledger_list import LEDGER_SORT_FIELDS
from engine.vocabulary import CASE_STATES, DUE_STATUSES
from webapi.schemas.common import ListArgs, local_twin, sort_field, text

LEDGER_FORMATS = ("csv", "xlsx")


def _day(description: str, data_key: str | None = None) -> fields.Date:
    return fields.Date(data_key=data_key, metadata={"description": description + " (local date, YYYY-MM-DD, included)"})


class ReportQuerySchema(ma.Schema):
    from_ = _day("cases received (started) on or after; in /reports/departments and /reports/people, "
                 "task instances completed on or after", data_key="from")
    to = _day("cases received on or before; in the departments' and people's reports, task instances "
              "completed on or before")
    process = text(255, metadata={"description": "a process key"})
    department = text(64, metadata={"description": "the case's department (lead, else owning)"})
    category = text(255)


class LedgerQuerySchema(ListArgs):
    format = fields.String(validate=validate.OneOf(LEDGER_FORMATS), metadata={
        "description": "`csv` or `xlsx`: every matching row (at most 50,000) as a download"})
    sort = sort_field(LEDGER_SORT_FIELDS, "-started_at")
    number = text(32)
    business_key = text(255)
    process = text(255, attribute="process_key", metadata={"description": "a process key"})
    department = text(64, attribute="department_code", metadata={"description": "lead, else owning department"})
    owner_department = text(64, attribute="owner_department_code")
    step_department = text(64, metadata={"description": "a department with a current step"})
    company = text(255)
    credit_code = text(255)
    category = text(255)
    outcome = text(255)
    state = fields.String(validate=validate.OneOf(CASE_STATES))
    ended_how = fields.String(validate=validate.OneOf(ENDED_HOW))
    accepted = fields.Boolean()
    closed = fields.Boolean()
    satisfaction = fields.Integer(validate=validate.Range(min=1, max=5))
    due_status = fields.String(validate=validate.OneOf(DUE_STATUSES), metadata={"description": "open cases only"})
    from_ = _day("received (started) on or after", data_key="from")
    to = _day("received on or before")
    ended_from = _day("ended on or after")
    ended_to = _day("ended on or before")
    due_from = _day("due on or after")
    due_to = _day("due on or before")
    handled_by = text(255, metadata={
        "description": "a username: the cases in which that user completed a step (the task instances "
        "`/reports/people` counts); an unknown user matches nothing"})
    handled_by_department = text(64, metadata={
        "description": "a department code: the cases in which it completed a step (the task instances "
        "`/reports/departments` counts)"})
    handled_from = _day("with a step completed on or after (with `handled_by*`: that step)")
    handled_to = _day("with a step completed on or before")


class LedgerRowSchema(ma.Schema):
    instance_id = fields.String()
    number = fields.String()
    business_key = fields.String(allow_none=True)
    process_key = fields.String()
    company = fields.String(allow_none=True)
    credit_code = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    department_code = fields.String(allow_none=True, metadata={"description": "lead, else owning department"})
    owner_department_code = fields.String(allow_none=True)
    current_steps = fields.List(fields.String())
    current_departments = fields.List(fields.String())
    state = fields.String()
    ended_how = fields.String(allow_none=True, metadata={"description": "completed, terminated or cancelled"})
    accepted = fields.Boolean()
    closed = fields.Boolean()
    satisfaction = fields.Integer(allow_none=True)
    started_at = fields.DateTime()
    started_at_local = local_twin("started_at")
    ended_at = fields.DateTime(allow_none=True)
    ended_at_local = local_twin("ended_at")
    due_at = fields.DateTime(allow_none=True)
    due_at_local = local_twin("due_at")
    original_due_at = fields.DateTime(allow_none=True)
    due_status = fields.String(allow_none=True)
    age_working_days = fields.Integer(allow_none=True, metadata={"description": "open: working days so far"})
    handling_days = fields.Integer(allow_none=True, metadata={"description": "ended: working days taken"})
    on_time = fields.Boolean(allow_none=True)
    on_time_original = fields.Boolean(allow_none=True)
    extras = fields.Dict(metadata={"description": "the process's own ledger columns"})


class RateSchema(ma.Schema):
    numerator = fields.Integer()
    denominator = fields.Integer()
    fraction = fields.Float(allow_none=True)
    percent = fields.Float(allow_none=True, metadata={"description": "rounded to one decimal"})


class FiguresSchema(ma.Schema):
    received = fields.Integer()
    accepted = fields.Integer()
    closed = fields.Integer()
    open = fields.Integer()
    cancelled = fields.Integer()
    terminated = fields.Integer()
    closed_no_limit = fields.Integer()
    acceptance_rate = fields.Nested(RateSchema)
    closure_rate = fields.Nested(RateSchema)
    on_time_closure_rate = fields.Nested(RateSchema)
    on_time_closure_rate_original = fields.Nested(RateSchema)
    handling_days_median = fields.Integer(allow_none=True)
    handling_days_p90 = fields.Integer(allow_none=True)
    satisfaction_average = fields.Float(allow_none=True)
    rated = fields.Integer()


class GroupFiguresSchema(FiguresSchema):
    key = fields.String(allow_none=True)


class MonthSchema(ma.Schema):
    month = fields.String()
    received = fields.Integer()
    accepted = fields.Integer()
    closed = fields.Integer()
    closed_on_time = fields.Integer()


class FiltersSchema(ma.Schema):
    from_ = fields.String(allow_none=True, attribute="from", data_key="from")
    to = fields.String(allow_none=True)
    process = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    category = fields.String(allow_none=True)


class SummarySchema(FiguresSchema):
    filters = fields.Nested(FiltersSchema, attribute="filters")
    by_department = fields.List(fields.Nested(GroupFiguresSchema))
    by_category = fields.List(fields.Nested(GroupFiguresSchema))
    by_month = fields.List(fields.Nested(MonthSchema))


def _rule_field(name: str, required: bool) -> fields.Integer:
    return fields.Integer(
        required=required, strict=True, validate=validate.Range(min=-POINT_LIMIT, max=POINT_LIMIT),
        metadata={"description": f"default {DEFAULT_RULES[name]}"},
    )


PointsRulesSchema = ma.Schema.from_dict({name: _rule_field(name, False) for name in DEFAULT_RULES},
                                        name="PointsRulesSchema")


class HandlerSchema(ma.Schema):
    rank = fields.Integer()
    key = fields.String(metadata={"description": "the department code, or the person's user id"})
    name = fields.String(allow_none=True, metadata={"description": "the person's user name"})
    handled = fields.Integer(metadata={"description": "task instances completed in the window"})
    claim_hours_median = fields.Float(allow_none=True)
    complete_hours_median = fields.Float(allow_none=True)
    overdue = fields.Integer()
    overdue_working_days = fields.Integer()
    on_time_rate = fields.Nested(RateSchema)
    escalations = fields.Integer()
    send_backs_received = fields.Integer()
    satisfied = fields.Integer()
    unsatisfied = fields.Integer()
    points = fields.Integer()


class HandlersReportSchema(ma.Schema):
    filters = fields.Nested(FiltersSchema)
    rules = fields.Nested(PointsRulesSchema, metadata={"description": "the points rules in force"})
    rows = fields.List(fields.Nested(HandlerSchema))
