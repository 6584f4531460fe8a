"""History events for what the engine did to a case on its own, derived when the case is saved.

A command records what its actor asked for (``task.completed``, ``case.cancelled``); the engine then
runs gateways, scripts, timers and boundary events, and ends cases. Those changes are found here by
comparison, in the command's transaction, and appended through the one writer (``CommandContext.record``):
activities started, completed and cancelled (from the workflow's task states), variables changed
(the case data as last saved against the data now) and how the case ended.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select

from engine.audit_values import changes
from engine.persistence.tables import TASK_IS_OPEN, tasks

if TYPE_CHECKING:
    from engine.command_context import CommandContext, LoadedCase

# Built once: the task instances of the given workflow tasks, the open one (else the latest opening) last
_INSTANCES = (
    select(tasks.c.id, tasks.c.spiff_task_id)
    .where(tasks.c.instance_id == bindparam("instance_id"))
    .where(tasks.c.spiff_task_id.in_(bindparam("human", expanding=True)))
    .order_by(TASK_IS_OPEN, tasks.c.created_at, tasks.c.id)
)


def record_activities(work: CommandContext, case: LoadedCase) -> None:
    """``activity.started`` / ``activity.completed`` / ``activity.cancelled`` for every BPMN activity
    whose workflow task changed phase; user tasks name their task instance."""
    found = case.live.activity_changes()
    if not found:
        return
    human = sorted({c.task_id for c in found if c.human})
    instances = {spiff_id: case.task_rows[spiff_id] for spiff_id in human if spiff_id in case.task_rows}
    unknown = [spiff_id for spiff_id in human if spiff_id not in instances]
    if unknown:  # read only what the command did not see (usually nothing)
        for row in work.connection.execute(_INSTANCES, {"instance_id": case.id, "human": unknown}):
            instances[row.spiff_task_id] = row.id  # the open one, else the latest opening, wins
    for change in found:
        work.record(
            action=f"activity.{change.kind}",
            instance_id=case.id,
            task_id=instances.get(change.task_id),
            details={
                "element_id": change.element_id,
                "element_type": change.element_type,
                "workflow_task_id": change.task_id,
            },
        )


def record_variables(work: CommandContext, case: LoadedCase, now: dict[str, Any]) -> None:
    """``variables.changed``: each case variable whose value differs from the last save (old and new)."""
    stored = case.row.get("variables_json")
    before: dict[str, Any] = json.loads(stored) if stored else {}
    changed = changes(before, now)
    if changed:
        work.record(action="variables.changed", instance_id=case.id, details={"changes": changed})


def ended_how(case: LoadedCase, state: str) -> str | None:
    """How a case that is ending now ended: completed, terminated (a terminate end event) or cancelled."""
    if state == "cancelled":
        return "cancelled"
    if state == "completed":
        return "terminated" if case.live.terminated() else "completed"
    return None


def record_end(work: CommandContext, case: LoadedCase, how: str) -> None:
    """``case.completed`` or ``case.terminated`` (a cancelled case's command records ``case.cancelled``
    itself, with its reason)."""
    if how != "cancelled":
        work.record(action=f"case.{how}", instance_id=case.id, details={"ended_how": how})
