"""Who may see a task: the predicate for a task row already read, and its SQL twin for task lists.

Auditors and admins see every task; others see the tasks of their departments, the tasks assigned
to them, and, as supervisors, the overdue tasks escalated (督办) to one of their departments, which
they may also supervise. A list built with :func:`visible_tasks_clause` holds exactly the tasks for
which :func:`can_see_task` holds.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, exists, false, literal_column, or_, select, true

from engine.actors import Actor
from engine.paging import capped_count, disjoint_count, merged_branch_ids
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
    escalation_task = tasks.alias("escalation_task")
    return exists().where(
        and_(
            escalations.c.task_id == tasks.c.id,
            escalation_task.c.id == escalations.c.escalation_task_id,
            escalation_task.c.department_code.in_(sorted(actor.departments)),
        )
    )


def visible_tasks_clause(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause over ``tasks``: the tasks :func:`can_see_task` lets the actor see."""
    branches = visible_task_branches(actor)
    return true() if branches is None else or_(false(), *branches)


def visible_task_branches(actor: Actor, department: str | None = None) -> list[ColumnElement[bool]] | None:
    """:func:`visible_tasks_clause` as its separate conditions (None: everything), each of which an index
    answers on its own: its departments' tasks, the tasks assigned to the actor, and (supervisors) the
    tasks escalated to their departments. Lists query them apart and merge (see :func:`task_page`):
    one OR across them would make the database scan every open task.

    ``department``: the list is already limited to that department, so the branches it settles are
    left out: all of them for a member (every task of the department is visible), the membership
    branch for anyone else (it can hold none of them). Otherwise the planner walks the department's
    index once per branch and reads each task's row to test the assignee."""
    if actor.sees_everything or (department is not None and department in actor.departments):
        return None
    branches: list[ColumnElement[bool]] = []
    if actor.departments and department is None:
        branches.append(tasks.c.department_code.in_(sorted(actor.departments)))
    if actor.user_id is not None:
        branches.append(tasks.c.assignee_user_id == actor.user_id)
    if actor.has("supervisor") and actor.departments:
        branches.append(escalated_to_clause(actor))
    return branches


def task_page(
    connection: Connection,
    actor: Actor,
    filters: list[Any],
    sort: str,
    page: int,
    page_size: int,
    cap: int,
    department: str | None = None,
) -> tuple[int, bool, Select[Any]]:
    """The total of the visible tasks matching ``filters`` (counted up to ``cap``; the flag says whether
    there are more) and a sub-select of the ids on ``page``, sorted by ``sort`` (``field`` or ``-field``)
    then id.

    ``department``: ``filters`` hold ``department_code == department`` (see
    :func:`visible_task_branches`).

    For an actor who sees part of the tasks, each branch of :func:`visible_task_branches` is paged on
    its own (its first ``page * page_size`` ids in order, through an index such as (department,
    state, due_at)) and their UNION gives the page; the total is the sum of each branch's count of
    the rows no earlier branch holds (:func:`engine.paging.disjoint_count`). Counts select a constant,
    not the id: the id is not in SQLite's secondary indexes (a rowid table keyed by a text id), so
    counting ids reads every counted row from the table (30 ms for an auditor's 10,000 open tasks
    against 1 ms from the index alone). With 100,000 open tasks this keeps a staff member's inbox at
    a few milliseconds instead of a scan.
    """
    field, descending = sort.lstrip("-"), sort.startswith("-")
    key = tasks.c[field]
    order = key.desc() if descending else key.asc()
    offset = (page - 1) * page_size
    branches = visible_task_branches(actor, department)
    if branches is None:
        counted: Select[Any] = select(literal_column("1")).select_from(tasks).where(*filters)
        total, capped = capped_count(connection, counted, cap)
        ids = select(tasks.c.id).where(*filters).order_by(order, tasks.c.id).offset(offset).limit(page_size)
        return total, capped, ids
    if not branches:
        return 0, False, select(tasks.c.id).where(false())
    total, capped = disjoint_count(connection, filters, branches, cap)
    return total, capped, merged_branch_ids(tasks.c.id, key, descending, filters, branches, offset, page_size)


def supervised_tasks_clause(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause over ``tasks``: what a supervisor watches (its departments' tasks and the tasks
    escalated to them); everything for auditors and admins."""
    if actor.sees_everything:
        return true()
    conditions: list[ColumnElement[bool]] = [escalated_to_clause(actor)]
    if actor.departments:
        conditions.append(tasks.c.department_code.in_(sorted(actor.departments)))
    return or_(false(), *conditions)
