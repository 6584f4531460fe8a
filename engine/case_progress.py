"""Where a case stands, in words a company understands: which step is open, in which department, since
when and due when.

Whoever may see a case may see its current steps (``engine.access.cases``): a company following its
own problem sees which department has it now, though not the department's task itself (who holds
it, its data). The steps come from the task projection, so reading them loads no workflow state.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from engine.persistence.tables import TASK_IS_OPEN, departments, process_definitions, tasks


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
    return current_steps_by_case(connection, [case], judge).get(case["id"], ())


def current_steps_by_case(
    connection: Connection,
    cases: Sequence[Mapping[Any, Any]],
    judge: Callable[[datetime | None], str | None],
) -> dict[str, tuple[CaseStep, ...]]:
    """:func:`current_steps` of each of ``cases`` by case id, in one query for them all (a list page
    builds its rows' steps at once; missing ids have none)."""
    live = {case["id"]: case for case in cases if case["state"] in ("running", "error")}
    if not live:
        return {}
    rows = connection.execute(_OPEN_STEPS, {"ids": list(live)}).all()
    if not rows:
        return {}
    names_en = _step_names_en(connection, {live[row.instance_id]["definition_id"] for row in rows})
    steps: dict[str, list[CaseStep]] = {}
    for row in rows:
        case = live[row.instance_id]
        applicant = case["applicant_user_id"]
        steps.setdefault(row.instance_id, []).append(
            CaseStep(
                name=row.name,
                name_en=names_en[case["definition_id"]].get(row.activity_id),
                activity_id=row.activity_id,
                department=row.department_code,
                department_name=row.department_name,
                department_name_en=row.department_name_en,
                since=row.created_at,
                due_at=row.due_at,
                due_status=judge(row.due_at),
                with_applicant=applicant is not None and row.assignee_user_id == applicant,
            )
        )
    return {case_id: tuple(found) for case_id, found in steps.items()}


# built once over a bound list of case ids (building it per call was a tenth of a view's CPU)
_OPEN_STEPS = (
    select(
        tasks.c.instance_id,
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
    .where(
        tasks.c.instance_id.in_(bindparam("ids", expanding=True)),
        TASK_IS_OPEN,
        tasks.c.kind == "user",
    )
    .order_by(tasks.c.created_at, tasks.c.activity_id, tasks.c.id)
)
_NAMES_EN: dict[str, dict[str, str]] = {}  # definition id -> activity id -> nameEn (versions never change)


def _step_names_en(connection: Connection, definition_ids: Collection[str]) -> dict[str, dict[str, str]]:
    """Each user task's English name (its ``nameEn`` property) by process version (one query for the
    versions not cached yet)."""
    missing = [d for d in definition_ids if d not in _NAMES_EN]
    if missing:
        if len(_NAMES_EN) + len(missing) > 512:
            _NAMES_EN.clear()
            missing = list(definition_ids)
        for definition_id, model_json in connection.execute(
            select(process_definitions.c.id, process_definitions.c.model_json).where(
                process_definitions.c.id.in_(missing)
            )
        ).all():
            user_tasks = json.loads(model_json).get("user_tasks", {})
            _NAMES_EN[definition_id] = {
                activity: str(task["properties"]["nameEn"])
                for activity, task in user_tasks.items()
                if isinstance(task, dict) and (task.get("properties") or {}).get("nameEn")
            }
    return {definition_id: _NAMES_EN[definition_id] for definition_id in definition_ids}
