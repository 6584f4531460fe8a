"""Schemas of cases (process instances), incidents and messages (the history: ``webapi.schemas.history``)."""

from __future__ import annotations

import dataclasses
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from engine.vocabulary import CASE_SORT_FIELDS as CASE_SORTABLE
from engine.vocabulary import CASE_STATES
from webapi.schemas.common import MAX_INT, ListArgs, local_twin, sort_field, text
from webapi.schemas.tasks import TaskSummarySchema


class StartSchema(ma.Schema):
    business_key = text(255, allow_none=True)
    variables = fields.Dict(keys=fields.String(), load_default=dict)
    version = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=MAX_INT))
    department = text(64, allow_none=True, metadata={"description": "owning department code"})
    applicant_id = fields.UUID(allow_none=True, metadata={"description": "the applicant the case is for"})


class InstanceQuerySchema(ListArgs):
    state = fields.String(validate=validate.OneOf(CASE_STATES))
    key = text(255)
    business_key = text(255)
    sort = sort_field(CASE_SORTABLE, "-started_at")


class CancelSchema(ma.Schema):
    reason = text(2000, allow_none=True, metadata={"description": "why the case is cancelled (required)"})


class VariablesPatchSchema(ma.Schema):
    set_ = fields.Dict(keys=fields.String(), data_key="set", load_default=dict)
    unset = fields.List(text(255), load_default=list)
    reason = text(2000, required=True)


class IncidentQuerySchema(ListArgs):
    instance_id = fields.UUID()
    include_resolved = fields.Boolean(load_default=False)


class MessageSchema(ma.Schema):
    name = text(255, min_length=1, required=True)
    instance_id = fields.UUID(allow_none=True)
    correlation = fields.Dict(keys=fields.String(), load_default=dict)
    payload = fields.Raw(allow_none=True, load_default=None, metadata={"description": "any JSON value"})


class MessageResultSchema(ma.Schema):
    delivered_to = fields.List(fields.String())


class OwnerSchema(ma.Schema):
    user_id = fields.String(allow_none=True)
    username = fields.String(allow_none=True)


class IncidentSchema(ma.Schema):
    id = fields.String()
    instance_id = fields.String()
    task_id = fields.String(allow_none=True)
    element_id = fields.String(allow_none=True)
    code = fields.String()
    message = fields.String()
    line = fields.Integer(allow_none=True)
    data = fields.Dict(allow_none=True)
    created_at = fields.DateTime()
    created_at_local = local_twin("created_at")
    resolved_at = fields.DateTime(allow_none=True)
    resolved_at_local = local_twin("resolved_at")
    blocking = fields.Boolean(metadata={"description": "false: the incident does not stop the case (template_failed)"})


class CaseStepSchema(ma.Schema):
    name = fields.String(allow_none=True)
    name_en = fields.String(allow_none=True, metadata={"description": "the step's `nameEn`"})
    activity_id = fields.String()
    department = fields.String(allow_none=True, metadata={"description": "the department that has the step"})
    department_name = fields.String(allow_none=True)
    department_name_en = fields.String(allow_none=True)
    since = fields.DateTime(metadata={"description": "when the step opened"})
    since_local = local_twin("since")
    due_at = fields.DateTime(allow_none=True)
    due_at_local = local_twin("due_at")
    due_status = fields.String(allow_none=True)
    with_applicant = fields.Boolean(metadata={"description": "the step waits for the case's company (its "
                                              "`applicant` lane); the company finds it in `open_tasks`"})


class InstanceSchema(ma.Schema):
    id = fields.String()
    number = fields.String()
    key = fields.String()
    version = fields.Integer()
    definition_id = fields.String()
    business_key = fields.String(allow_none=True)
    owner = fields.Nested(OwnerSchema)
    department = fields.String(allow_none=True)
    applicant = fields.String(allow_none=True, metadata={"description": "the applicant's user id"})
    state = fields.String()
    variables = fields.Dict()
    open_tasks = fields.List(fields.Nested(TaskSummarySchema))
    completed_activities = fields.List(fields.String())
    active_activities = fields.List(fields.String())
    incidents = fields.List(fields.Nested(IncidentSchema))
    started_at = fields.DateTime()
    started_at_local = local_twin("started_at")
    ended_at = fields.DateTime(allow_none=True)
    ended_at_local = local_twin("ended_at")
    due_at = fields.DateTime(allow_none=True, metadata={"description": "the case's deadline"})
    due_at_local = local_twin("due_at")
    due_status = fields.String(allow_none=True, metadata={
        "description": "`on_time`, `due_soon` or `overdue` while running; null without a deadline"})
    original_due_at = fields.DateTime(allow_none=True)
    original_due_at_local = local_twin("original_due_at")
    process_name = fields.String(allow_none=True)
    current_steps = fields.List(fields.Nested(CaseStepSchema), metadata={
        "description": "where the case stands: its open steps with their departments, since when and due when, "
                       "for every reader of the case (a company sees which department has its problem)"})

    @ma.pre_dump
    def _shape(self, view: Any, **_: Any) -> dict[str, Any]:
        data = {f.name: getattr(view, f.name) for f in dataclasses.fields(view)}
        data["owner"] = {"user_id": view.owner_user_id, "username": view.owner_username}
        data["applicant"] = view.applicant_id
        return data


class ElementStateSchema(ma.Schema):
    element_id = fields.String(metadata={"description": "the BPMN element's id"})
    state = fields.String(metadata={"description": "`completed`, `active` (open or waiting now) or `overdue`"})
    department = fields.String(allow_none=True, metadata={"description": "an open step's department"})
    due_at = fields.DateTime(allow_none=True, metadata={"description": "the earliest deadline of its open steps"})
    due_at_local = local_twin("due_at")
    due_status = fields.String(allow_none=True)


class CaseProgressSchema(ma.Schema):
    instance_id = fields.String()
    definition_id = fields.String(metadata={"description": "its BPMN file: GET /process-definitions/{id}/xml"})
    state = fields.String()
    elements = fields.List(fields.Nested(ElementStateSchema))
    departments = fields.List(fields.String(), metadata={
        "description": "the owning department first, then every department that has or had a task in the case"})
    may_repair = fields.Boolean(metadata={
        "description": "whether the caller may fix the case's data, retry and cancel it (supervisors of the owning "
        "department, admins)"})


class WaitingMessageSchema(ma.Schema):
    name = fields.String()
    correlation = fields.Dict(metadata={"description": "the case's correlation values for the message"})
    payload_schema = fields.Dict(metadata={"description": "the JSON Schema of the payload"})
    schema_declared = fields.Boolean(metadata={
        "description": "true: the process declares it (payloadJsonSchemaFilename); false: derived from the correlation "
        "values"})
    may_send = fields.Boolean(metadata={"description": "whether the caller may record it with POST /messages"})


class DataChoiceSchema(ma.Schema):
    value = fields.Raw(metadata={"description": "the coded value as stored in the case"})
    title = fields.String(metadata={"description": "the words the form gives it"})


class DataLabelSchema(ma.Schema):
    name = fields.String(metadata={"description": "the variable's name"})
    title = fields.String(metadata={"description": "the title the process's form gives the field"})
    type = fields.String(allow_none=True, metadata={"description": "its JSON Schema type (string, boolean, ...)"})
    format = fields.String(allow_none=True, metadata={"description": "its JSON Schema format (date, date-time, ...)"})
    choices = fields.List(fields.Nested(DataChoiceSchema), metadata={
        "description": "coded values with their titles (oneOf/anyOf const+title, or enum+enumNames)"})
