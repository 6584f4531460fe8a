"""Saving one case at the end of a command: the case row guarded by its ``row_version`` (a lost update
becomes a ``Conflict`` and the whole transaction rolls back), the state rows whose digest changed, the
incidents of its failures, the events of what the engine did on its own, and the open-task, timer,
message-subscription and ledger projections. Nothing here commits; ``CommandContext.save_all`` calls
``save_case`` for every touched case once the write lock is held.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, insert, select, update

from engine import case_events
from engine.case_numbers import next_case_number
from engine.errors import Conflict
from engine.instructions import NON_BLOCKING_INCIDENTS
from engine.ledger import project_case
from engine.persistence.tables import TASK_IS_OPEN, case_state_rows, incidents, process_instances, tasks
from engine.projections import sync_subscriptions, sync_tasks, sync_timers
from engine.spiff.state import diff_rows, dumps, dumps_for_reading
from engine.spiff.state_versions import LAYOUT_VERSION, SERIALIZER_VERSION

if TYPE_CHECKING:
    from engine.command_context import CommandContext, LoadedCase

# The case row's statements, built once and run with parameter dicts: building them with
# ``.values(row)`` on every save coerced each column and recomputed the cache key per call.
_INSERT_CASE = insert(process_instances)
_UPDATE_CASE = (
    update(process_instances)
    .where(process_instances.c.id == bindparam("b_id"))
    .where(process_instances.c.row_version == bindparam("b_loaded_version"))
)

_INSERT_STATE_ROWS = insert(case_state_rows)
_UPDATE_STATE_ROW = (
    update(case_state_rows)
    .where(case_state_rows.c.instance_id == bindparam("b_instance"))
    .where(case_state_rows.c.row_key == bindparam("k"))
    .values(digest=bindparam("d"), content=bindparam("c"))
)


def save_case(work: CommandContext, case: LoadedCase) -> int:
    """Write the case and its projections; returns the state-row bytes written (benchmarks read them)."""
    if case.new:  # the case row first: tasks, incidents and state rows refer to it
        case.row["number"] = next_case_number(work.connection, work.now.year)
        work.connection.execute(
            _INSERT_CASE,
            {
                **case.row,
                "variables_json": "{}",
                "completed_activities_json": "[]",
                "active_activities_json": "[]",
            },
        )
    open_steps = sync_tasks(work, case)
    state = _case_state(work, case)
    _record_incidents(work, case)
    case_events.record_activities(work, case)
    variables = case.live.variables()
    case_events.record_variables(work, case, variables)
    row = case.row
    ending = state in ("completed", "cancelled") and row.get("ended_at") is None
    row["state"] = state
    if ending:
        row["ended_at"] = work.now
        row["ended_how"] = case_events.ended_how(case, state)
    values = {
        "state": state,
        "ended_at": row.get("ended_at"),
        "ended_how": row.get("ended_how"),
        "variables_json": dumps_for_reading(variables),
        "completed_activities_json": dumps(case.live.completed_activities()),
        "active_activities_json": dumps(case.live.active_activities()),
        "row_version": case.loaded_version + 1,
        "department_code": row["department_code"],
        # every save writes the whole case in the current form, also right after a migration
        "serializer_version": SERIALIZER_VERSION,
        "layout_version": LAYOUT_VERSION,
    }
    updated = work.connection.execute(
        _UPDATE_CASE, {**values, "b_id": case.id, "b_loaded_version": case.loaded_version}
    ).rowcount
    if updated != 1:
        raise Conflict("the case was changed by someone else; reload and try again", code="stale_case")
    row.update(values)
    if ending:
        case_events.record_end(work, case, row["ended_how"])
    if state in ("completed", "cancelled"):  # supervision tasks end with their case
        withdrawn = work.connection.execute(
            update(tasks)
            .where(tasks.c.instance_id == case.id, tasks.c.kind == "escalation", TASK_IS_OPEN)
            .values(state="cancelled", ended_at=work.now)
            .returning(tasks.c.id)
        ).scalars()
        for task_id in withdrawn.all():
            work.record(
                action="task.cancelled",
                instance_id=case.id,
                task_id=task_id,
                details={"cause": "escalation_withdrawn", "case_state": state},
            )
    written = _write_rows(work, case)
    sync_timers(work, case)
    sync_subscriptions(work, case)
    project_case(work, case, open_steps)
    return written


def _write_rows(work: CommandContext, case: LoadedCase) -> int:
    changes = diff_rows(case.live.rows(), case.digests)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for state_row in changes.upserts:
        if state_row.key in case.digests:
            updates.append({"k": state_row.key, "d": state_row.digest, "c": state_row.content})
        else:
            inserts.append(
                {
                    "instance_id": case.id,
                    "row_key": state_row.key,
                    "owner": state_row.owner,
                    "seq": case.next_seq,
                    "digest": state_row.digest,
                    "content": state_row.content,
                }
            )
            case.next_seq += 1
        case.digests[state_row.key] = state_row.digest
    if inserts:
        work.connection.execute(_INSERT_STATE_ROWS, inserts)
    if updates:
        work.connection.execute(_UPDATE_STATE_ROW, [{**u, "b_instance": case.id} for u in updates])
    if changes.deletes:
        work.connection.execute(
            delete(case_state_rows)
            .where(case_state_rows.c.instance_id == case.id)
            .where(case_state_rows.c.row_key.in_(changes.deletes))
        )
        for key in changes.deletes:
            case.digests.pop(key, None)
    return sum(len(u["c"]) for u in updates) + sum(len(i["content"]) for i in inserts)


def _case_state(work: CommandContext, case: LoadedCase) -> str:
    if case.state_override is not None:
        return case.state_override
    if case.failures:
        return "error"
    if case.row["state"] == "error" and _has_open_incident(work, case):
        return "error"
    if case.live.finished:
        return "completed"
    return "running"


def _has_open_incident(work: CommandContext, case: LoadedCase) -> bool:
    if case.new:
        return False
    return work.connection.execute(_OPEN_INCIDENT, {"instance_id": case.id}).first() is not None


# built once: whether a case has a blocking incident still open
_OPEN_INCIDENT = (
    select(incidents.c.id)
    .where(incidents.c.instance_id == bindparam("instance_id"), incidents.c.resolved_at.is_(None))
    .where(incidents.c.code.not_in(NON_BLOCKING_INCIDENTS))
    .limit(1)
)


def _record_incidents(work: CommandContext, case: LoadedCase) -> None:
    for failure in case.failures:
        task_id = _task_instance_of(work, case, failure.task_id)
        work.connection.execute(
            insert(incidents).values(
                id=str(uuid.uuid4()),
                instance_id=case.id,
                task_id=task_id,
                element_id=failure.element_id,
                code=failure.code,
                message=failure.message,
                line=failure.line,
                data_json=dumps(failure.data) if failure.data is not None else None,
                created_at=work.now,
            )
        )
        work.record(
            action="incident.raised",
            instance_id=case.id,
            task_id=task_id,
            details={"code": failure.code, "element_id": failure.element_id, "message": failure.message},
        )


def _task_instance_of(work: CommandContext, case: LoadedCase, spiff_task_id: str | None) -> str | None:
    """The latest task instance opened for a workflow task; the workflow task's own id when it has
    none (script tasks, gateways, or a user task that failed before it opened)."""
    if spiff_task_id is None:
        return spiff_task_id
    row_id = work.connection.execute(
        select(tasks.c.id)
        .where(tasks.c.instance_id == case.id, tasks.c.spiff_task_id == spiff_task_id)
        .order_by(TASK_IS_OPEN.desc(), tasks.c.created_at.desc(), tasks.c.id.desc())
        .limit(1)
    ).scalar()
    return str(row_id) if row_id is not None else spiff_task_id
