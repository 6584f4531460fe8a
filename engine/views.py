"""Turn stored rows into the result dataclasses, applying what the caller may see."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, bindparam, or_, select

from engine import case_progress
from engine.access import applicant_data
from engine.access import cases as case_access
from engine.access import tasks as task_access
from engine.actors import Actor
from engine.deadlines import DueJudge
from engine.definitions import DefinitionModel
from engine.errors import InvalidInput, NotFound, Problem
from engine.instructions import NON_BLOCKING_INCIDENTS
from engine.persistence.tables import (
    TASK_IS_OPEN,
    audit_events,
    incidents,
    process_definitions,
    process_instances,
    tasks,
    users,
)
from engine.results import IncidentView, InstanceView, SentBackView, TaskSummary, TaskView
from engine.vocabulary import OPEN_TASK_STATES as OPEN_STATES


def visible_instance(connection: Connection, actor: Actor, instance_id: str) -> dict[str, Any]:
    """The case row if the actor may see it (``engine.access.cases``); otherwise "not found", whether it
    exists or not."""
    row = connection.execute(select(process_instances).where(process_instances.c.id == instance_id)).mappings().first()
    if row is None or not case_access.can_see_case_row(connection, actor, row):
        raise NotFound(f"case {instance_id} does not exist", code="case_not_found")
    return dict(row)


def visible_task(connection: Connection, actor: Actor, task_id: str) -> dict[str, Any]:
    """The task row if the actor may see it (``engine.access.tasks``); otherwise "not found"."""
    row = connection.execute(select(tasks).where(tasks.c.id == task_id)).mappings().first()
    if row is None or not task_access.can_see_task_row(connection, actor, row):
        raise NotFound(f"task {task_id} does not exist", code="task_not_found")
    return dict(row)


# The built-in form of a 督办 (escalation) task: what the supervisor did about the overdue step.
ESCALATION_FORM: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "督办 supervision of an overdue step",
    "type": "object",
    "required": ["action", "comment"],
    "additionalProperties": False,
    "properties": {
        "action": {
            "type": "string",
            "enum": ["extended", "reassigned", "urged", "no_action"],
            "description": "what was done: deadline extended, reassigned, the department urged, or nothing",
        },
        "comment": {"type": "string", "minLength": 1, "maxLength": 2000},
    },
}


def _no_judge(_due: Any) -> None:
    return None


@functools.cache
def summary_select() -> Select[Any]:
    """Task rows with their case's number, keys and process name: one joined query for a whole list,
    so an inbox says which case and company each task belongs to without a request per task.

    Built once (about 0.5 ms a time on the request path): a Select is immutable, callers derive
    their own with ``.where`` and the like."""
    return select(
        tasks,
        process_instances.c.number.label("case_number"),
        process_instances.c.business_key,
        process_instances.c.process_key,
        process_definitions.c.name.label("process_name"),
    ).select_from(
        tasks.join(process_instances, process_instances.c.id == tasks.c.instance_id).join(
            process_definitions, process_definitions.c.id == process_instances.c.definition_id
        )
    )


def summary(row: Mapping[Any, Any], judge: DueJudge = _no_judge) -> TaskSummary:
    """A task summary from a row of :func:`summary_select`."""
    return TaskSummary(
        id=row["id"],
        name=row["name"],
        activity_id=row["activity_id"],
        department=row["department_code"],
        assignee=row["assignee_user_id"],
        state=row["state"],
        due_at=row["due_at"],
        instance_id=row["instance_id"],
        case_number=row["case_number"],
        business_key=row["business_key"],
        process_key=row["process_key"],
        process_name=row["process_name"],
        created_at=row["created_at"],
        due_status=judge(row["due_at"]) if row["state"] in OPEN_STATES else None,
        kind=row["kind"],
    )


def open_tasks(
    connection: Connection, actor: Actor, instance_id: str, judge: DueJudge = _no_judge
) -> tuple[TaskSummary, ...]:
    """The case's open tasks the actor may see, as in their task list."""
    return open_tasks_by_case(connection, actor, [instance_id], judge).get(instance_id, ())


def open_tasks_by_case(
    connection: Connection, actor: Actor, instance_ids: Collection[str], judge: DueJudge = _no_judge
) -> dict[str, tuple[TaskSummary, ...]]:
    """:func:`open_tasks` of each of ``instance_ids`` by case id, oldest first, in one query (missing
    ids have none)."""
    kinds = task_access.visible_branch_kinds(actor)
    if kinds == ():
        return {}
    ids, departments = list(instance_ids), sorted(actor.departments)
    params: dict[str, Any] = {f"v_d{n}": code for n, code in enumerate(departments)}
    params.update(v_case=ids[0] if len(ids) == 1 else ids, v_user=actor.user_id)
    found: dict[str, list[TaskSummary]] = {}
    statement = _open_tasks_statement(kinds, len(ids) == 1, len(departments))
    for row in connection.execute(statement, params).mappings():
        found.setdefault(row["instance_id"], []).append(summary(row, judge))
    return {case_id: tuple(summaries) for case_id, summaries in found.items()}


@functools.lru_cache(maxsize=64)
def _open_tasks_statement(kinds: tuple[str, ...] | None, one_case: bool, departments: int) -> Select[Any]:
    """The open tasks of one case (``v_case``) or of a list of them that an actor with visibility
    ``kinds`` and ``departments`` departments sees (the rule of ``task_access.visible_branch_kinds``),
    over bound parameters: built once per shape, where building it per call was about a tenth of a
    completion's CPU. A completion's one case and the actor's departments are bound one value each:
    an "expanding" list is rendered into the SQL again at every execution (30-50 us each)."""
    case: Any = bindparam("v_case")
    where: list[ColumnElement[bool]] = [
        tasks.c.instance_id == case if one_case else tasks.c.instance_id.in_(bindparam("v_case", expanding=True)),
        TASK_IS_OPEN,
    ]
    if kinds is not None:
        codes: Any = [bindparam(f"v_d{n}") for n in range(departments)]
        user: Any = bindparam("v_user")
        where.append(or_(*(task_access.branch_clause(kind, codes, user) for kind in kinds)))
    return summary_select().where(*where).order_by(tasks.c.created_at, tasks.c.activity_id, tasks.c.id)


def incident_view(row: Mapping[Any, Any], shown: frozenset[str] | None = None) -> IncidentView:
    """An incident; its data only with the variables ``shown`` to the reader (None: all)."""
    data = json.loads(row["data_json"]) if row["data_json"] else None
    return IncidentView(
        id=row["id"],
        instance_id=row["instance_id"],
        task_id=row["task_id"],
        element_id=row["element_id"],
        code=row["code"],
        message=row["message"],
        line=row["line"],
        data=applicant_data.only_shown(data, shown) if isinstance(data, dict) else data,
        created_at=row["created_at"],
        resolved_at=row["resolved_at"],
        blocking=row["code"] not in NON_BLOCKING_INCIDENTS,
    )


def instance_view(
    connection: Connection, actor: Actor, row: Mapping[Any, Any], judge: DueJudge = _no_judge
) -> InstanceView:
    """A case as the actor sees it (see :func:`instance_views`)."""
    return instance_views(connection, actor, [row], judge)[0]


def instance_views(
    connection: Connection, actor: Actor, rows: Sequence[Mapping[Any, Any]], judge: DueJudge = _no_judge
) -> tuple[InstanceView, ...]:
    """The cases of ``rows`` as the actor sees them, in their order: each with its process version, its
    owner's name, its incidents, its open tasks the actor may see and its current steps, and only the
    variables an applicant may read.

    Built for a whole list page at once: one query each for the definitions, the owners, the incidents,
    the open tasks, the current steps (and an applicant's submissions) over all the rows, so a page
    costs the same few statements whatever its size."""
    if not rows:
        return ()
    ids = [row["id"] for row in rows]
    restricted = applicant_data.is_restricted(actor)
    definitions = _definition_labels(connection, {row["definition_id"] for row in rows})
    owner_ids = {row["owner_user_id"] for row in rows if row["owner_user_id"] is not None}
    owners: dict[str, str] = (
        {user_id: username for user_id, username in connection.execute(_OWNERS, {"ids": list(owner_ids)}).all()}
        if owner_ids
        else {}
    )
    case_incidents: dict[str, list[Mapping[Any, Any]]] = {}
    for incident in connection.execute(_INCIDENTS, {"ids": ids}).mappings():
        case_incidents.setdefault(incident["instance_id"], []).append(incident)
    models = _definition_models(connection, set(definitions)) if restricted else {}
    shown = applicant_data.shown_names_by_case(connection, actor, rows, models)  # None: everything
    tasks_by_case = open_tasks_by_case(connection, actor, ids, judge)
    steps = case_progress.current_steps_by_case(connection, rows, judge)
    views = []
    for row in rows:
        definition = definitions[row["definition_id"]]
        case_id = row["id"]
        owner = owners.get(row["owner_user_id"]) if row["owner_user_id"] is not None else None
        views.append(
            InstanceView(
                id=case_id,
                number=row["number"],
                key=row["process_key"],
                version=definition[0],
                definition_id=row["definition_id"],
                business_key=row["business_key"],
                owner_user_id=row["owner_user_id"],
                owner_username=owner or ("system" if row["owner_user_id"] is None else None),
                department=row["department_code"],
                applicant_id=row["applicant_user_id"],
                state=row["state"],
                variables=applicant_data.only_shown(json.loads(row["variables_json"]), shown[case_id]),
                open_tasks=tasks_by_case.get(case_id, ()),
                completed_activities=tuple(json.loads(row["completed_activities_json"])),
                active_activities=tuple(json.loads(row["active_activities_json"])),
                incidents=tuple(incident_view(i, shown[case_id]) for i in case_incidents.get(case_id, ())),
                started_at=row["started_at"],
                ended_at=row["ended_at"],
                row_version=row["row_version"],
                due_at=row["due_at"],
                due_status=judge(row["due_at"]) if row["state"] in ("running", "error") else None,
                original_due_at=row["original_due_at"],
                process_name=definition[1],
                current_steps=steps.get(case_id, ()),
            )
        )
    return tuple(views)


# Built once (bound lists): building these per call cost about a tenth of a started case's CPU.
_OWNERS = select(users.c.id, users.c.username).where(users.c.id.in_(bindparam("ids", expanding=True)))
_INCIDENTS = (
    select(incidents)
    .where(incidents.c.instance_id.in_(bindparam("ids", expanding=True)))
    .order_by(incidents.c.created_at, incidents.c.id)
)
_DEFINITION_LABELS = select(process_definitions.c.id, process_definitions.c.version, process_definitions.c.name).where(
    process_definitions.c.id.in_(bindparam("ids", expanding=True))
)
_DEFINITION_MODELS = select(process_definitions.c.id, process_definitions.c.model_json).where(
    process_definitions.c.id.in_(bindparam("ids", expanding=True))
)
_LABELS: dict[str, tuple[int, str | None]] = {}  # definition id -> (version, name); versions never change


def _definition_labels(connection: Connection, definition_ids: Collection[str]) -> dict[str, tuple[int, str | None]]:
    """Each process version's number and name by definition id (one query for those not cached yet:
    a deployed version is never changed or removed, so the cache holds for the life of the process)."""
    missing = [d for d in definition_ids if d not in _LABELS]
    if missing:
        if len(_LABELS) + len(missing) > 4096:
            _LABELS.clear()
            missing = list(definition_ids)
        for definition_id, version, name in connection.execute(_DEFINITION_LABELS, {"ids": missing}).all():
            _LABELS[definition_id] = (version, name)
    return {definition_id: _LABELS[definition_id] for definition_id in definition_ids}


def _definition_models(connection: Connection, definition_ids: Collection[str]) -> dict[str, DefinitionModel]:
    """The models of some process versions (an applicant's view needs which variables it may read)."""
    found = connection.execute(_DEFINITION_MODELS, {"ids": list(definition_ids)}).all()
    return {definition_id: DefinitionModel.from_json(model_json) for definition_id, model_json in found}


def task_view(
    row: Mapping[Any, Any],
    instance: Mapping[Any, Any],
    model: DefinitionModel,
    judge: DueJudge = _no_judge,
    warning: Callable[[datetime | None], str | None] = _no_judge,
    render: Callable[[str | None, Mapping[str, Any]], str | None] | None = None,
    sent_back: SentBackView | None = None,
    shown: frozenset[str] | None = None,
) -> TaskView:
    """A task as its reader sees it; ``render`` renders the instructions (None: leave them out, for views
    built inside a write transaction and rendered after the commit). ``shown``: the only variables an
    applicant reader may see, in the data and in the rendered instructions (None: all)."""
    data = applicant_data.only_shown(json.loads(row["submitted_json"] or row["data_json"] or "{}"), shown)
    case_data = applicant_data.only_shown(json.loads(row["data_json"] or "{}"), shown)
    escalation = row["kind"] == "escalation"
    user_task = None if escalation else model.user_tasks.get(row["activity_id"])
    template = user_task.instructions if user_task is not None else None
    return TaskView(
        id=row["id"],
        name=row["name"],
        activity_id=row["activity_id"],
        instance_id=row["instance_id"],
        case_number=instance["number"],
        process_key=instance["process_key"],
        process_name=model.name,
        business_key=instance["business_key"],
        department=row["department_code"],
        assignee=row["assignee_user_id"],
        state=row["state"],
        created_at=row["created_at"],
        due_at=row["due_at"],
        ended_at=row["ended_at"],
        completed_by=row["completed_by"],
        acting_for=row["acting_for"],
        instructions=render(template, case_data) if render is not None else None,
        form=ESCALATION_FORM if escalation else model.form_for(row["activity_id"]),
        data=data,
        due_status=judge(row["due_at"]) if row["state"] in OPEN_STATES else None,
        original_due_at=row["original_due_at"],
        deadline_warning=warning(row["due_at"]),
        kind=row["kind"],
        sent_back=sent_back,
        send_back_to=((user_task.properties.get("sendBackTo") or "").strip() or None) if user_task else None,
    )


def sent_back_to(connection: Connection, row: Mapping[Any, Any]) -> SentBackView | None:
    """The send-back that reopened this task, if its current opening came from one (read from the audit)."""
    if row["kind"] != "user" or row["state"] not in OPEN_STATES:
        return None
    events = connection.execute(
        select(audit_events.c.at, audit_events.c.actor_user_id, audit_events.c.actor_name, audit_events.c.details)
        .where(
            audit_events.c.instance_id == row["instance_id"],
            audit_events.c.action == "task.sent_back",
            audit_events.c.at >= row["created_at"],
        )
        .order_by(audit_events.c.id.desc())
    ).all()
    for event in events:
        details = event.details or {}
        if details.get("to") == row["activity_id"]:
            return SentBackView(
                reason=str(details.get("reason") or ""),
                by=event.actor_user_id,
                by_username=event.actor_name,
                at=event.at,
                from_activity_id=details.get("from"),
            )
    return None


def order_by(table: Any, sort: str, allowed: Collection[str], aliases: Mapping[str, str] | None = None) -> Any:
    """``field`` or ``-field`` as an ORDER BY clause; InvalidInput naming /sort for anything else."""
    field = sort.lstrip("-")
    if field not in allowed:
        raise InvalidInput(
            f"cannot sort by '{field}'",
            problems=[Problem("enum", "one of " + ", ".join(sorted(allowed)), field="/sort")],
        )
    column = table.c[(aliases or {}).get(field, field)]
    return column.desc() if sort.startswith("-") else column.asc()


def require_choice(value: str | None, choices: Collection[str], field: str) -> None:
    """InvalidInput naming ``field`` unless ``value`` is None or one of ``choices``."""
    if value is not None and value not in choices:
        raise InvalidInput(
            f"unknown {field.strip('/').replace('_', ' ')} '{value}'",
            problems=[Problem("enum", "one of " + ", ".join(choices), field=field)],
        )


def require_reason(reason: str | None) -> str:
    """The stripped reason of a supervisory action; InvalidInput naming /reason when it is missing or blank."""
    if not reason or not reason.strip():
        raise InvalidInput("say why", problems=[Problem("required", "a reason is required", field="/reason")])
    return reason.strip()


def paginate(items: Sequence[Any], page: int, page_size: int) -> tuple[Any, ...]:
    start = (page - 1) * page_size
    return tuple(items[start : start + page_size])
