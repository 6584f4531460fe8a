"""Schemas of tasks (department staff)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from engine.vocabulary import DUE_STATUSES, TASK_STATES
from engine.vocabulary import TASK_SORT_FIELDS as TASK_SORTABLE
from webapi.schemas.common import ListArgs, local_twin, sort_field, text


class TaskQuerySchema(ListArgs):
    state = fields.String(validate=validate.OneOf(TASK_STATES))
    department = text(64, metadata={"description": "department code"})
    assignee = text(64, metadata={"description": "a user id, or `me`"})
    instance_id = fields.UUID()
    due_status = fields.String(validate=validate.OneOf(DUE_STATUSES),
                               metadata={"description": "open tasks that are on time, due soon or overdue"})
    process_key = text(255, metadata={"description": "the tasks of cases of this process"})
    inbox = fields.Boolean(metadata={
        "description": "only the caller's inbox: the open steps of their departments and the steps they claimed"})
    sort = sort_field(TASK_SORTABLE, "-created_at")


class InboxCountsQuerySchema(ma.Schema):
    process_key = text(255, metadata={"description": "count only the tasks of cases of this process"})


class InboxCountsSchema(ma.Schema):
    all = fields.Integer(metadata={"description": "every task of the inbox"})
    open = fields.Integer(metadata={"description": "open steps of the caller's departments, not yet claimed"})
    mine = fields.Integer(metadata={"description": "steps the caller claimed"})
    due_soon = fields.Integer()
    overdue = fields.Integer()
    capped = fields.Boolean(metadata={"description": "a count stopped at the list cap: read it as \"at least\""})


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
    due_at_local = local_twin("due_at")
    due_status = fields.String(allow_none=True, metadata={
        "description": "`on_time`, `due_soon` or `overdue` while open; null without a deadline or once done"})
    kind = fields.String(metadata={"description": "`user` (a step of the process) or `escalation` (督办)"})
    instance_id = fields.String(metadata={"description": "the case this task belongs to"})
    case_number = fields.String(metadata={"description": "the case's number, e.g. `WT-2026-000001`"})
    business_key = fields.String(allow_none=True, metadata={"description": "the case's business key"})
    process_key = fields.String()
    process_name = fields.String(allow_none=True, metadata={"description": "the process's name"})
    created_at = fields.DateTime(metadata={"description": "when the task opened"})
    created_at_local = local_twin("created_at")


class SentBackSchema(ma.Schema):
    reason = fields.String()
    by = fields.String(allow_none=True, metadata={"description": "the user id of who sent the step back"})
    by_username = fields.String()
    at = fields.DateTime()
    at_local = local_twin("at")
    from_activity_id = fields.String(allow_none=True, metadata={"description": "the step it was sent back from"})


class TaskSchema(TaskSummarySchema):
    ended_at = fields.DateTime(allow_none=True)
    ended_at_local = local_twin("ended_at")
    completed_by = fields.String(allow_none=True)
    acting_for = fields.String(allow_none=True)
    instructions = fields.String(allow_none=True)
    form = fields.Dict(allow_none=True, metadata={"description": "the form's JSON Schema"})
    data = fields.Dict()
    original_due_at = fields.DateTime(allow_none=True, metadata={"description": "the deadline before extensions"})
    original_due_at_local = local_twin("original_due_at")
    deadline_warning = fields.String(allow_none=True, metadata={
        "description": "set when the deadline falls in a year whose official holidays are not known yet"})
    sent_back = fields.Nested(SentBackSchema, allow_none=True, metadata={
        "description": "on a step reopened by a send-back (退回): why, by whom and when; null otherwise"})
    send_back_to = fields.String(allow_none=True, metadata={
        "description": "the earlier step (element id) a supervisor may send this step back to "
                       "(the process's `sendBackTo`); null when the process allows no send-back"})


class CompletionSchema(ma.Schema):
    task = fields.Nested(TaskSchema)
    case_state = fields.String()
    open_tasks = fields.List(fields.Nested(TaskSummarySchema),
                             metadata={"description": "the case's open tasks the caller may see"})
