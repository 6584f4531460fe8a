"""Where a case stands, in words a company understands: which step is open, in which department, since
when and due when.

Whoever may see a case may see its current steps (``engine.access.cases``): a company following its
own problem sees which department has it now, though not the department's task itself (who holds
it, its data). The steps come from the task projection, so reading them loads no workflow state.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from engine.persistence.tables import departments, process_definitions, tasks
from engine.vocabulary import OPEN_TASK_STATES


@dataclass(frozen=True)
class CaseStep:
    """One open step of a case (a user task opening), as every reader of the case sees it."""

    name: str | None
    name_en: str | None  # the step's ``nameEn`` property
    activity_id: str
    department: str | None
    department_name: str | None
    department_name_en: str | None
    since: datetime  # when the step opened
    due_at: datetime | None
    due_status: str | None
    with_applicant: bool  # the step waits for the case's company (the ``applicant`` lane)


def current_steps(
    connection: Connection,
    case: Mapping[Any, Any],
    judge: Callable[[datetime | None], str | None],
) -> tuple[CaseStep, ...]:
    """The case's open user steps, oldest first (none once the case has ended)."""
    if case["state"] not in ("running", "error"):
        return ()
    rows = connection.execute(
        select(
            tasks.c.name,
            tasks.c.activity_id,
            tasks.c.department_code,
            tasks.c.assignee_user_id,
            tasks.c.created_at,
            tasks.c.due_at,
            departments.c.name.label("department_name"),
            departments.c.name_en.label("department_name_en"),
        )
        .select_from(tasks.outerjoin(departments, departments.c.code == tasks.c.department_code))
        .where(tasks.c.instance_id == case["id"], tasks.c.state.in_(OPEN_TASK_STATES), tasks.c.kind == "user")
        .order_by(tasks.c.created_at, tasks.c.activity_id)
    ).all()
    if not rows:
        return ()
    names_en = _step_names_en(connection, case["definition_id"])
    applicant = case["applicant_user_id"]
    return tuple(
        CaseStep(
            name=row.name,
            name_en=names_en.get(row.activity_id),
            activity_id=row.activity_id,
            department=row.department_code,
            department_name=row.department_name,
            department_name_en=row.department_name_en,
            since=row.created_at,
            due_at=row.due_at,
            due_status=judge(row.due_at),
            with_applicant=applicant is not None and row.assignee_user_id == applicant,
        )
        for row in rows
    )


_NAMES_EN: dict[str, dict[str, str]] = {}  # definition id -> activity id -> nameEn (versions never change)


def _step_names_en(connection: Connection, definition_id: str) -> dict[str, str]:
    """Each user task's English name (its ``nameEn`` property) in a process version."""
    found = _NAMES_EN.get(definition_id)
    if found is None:
        model_json = connection.execute(
            select(process_definitions.c.model_json).where(process_definitions.c.id == definition_id)
        ).scalar_one()
        user_tasks = json.loads(model_json).get("user_tasks", {})
        found = {
            activity: str(task["properties"]["nameEn"])
            for activity, task in user_tasks.items()
            if isinstance(task, dict) and (task.get("properties") or {}).get("nameEn")
        }
        if len(_NAMES_EN) >= 512:
            _NAMES_EN.clear()
        _NAMES_EN[definition_id] = found
    return found
