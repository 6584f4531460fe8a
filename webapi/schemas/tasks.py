"""Schemas of tasks (department staff)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from engine.vocabulary import DUE_STATUSES, TASK_STATES
from engine.vocabulary import TASK_SORT_FIELDS as TASK_SORTABLE
from webapi.schemas.common import ListArgs, sort_field, text


class TaskQuerySchema(ListArgs):
    state = fields.String(validate=validate.OneOf(TASK_STATES))
    department = text(64, metadata={"description": "department code"})
    assignee = text(64, metadata={"description": "a user id, or `me`"})
    instance_id = fields.UUID()
    due_status = fields.String(validate=validate.OneOf(DUE_STATUSES),
                               metadata={"description": "open tasks that are on time, due soon or overdue"})
    sort = sort_field(TASK_SORTABLE, "-created_at")


class CompleteSchema(ma.Schema):
    data = fields.Dict(keys=fields.String(), load_default=dict,
                       metadata={"description": "form data, validated against the task's form"})


class TaskSummarySchema(ma.Schema):
    id = fields.String()
    name = fields.String(allow_none=True)
    activity_id = fields.String()
    department = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    state = fields.String()
    due_at = fields.DateTime(allow_none=True)
    due_status = fields.String(allow_none=True, metadata={
        "description": "`on_time`, `due_soon` or `overdue` while open; null without a deadline or once done"})
    kind = fields.String(metadata={"description": "`user` (a step of the process) or `escalation` (督办)"})


class TaskSchema(TaskSummarySchema):
    instance_id = fields.String()
    process_key = fields.String()
    business_key = fields.String(allow_none=True)
    created_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    acting_for = fields.String(allow_none=True)
    instructions = fields.String(allow_none=True)
    form = fields.Dict(allow_none=True, metadata={"description": "the form's JSON Schema"})
    data = fields.Dict()
    original_due_at = fields.DateTime(allow_none=True, metadata={"description": "the deadline before extensions"})
    deadline_warning = fields.String(allow_none=True, metadata={
        "description": "set when the deadline falls in a year whose official holidays are not known yet"})


class CompletionSchema(ma.Schema):
    task = fields.Nested(TaskSchema)
    case_state = fields.String()
    open_tasks = fields.List(fields.Nested(TaskSummarySchema),
                             metadata={"description": "the case's open tasks the caller may see"})
