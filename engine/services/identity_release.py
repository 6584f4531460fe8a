"""Claimed tasks of someone who can no longer work them go back to their department's queue.

A user who is deactivated, loses every working role, or leaves a department would otherwise hold
their claimed tasks for ever: nobody else may complete a task claimed by another. Each released
task is recorded as ``task.unclaimed`` with the reason and the former holder.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from engine.command_context import CommandContext
from engine.definitions import APPLICANT_LANE
from engine.errors import Conflict
from engine.persistence.tables import process_instances, tasks
from engine.services.task_transitions import case_version, transition


def release_claimed_tasks(
    work: CommandContext, user_id: str, *, departments: Collection[str] | None, reason: str
) -> list[str]:
    """Unclaim the user's claimed tasks (of ``departments``, or all when None); the task ids."""
    query = select(
        tasks.c.id, tasks.c.instance_id, tasks.c.lane, tasks.c.department_code, tasks.c.assignee_user_id
    ).where(
        tasks.c.state == "claimed", tasks.c.assignee_user_id == user_id
    )
    if departments is not None:
        if not departments:
            return []
        query = query.where(tasks.c.department_code.in_(sorted(departments)))
    released = []
    for row in work.connection.execute(query.order_by(tasks.c.created_at, tasks.c.id)).all():
        back_to = None
        if row.lane == APPLICANT_LANE:  # a company's own step claimed by staff goes back to the company
            back_to = work.connection.execute(
                select(process_instances.c.applicant_user_id).where(process_instances.c.id == row.instance_id)
            ).scalar()
        version = case_version(work, row.id)
        try:
            transition(
                work,
                row._mapping,
                expected={"claimed"},
                values={"state": "open", "assignee_user_id": back_to},
                version=version,
                assignee=True,
            )
        except Conflict as error:
            if error.code == "stale_case":
                raise
            continue  # completed or released by someone else meanwhile: nothing left to release
        work.record(
            action="task.unclaimed",
            instance_id=row.instance_id,
            task_id=row.id,
            details={"reason": reason, "from_user": user_id, "department": row.department_code},
        )
        released.append(row.id)
    return released
