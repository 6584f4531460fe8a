"""Read models kept in step with each case inside the command's transaction: open tasks (routed to
departments, with deadlines), waiting timers and message subscriptions."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update

from engine.deadlines import DeadlineSpec
from engine.instructions import TEMPLATE_FAILED, render_instructions
from engine.persistence.tables import TASK_IS_OPEN, departments, incidents, message_subscriptions, tasks, timers
from engine.spiff.cases import Failure, ReadyTask
from engine.spiff.sandbox_budget import COMMAND_BUDGET_SPENT
from engine.spiff.state import dumps
from engine.vocabulary import OPEN_TASK_STATES

if TYPE_CHECKING:
    from engine.command_context import CommandContext, LoadedCase


# Built once, run with a parameter dict (``.values(...)`` per call coerced each column every time).
_INSERT_TASK = insert(tasks)
_OPEN_ROWS = select(
    tasks.c.id, tasks.c.spiff_task_id, tasks.c.activity_id, tasks.c.name, tasks.c.department_code
).where(tasks.c.instance_id == bindparam("instance_id"), tasks.c.kind == "user", TASK_IS_OPEN)

_RESOLVE_TEMPLATE_INCIDENTS = (
    update(incidents)
    .where(incidents.c.instance_id == bindparam("b_instance_id"), incidents.c.code == TEMPLATE_FAILED)
    .where(
        incidents.c.resolved_at.is_(None),
        incidents.c.task_id.not_in(
            select(tasks.c.id).where(tasks.c.instance_id == bindparam("b_instance_id"), TASK_IS_OPEN)
        ),
    )
    .returning(incidents.c.id, incidents.c.task_id)
)

TEMPLATE_INCIDENTS = "template_incidents"
"""``LoadedCase.projected`` key: False while the case never raised a template incident (None: unknown)."""

OpenStep = tuple[str, str | None]
"""An open user task as the ledger shows it: its name (else its activity id) and its department."""

OPEN_ROWS = "open_rows"
"""``LoadedCase.projected`` key: the case's open user-task rows by workflow task id, each (row id, activity
id, name, department), as the command last knew them. Read from the database once per command when
the case came without them; then kept exact by ``sync_tasks`` and by every guarded task write
(``note_task_write``), and carried with the cached case. A cached case is used only at the
``row_version`` it was saved at, and every write to a task row bumps that version (a command that
wrote a task row of a case it did not load moved the case on, so the next command reads them again)."""

OpenRow = tuple[str, str, str | None, str | None]


def open_rows(work: CommandContext, case: LoadedCase) -> dict[str, OpenRow]:
    """The case's open user-task rows by workflow task id (kept, else read once and kept)."""
    if case.projected is None:
        case.projected = {}
    known: dict[str, OpenRow] | None = case.projected.get(OPEN_ROWS)
    if known is None:
        known = {} if case.new else stored_open_rows(work.connection, case.id)
        case.projected[OPEN_ROWS] = known
    return known


def stored_open_rows(connection: Connection, instance_id: str) -> dict[str, OpenRow]:
    """A case's open user-task rows as the database has them, by workflow task id."""
    return {
        row.spiff_task_id: (row.id, row.activity_id, row.name, row.department_code)
        for row in connection.execute(_OPEN_ROWS, {"instance_id": instance_id})
    }


def note_task_write(case: LoadedCase, row: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    """Keep the case's known open rows exact after a guarded write of its task ``row`` in this command:
    a row that left the open states is no longer open; a reassigned one has its new department."""
    known = case.projected.get(OPEN_ROWS) if case.projected is not None else None
    if known is None:
        return
    entry = known.get(row["spiff_task_id"])
    if entry is None or entry[0] != row["id"]:
        return
    state = values.get("state")
    if state is not None and state not in OPEN_TASK_STATES:
        del known[row["spiff_task_id"]]
    elif "department_code" in values:
        known[row["spiff_task_id"]] = (entry[0], entry[1], entry[2], values["department_code"])


def prepare_openings(work: CommandContext, case: LoadedCase) -> None:
    """Evaluate the user expressions of the tasks the case's save will open (``assignDepartment``, a
    deadline expression, the instructions template) now, right after its engine step and before the
    command's first write: on SQLite the write lock is taken at that write, so no user expression holds
    it. Each result is kept with the task data it was computed from and used only if that data is still
    the task's at the save; what the expressions read belongs to the case, whose ``row_version`` the
    save checks under the lock."""
    if case.state_override is not None:
        return
    ready = case.live.ready_user_tasks()
    if not ready:
        return
    already_open = open_rows(work, case)
    for task in ready:
        if task.id in already_open:
            continue
        data = dumps(task.data)
        if case.prepared.get((task.id, "instructions"), ("",))[0] == data:
            continue  # prepared after an earlier step of this command, on the same data
        expression = task.properties.get("assignDepartment")
        if expression:
            case.prepared[(task.id, "assignDepartment")] = (data, *_evaluated(case, task.id, expression))
        spec = DeadlineSpec.from_properties(task.properties)
        if spec is not None and spec.duration is None and spec.expression is not None:
            case.prepared[(task.id, "deadline")] = (data, *_evaluated(case, task.id, spec.expression))
        rendered = render_instructions(task.instructions, task.data, work.engine.config.sandbox)
        case.prepared[(task.id, "instructions")] = (data, "value", rendered)


def _evaluated(case: LoadedCase, task_id: str, expression: str) -> tuple[str, Any]:
    try:
        return "value", case.live.evaluate(task_id, expression)
    except Exception as exc:  # kept, to become the incident the save records
        return "error", exc


def _prepared(case: LoadedCase, task: ReadyTask, what: str) -> tuple[str, Any] | None:
    """What ``prepare_openings`` found for ``task`` if the task's data is still what it was computed from."""
    found = case.prepared.pop((task.id, what), None)
    if found is None or found[0] != dumps(task.data):
        return None
    return found[1], found[2]


def _evaluate(case: LoadedCase, task: ReadyTask, what: str, expression: str) -> Any:
    """The expression's value (prepared before the lock where possible); raises its error."""
    kind, result = _prepared(case, task, what) or _evaluated(case, task.id, expression)
    if kind == "error":
        raise result
    return result


def sync_tasks(work: CommandContext, case: LoadedCase) -> list[OpenStep]:
    """Open a task instance for each new opening of human work (routed, with deadlines); cancel the
    open ones whose workflow task is no longer ready. Returns the case's open user tasks afterwards
    (for the ledger row, which would otherwise read them again).

    Every opening (a loop pass, a multi-instance child, a step reopened by a send-back) is a row of
    its own with its own id; ``spiff_task_id`` names the workflow task. An earlier opening's row is
    never reused, so each round keeps its assignee, data and completion.
    """
    ready = {task.id: task for task in case.live.ready_user_tasks()} if case.state_override is None else {}
    known = open_rows(work, case)
    steps: list[OpenStep] = []
    for spiff_id, (row_id, activity_id, name, department) in known.items():
        case.task_rows[spiff_id] = row_id  # open (or cancelled just below): its latest opening
        if spiff_id in ready:
            steps.append((name or activity_id, department))
    gone = {spiff_id: row[:2] for spiff_id, row in known.items() if spiff_id not in ready}
    if gone:
        work.connection.execute(
            update(tasks).where(tasks.c.id.in_([row_id for row_id, _ in gone.values()])).values(
                state="cancelled", ended_at=work.now
            )
        )
        for spiff_id, (row_id, activity_id) in gone.items():
            del known[spiff_id]
            work.record(
                action="task.cancelled",
                instance_id=case.id,
                task_id=row_id,
                details={"activity_id": activity_id, "cause": _cancel_cause(case, spiff_id)},
            )
    for spiff_id, task in ready.items():
        if spiff_id in known:
            continue
        routed = _route(work, case, task)
        if routed is None:
            continue
        department, assignee = routed
        due = _task_due(work, case, task)
        if due is False:
            continue
        row_id = str(uuid.uuid4())
        work.connection.execute(
            _INSERT_TASK,
            {
                "id": row_id,
                "instance_id": case.id,
                "spiff_task_id": spiff_id,
                "activity_id": task.activity_id,
                "name": task.name,
                "lane": task.lane,
                "form_name": task.properties.get("formJsonSchemaFilename"),
                "department_code": department,
                "assignee_user_id": assignee,
                "state": "open",
                "data_json": dumps(task.data),
                "created_at": work.now,
                "due_at": due,
                "original_due_at": due,
            },
        )
        steps.append((task.name or task.activity_id, department))
        known[spiff_id] = (row_id, task.activity_id, task.name, department)
        case.task_rows[spiff_id] = row_id
        work.record(
            action="task.created",
            instance_id=case.id,
            task_id=row_id,
            details={
                "activity_id": task.activity_id,
                "department": department,
                "assignee": assignee,
                "due_at": due.isoformat() if isinstance(due, datetime) else None,
            },
        )
        _check_instructions(work, case, task, row_id)
    _resolve_template_incidents(work, case)
    return steps


def _cancel_cause(case: LoadedCase, spiff_id: str) -> str:
    """Why the engine withdrew an open task: the case was cancelled or ended (a terminate end event),
    an interrupting boundary event cancelled it, or a send-back reset the workflow before it."""
    if case.state_override == "cancelled":
        return "case_cancelled"
    if case.live.finished:
        return "case_ended"
    state = case.live.task_state(spiff_id)
    if state is None:
        return "sent_back"
    return "boundary_event" if state == "cancelled" else "withdrawn"


def _check_instructions(work: CommandContext, case: LoadedCase, task: ReadyTask, row_id: str) -> None:
    """Render a task's instructions as it opens; a failure is a non-blocking incident, once per task and
    error (readers then see the marked fallback, and the case's state does not change)."""
    prepared = _prepared(case, task, "instructions")
    rendered = prepared[1] if prepared is not None else render_instructions(
        task.instructions, task.data, work.engine.config.sandbox)
    if rendered.error is None or COMMAND_BUDGET_SPENT in rendered.error:
        return  # the command ran out of time before the template: not the template's fault
    known = work.connection.execute(
        select(incidents.c.id).where(
            incidents.c.task_id == row_id,
            incidents.c.code == TEMPLATE_FAILED,
            incidents.c.message == rendered.error,
            incidents.c.resolved_at.is_(None),
        )
    ).first()
    if known is not None:
        return
    if case.projected is not None:
        case.projected[TEMPLATE_INCIDENTS] = True
    work.connection.execute(
        insert(incidents).values(
            id=str(uuid.uuid4()),
            instance_id=case.id,
            task_id=row_id,
            element_id=task.activity_id,
            code=TEMPLATE_FAILED,
            message=rendered.error,
            created_at=work.now,
        )
    )
    work.record(
        action="incident.raised",
        instance_id=case.id,
        task_id=row_id,
        details={"code": TEMPLATE_FAILED, "element_id": task.activity_id, "message": rendered.error},
    )


def _resolve_template_incidents(work: CommandContext, case: LoadedCase) -> None:
    """A template incident ends with its task. Skipped for a case known never to have raised one (only
    :func:`_check_instructions` raises them, inside a save that bumps the case, so a cached case's
    knowledge holds for its ``row_version``)."""
    if case.new or (case.projected is not None and case.projected.get(TEMPLATE_INCIDENTS) is False):
        return
    resolved = work.connection.execute(
        _RESOLVE_TEMPLATE_INCIDENTS, {"resolved_at": work.now, "b_instance_id": case.id}
    ).all()
    for incident in sorted(resolved, key=lambda r: str(r.id)):
        work.record(
            action="incident.resolved",
            instance_id=case.id,
            task_id=incident.task_id,
            details={"incident_id": incident.id, "code": TEMPLATE_FAILED},
        )


def _task_due(work: CommandContext, case: LoadedCase, task: ReadyTask) -> datetime | bool | None:
    """The task's due time from its deadline properties; False (with an incident) on failure."""
    spec = DeadlineSpec.from_properties(task.properties)
    if spec is None:
        return None
    try:
        text = spec.duration
        if text is None:
            assert spec.expression is not None
            text = str(_evaluate(case, task, "deadline", spec.expression))
        return work.deadline(text, spec.calendar)
    except Exception as exc:  # a failing deadline expression is an incident, not a crash
        case.failures.append(
            Failure(
                task.activity_id,
                task.id,
                f"the deadline could not be computed: {exc}",
                None,
                task.data,
                code="deadline_failed",
            )
        )
        return False


def _route(work: CommandContext, case: LoadedCase, task: ReadyTask) -> tuple[str | None, str | None] | None:
    """The task's department and assignee; None (with an incident) when routing fails."""
    owner = case.row["department_code"]
    expression = task.properties.get("assignDepartment")
    if expression:
        try:
            code = _evaluate(case, task, "assignDepartment", expression)
        except Exception as exc:  # a failing expression is an incident, not a crash
            case.failures.append(
                Failure(
                    task.activity_id,
                    task.id,
                    f"assignDepartment failed: {exc}",
                    None,
                    task.data,
                    code="routing_failed",
                )
            )
            return None
        if not isinstance(code, str) or not _department_exists(work.connection, code):
            case.failures.append(
                Failure(
                    task.activity_id,
                    task.id,
                    f"assignDepartment gave an unknown department: {code!r}",
                    None,
                    task.data,
                    code="unknown_department",
                )
            )
            return None
        return code, None
    if task.lane is not None:
        lane = task.lane.strip()
        if lane in case.model.lanes:
            department = case.model.lanes[lane]
            if department is None:  # the applicant lane
                return owner, case.row["applicant_user_id"]
            return department, None
    return owner, None


def _department_exists(connection: Connection, code: str) -> bool:
    return connection.execute(select(departments.c.code).where(departments.c.code == code)).first() is not None


def sync_timers(work: CommandContext, case: LoadedCase) -> None:
    """The timers the case waits on, with their due times (the worker reads them)."""
    waiting = case.live.waiting_timers() if case.row["state"] in ("running", "error") else []
    rows = [
        {"instance_id": case.id, "task_id": t.task_id, "activity_id": t.activity_id, "due_at": t.due_at}
        for t in waiting
    ]
    _replace(work, case, "timers", timers, rows)


def sync_subscriptions(work: CommandContext, case: LoadedCase) -> None:
    """The messages the case waits for, with their correlation values."""
    waiting = case.live.waiting_messages() if case.row["state"] in ("running", "error") else []
    rows = [
        {
            "instance_id": case.id,
            "task_id": m.task_id,
            "message_name": m.name,
            "correlations_json": json.dumps(m.correlations, sort_keys=True, default=str),
        }
        for m in waiting
    ]
    _replace(work, case, "subscriptions", message_subscriptions, rows)


def _replace(work: CommandContext, case: LoadedCase, name: str, table: Table, rows: list[dict[str, Any]]) -> None:
    """Rewrite a case's rows of ``table`` unless they are known to be exactly ``rows`` already."""
    if case.projected is not None and case.projected.get(name) == rows:
        return
    work.connection.execute(delete(table).where(table.c.instance_id == case.id))
    if rows:
        work.connection.execute(insert(table), rows)
    if case.projected is None:
        case.projected = {}
    case.projected[name] = rows
