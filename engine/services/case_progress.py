"""A case's progress for its page: the state of each BPMN element, the departments that took part, and
the messages the case waits for with whether the reader may record them.

Read from the stored projections (the case row's activity lists, its task rows and its message
subscriptions); nothing here loads a workflow. The case must be visible to the reader
(``engine.views.visible_instance``); who may record a message is ``engine.access.messages``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from engine import access
from engine.access import messages as message_access
from engine.access.cases import task_departments
from engine.actors import Actor
from engine.deadlines import DueJudge
from engine.definitions import DefinitionModel
from engine.errors import Forbidden, NotFound
from engine.persistence.tables import TASK_IS_OPEN, deployment_files, message_subscriptions, process_definitions, tasks
from engine.results import CaseProgress, ElementState, WaitingMessageView

LIVE_CASE_STATES = ("running", "error")


def progress(connection: Connection, actor: Actor, case: Mapping[str, Any], judge: DueJudge) -> CaseProgress:
    """Each element the case has reached: ``overdue`` (an open step past its deadline), ``active`` (open
    or waiting now) or ``completed``; an element that is both done and open again (a loop) is open."""
    live = case["state"] in LIVE_CASE_STATES
    done = json.loads(case["completed_activities_json"])
    states: dict[str, ElementState] = {element_id: ElementState(element_id, "completed") for element_id in done}
    if live:
        for element_id in json.loads(case["active_activities_json"]):
            states[element_id] = ElementState(element_id, "active")
        open_steps = connection.execute(
            select(tasks.c.activity_id, tasks.c.department_code, tasks.c.due_at)
            .where(tasks.c.instance_id == case["id"])
            .where(tasks.c.kind == "user")
            .where(TASK_IS_OPEN)
            .order_by(tasks.c.due_at.is_(None), tasks.c.due_at, tasks.c.created_at)
        ).all()
        for step in open_steps:
            earlier = states.get(step.activity_id)
            if earlier is not None and earlier.department is not None:
                continue  # the most urgent opening of the element speaks for it
            status = judge(step.due_at)
            states[step.activity_id] = ElementState(
                step.activity_id,
                "overdue" if status == "overdue" else "active",
                department=step.department_code,
                due_at=step.due_at,
                due_status=status,
            )
    owner = case["department_code"]
    involved = [owner] if owner is not None else []
    involved += sorted(code for code in task_departments(connection, case["id"]) if code != owner)
    return CaseProgress(
        instance_id=case["id"],
        definition_id=case["definition_id"],
        state=case["state"],
        elements=tuple(states.values()),
        departments=tuple(involved),
        may_repair=_may_repair(actor, case["department_code"]),
    )


def _may_repair(actor: Actor, department: str | None) -> bool:
    """``engine.access.require_case_supervisor`` as a yes or no, so a page offers only what would be accepted."""
    try:
        access.require_case_supervisor(actor, department=department)
    except Forbidden:
        return False
    return True


def waiting_messages(connection: Connection, actor: Actor, case: Mapping[str, Any]) -> list[WaitingMessageView]:
    """The messages the case waits for, each with its correlation values (the case's own), the JSON Schema
    of its payload (the process's ``payloadJsonSchemaFilename``, else one asking for the correlation
    values and allowing more fields) and whether ``actor`` may record it."""
    if case["state"] not in LIVE_CASE_STATES:
        return []
    rows = connection.execute(
        select(message_subscriptions.c.message_name, message_subscriptions.c.correlations_json)
        .where(message_subscriptions.c.instance_id == case["id"])
        .order_by(message_subscriptions.c.message_name, message_subscriptions.c.task_id)
    ).all()
    if not rows:
        return []
    model = DefinitionModel.from_json(
        connection.execute(
            select(process_definitions.c.model_json).where(process_definitions.c.id == case["definition_id"])
        ).scalar_one()
    )
    may_send = message_access.can_record_message(
        actor, department=case["department_code"], task_departments=task_departments(connection, case["id"])
    )
    views: list[WaitingMessageView] = []
    for row in rows:
        correlation = json.loads(row.correlations_json)
        declared = model.message_schema(row.message_name)
        views.append(
            WaitingMessageView(
                name=row.message_name,
                correlation=correlation,
                payload_schema=(
                    _with_case_values(declared, correlation) if declared is not None
                    else _derived_schema(row.message_name, correlation)
                ),
                schema_declared=declared is not None,
                may_send=may_send,
            )
        )
    return views


def _with_case_values(schema: Mapping[str, Any], correlation: Mapping[str, Any]) -> dict[str, Any]:
    """The declared payload schema with the case's own correlation values as the defaults of the fields
    that carry them (a field with a default of its own keeps it), so the form starts with what correlates."""
    offered = copy.deepcopy(dict(schema))
    properties = offered.get("properties")
    if isinstance(properties, dict):
        for key, value in correlation.items():
            field = properties.get(key)
            if isinstance(field, dict) and "default" not in field:
                field["default"] = value
    return offered


def _derived_schema(name: str, correlation: Mapping[str, Any]) -> dict[str, Any]:
    """A payload schema for a message whose process declares none: its correlation values (filled with the
    case's own) and any further text fields."""
    return {
        "type": "object",
        "title": name,
        "properties": {
            key: {"type": _json_type(value), "title": key, "default": value} for key, value in correlation.items()
        },
        "required": list(correlation),
        "additionalProperties": {"type": "string"},
    }


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


def case_diagram(connection: Connection, instance: Mapping[str, Any]) -> bytes:
    """The BPMN file the case runs, as deployed: readable by whoever may see the case (a company sees
    its own case's diagram although the process model itself is not listed to it)."""
    definition = connection.execute(
        select(process_definitions.c.deployment_id, process_definitions.c.source_file)
        .where(process_definitions.c.id == instance["definition_id"])
    ).one()
    content = connection.execute(
        select(deployment_files.c.content)
        .where(deployment_files.c.deployment_id == definition.deployment_id)
        .where(deployment_files.c.name == definition.source_file)
    ).scalar()
    if content is None:
        raise NotFound("the case's process file is missing", code="definition_not_found")
    return bytes(content)
