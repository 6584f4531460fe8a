"""Who may see a case: the predicate for a case row already read, and its SQL twin for case lists.

Auditors and admins see every case; others see the cases they applied for, the cases their
departments own, and the cases in which any of their departments has or had a task (of any kind
and state: a department keeps seeing the case it worked on). A list built with
:func:`visible_cases_clause` holds exactly the cases for which :func:`can_see_case` holds.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, false, or_, select, true

from engine.actors import Actor
from engine.persistence.tables import process_instances, tasks


def can_see_case(
    actor: Actor,
    *,
    department: str | None,
    applicant_id: str | None,
    task_departments: Collection[str],
) -> bool:
    """Auditors, admins and leaders, the case's applicant, and members of its owning or task departments."""
    if actor.reads_every_case:
        return True
    if applicant_id is not None and actor.user_id == applicant_id:
        return True
    if department is not None and department in actor.departments:
        return True
    return any(code in actor.departments for code in task_departments)


def can_see_case_row(connection: Connection, actor: Actor, row: Mapping[Any, Any]) -> bool:
    """:func:`can_see_case` for a stored case row, reading its task departments only when they can matter."""
    department, applicant = row["department_code"], row["applicant_user_id"]
    if can_see_case(actor, department=department, applicant_id=applicant, task_departments=()):
        return True
    if not actor.departments:
        return False
    return can_see_case(
        actor, department=department, applicant_id=applicant, task_departments=task_departments(connection, row["id"])
    )


def task_departments(connection: Connection, instance_id: str) -> list[str]:
    """The departments that have or had a task in the case (the ``task_departments`` of :func:`can_see_case`)."""
    return [
        code
        for code in connection.execute(
            select(tasks.c.department_code).where(tasks.c.instance_id == instance_id).distinct()
        ).scalars()
        if code is not None
    ]


def visible_cases_clause(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause over ``process_instances``: the cases :func:`can_see_case` lets the actor see."""
    branches = visible_case_branches(actor)
    return true() if branches is None else or_(false(), *branches)


def visible_case_branches(actor: Actor) -> list[ColumnElement[bool]] | None:
    """:func:`visible_cases_clause` as its separate conditions (None: every case), each of which an index
    answers on its own, in the order of a sort: each of their departments' own cases (department,
    started_at; one branch per department, so each is read in order; first, as the cheapest to
    count), the cases the actor applied for (applicant, started_at), and the cases their departments
    have or had a task in (tasks (department, instance_id), then the cases by id). Lists page them
    apart and merge (``engine.paging.branch_page``): one OR across them made the database scan every
    case with a task probe per case."""
    if actor.reads_every_case:
        return None
    codes = sorted(actor.departments)
    branches: list[ColumnElement[bool]] = [process_instances.c.department_code == code for code in codes]
    if actor.user_id is not None:
        branches.append(process_instances.c.applicant_user_id == actor.user_id)
    if codes:
        worked_on = select(tasks.c.instance_id).where(tasks.c.department_code.in_(codes))
        branches.append(process_instances.c.id.in_(worked_on))
    return branches


def visible_case_ids(actor: Actor) -> Select[Any]:
    """The ids of the cases the actor may see, for ``IN (...)`` filters of other resources."""
    return select(process_instances.c.id).where(visible_cases_clause(actor))
