"""Who may see a task: the predicate for a task row already read, and its SQL twin for task lists.

Auditors and admins see every task; others see the tasks of their departments, the tasks assigned
to them, and, as supervisors, the overdue tasks escalated (督办) to one of their departments, which
they may also supervise. A list built with :func:`visible_tasks_clause` holds exactly the tasks for
which :func:`can_see_task` holds.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, false, or_, select, true

from engine.actors import Actor
from engine.persistence.tables import escalations, tasks


def can_see_task(
    actor: Actor, *, department: str | None, assignee_id: str | None, escalated_to: Collection[str] = ()
) -> bool:
    """Members of the task's department, its assignee, supervisors of a department it was escalated to
    (``escalated_to``, see :func:`escalation_departments`), auditors and admins."""
    if actor.sees_everything:
        return True
    if assignee_id is not None and actor.user_id == assignee_id:
        return True
    if department is not None and department in actor.departments:
        return True
    return supervises_any(actor, escalated_to)


def can_see_task_row(connection: Connection, actor: Actor, row: Mapping[Any, Any]) -> bool:
    """:func:`can_see_task` for a stored task row, reading its escalations only when they can matter."""
    department, assignee = row["department_code"], row["assignee_user_id"]
    if can_see_task(actor, department=department, assignee_id=assignee):
        return True
    return supervises_escalation(connection, actor, row["id"])


def supervises_any(actor: Actor, departments: Collection[str]) -> bool:
    """Whether the actor is a supervisor of one of ``departments``."""
    return actor.has("supervisor") and any(code in actor.departments for code in departments)


def escalation_departments(connection: Connection, task_id: str) -> list[str]:
    """The departments whose 督办 tasks were raised for this (overdue) task."""
    escalation_task = tasks.alias("escalation_task")
    return [
        code
        for code in connection.execute(
            select(escalation_task.c.department_code)
            .join(escalations, escalations.c.escalation_task_id == escalation_task.c.id)
            .where(escalations.c.task_id == task_id)
            .distinct()
        ).scalars()
        if code is not None
    ]


def supervises_escalation(connection: Connection, actor: Actor, task_id: str) -> bool:
    """Whether the actor supervises a department an overdue task was escalated to (督办): they may see and
    supervise (extend, reassign, send back) the overdue task itself."""
    if not actor.has("supervisor") or not actor.departments:
        return False
    return supervises_any(actor, escalation_departments(connection, task_id))


def escalated_to_clause(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause over ``tasks``: escalated to a department the actor supervises."""
    if not actor.has("supervisor") or not actor.departments:
        return false()
    return _escalated_to(sorted(actor.departments))


def _escalated_to(departments: Any) -> ColumnElement[bool]:
    escalation_task = tasks.alias("escalation_task")
    return exists().where(
        and_(
            escalations.c.task_id == tasks.c.id,
            escalation_task.c.id == escalations.c.escalation_task_id,
            escalation_task.c.department_code.in_(departments),
        )
    )


def visible_tasks_clause(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause over ``tasks``: the tasks :func:`can_see_task` lets the actor see."""
    branches = visible_task_branches(actor)
    return true() if branches is None else or_(false(), *branches)


def visible_branch_kinds(actor: Actor, department: str | None = None) -> tuple[str, ...] | None:
    """The rule of :func:`visible_task_branches`, as the names of its branches (None: everything):
    ``departments`` (the actor's departments' tasks), ``assigned`` (the tasks assigned to the actor),
    ``escalated`` (supervisors: the tasks escalated to their departments).

    ``department``: the list is already limited to that department, so the branches it settles are
    left out: all of them for a member (every task of the department is visible), the membership
    branch for anyone else (it can hold none of them). Otherwise the planner walks the department's
    index once per branch and reads each task's row to test the assignee."""
    if actor.sees_everything or (department is not None and department in actor.departments):
        return None
    kinds: list[str] = []
    if actor.departments and department is None:
        kinds.append("departments")
    if actor.user_id is not None:
        kinds.append("assigned")
    if actor.has("supervisor") and actor.departments:
        kinds.append("escalated")
    return tuple(kinds)


def inbox_branch_kinds(actor: Actor) -> tuple[str, ...]:
    """The inbox, as branches each inside one of :func:`visible_branch_kinds`'s (so it never holds a task the
    actor may not see): ``inbox_open`` (the open process steps of the actor's departments, inside
    ``departments``) and ``inbox_claimed`` (the steps the actor claimed, inside ``assigned``). Escalation
    (督办) tasks are the supervision page's, not the inbox's."""
    kinds: list[str] = []
    if actor.departments:
        kinds.append("inbox_open")
    if actor.user_id is not None:
        kinds.append("inbox_claimed")
    return tuple(kinds)


def branch_clause(kind: str, departments: Any, user_id: Any) -> ColumnElement[bool]:
    """The WHERE clause of one branch of :func:`visible_branch_kinds` or :func:`inbox_branch_kinds` over
    ``tasks``; ``departments`` and ``user_id`` are the actor's (values, or bound parameters for a statement
    built once)."""
    if kind == "departments":
        return tasks.c.department_code.in_(departments)
    if kind == "assigned":
        assigned: ColumnElement[bool] = tasks.c.assignee_user_id == user_id
        return assigned
    if kind == "inbox_open":
        return and_(tasks.c.department_code.in_(departments), tasks.c.state == "open", tasks.c.kind == "user")
    if kind == "inbox_claimed":
        return and_(tasks.c.assignee_user_id == user_id, tasks.c.state == "claimed", tasks.c.kind == "user")
    return _escalated_to(departments)


def visible_task_branches(actor: Actor) -> list[ColumnElement[bool]] | None:
    """:func:`visible_tasks_clause` as its separate conditions (None: everything), each of which an index
    answers on its own: its departments' tasks, the tasks assigned to the actor, and (supervisors) the
    tasks escalated to their departments (:func:`visible_branch_kinds`). Lists query them apart and
    merge (see ``engine.access.task_list``): one OR across them would make the database scan every
    open task."""
    kinds = visible_branch_kinds(actor)
    if kinds is None:
        return None
    return [branch_clause(kind, sorted(actor.departments), actor.user_id) for kind in kinds]


def supervised_tasks_clause(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause over ``tasks``: what a supervisor watches (its departments' tasks and the tasks
    escalated to them); everything for auditors and admins."""
    if actor.sees_everything:
        return true()
    conditions: list[ColumnElement[bool]] = [escalated_to_clause(actor)]
    if actor.departments:
        conditions.append(tasks.c.department_code.in_(sorted(actor.departments)))
    return or_(false(), *conditions)
