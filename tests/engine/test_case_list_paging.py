"""The case list (``GET /process-instances``, ``runtime.list``) is paged per visibility branch and its
page's views are built in a batch. It must return exactly the rows, in exactly the order and with
the total, of the single OR-ed filter it replaced, page after page and for every sort; and each view
must equal the one the per-row ``instance_view`` built before (the oracle below is that code)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, and_, exists, false, or_, select, true

from engine import SYSTEM, Actor, FrozenClock, ProcessEngine
from engine.access import applicant_data
from engine.access import tasks as task_access
from engine.actors import Actor as ActorType
from engine.case_progress import CaseStep
from engine.deadlines import DueJudge
from engine.persistence.tables import (
    departments,
    incidents,
    process_definitions,
    process_instances,
    tasks,
    users,
)
from engine.results import InstanceView
from engine.views import incident_view, instance_views, summary, summary_select
from engine.vocabulary import CASE_SORT_FIELDS, OPEN_TASK_STATES
from tests.engine.branch_cases import branch_actors, start_branch_case
from tests.engine.conftest import Org, process_files

USERS = ("staff_D1", "staff_D3", "staff_D1D2", "applicant", "supervisor_D2", "auditor")


def _old_clause(actor: ActorType) -> Any:
    """The one OR-ed visibility filter the branches replaced (engine/access/cases.py before 0015)."""
    if actor.reads_every_case:
        return true()
    codes = sorted(actor.departments)
    conditions: list[Any] = []
    if actor.user_id is not None:
        conditions.append(process_instances.c.applicant_user_id == actor.user_id)
    if codes:
        conditions.append(process_instances.c.department_code.in_(codes))
        conditions.append(
            exists().where(and_(tasks.c.instance_id == process_instances.c.id, tasks.c.department_code.in_(codes)))
        )
    return or_(false(), *conditions)


def _old_list(connection: Connection, actor: ActorType, sort: str, filters: list[Any]) -> list[str]:
    field = sort.lstrip("-")
    column = process_instances.c["started_at" if field == "created_at" else field]
    order = column.desc() if sort.startswith("-") else column.asc()
    query = select(process_instances.c.id).where(*filters, _old_clause(actor)).order_by(order, process_instances.c.id)
    return list(connection.execute(query).scalars())


@pytest.fixture
def varied(engine: ProcessEngine, org: Org, clock: FrozenClock) -> dict[str, Actor]:
    """Cases owned by D1, D2 and D3 and led by each, some started in the same instant (ties), two applied
    for by the applicant, one reassigned from D2 to D3, some completed, one cancelled, business keys on
    some; two cases in error with incidents; an applicant's form case; a staff member of D1 and D2."""
    actors = branch_actors(engine, org)
    engine.repository.deploy(org["designer"], process_files("incidents.bpmn", "pick.dmn"))
    engine.repository.deploy(org["designer"], process_files("form_task.bpmn", "fill.json"))
    for n in range(14):
        if n % 4 != 1:  # every fourth case starts in the same instant as the one before
            clock.advance(timedelta(hours=5))
        view = start_branch_case(engine, org, actors, n, business_key=f"BK-{n}" if n % 3 else None)
        if n in (2, 7, 11):
            clock.advance(timedelta(hours=1))
            task = engine.runtime.get(SYSTEM, view.id).open_tasks[0].id
            engine.tasks.complete(SYSTEM, task, {"closed": True, "satisfaction": 4})
        if n == 8:
            engine.runtime.cancel(org["admin"], view.id, reason="duplicate")
    for data in ({"mode": "script", "divisor": 0}, {"mode": "nothing"}):
        clock.advance(timedelta(hours=2))
        case = engine.runtime.start(org["staff_D2"], "incidents")
        engine.tasks.complete(org["staff_D2"], case.open_tasks[0].id, data)
    clock.advance(timedelta(hours=2))
    engine.runtime.start(org["staff_D1"], "form_task", variables={"company": "梧桐"},
                         applicant_id=org["applicant"].user_id)
    return actors


@pytest.mark.parametrize("user", USERS)
def test_the_paged_branches_return_exactly_the_cases_of_the_old_filter(
    engine: ProcessEngine, varied: dict[str, Actor], user: str
) -> None:
    actor = varied[user]
    for sort in sorted(CASE_SORT_FIELDS) + ["-" + field for field in sorted(CASE_SORT_FIELDS)]:
        for state, filters in ((None, []), ("running", [process_instances.c.state == "running"])):
            expected = engine.query(lambda c, s=sort, f=filters: _old_list(c, actor, s, f))  # type: ignore[misc]
            pages = [engine.runtime.list(actor, state=state, sort=sort, page=page, page_size=3) for page in range(1, 9)]
            assert all(p.total == len(expected) and not p.capped for p in pages), (sort, state)
            assert [view.id for p in pages for view in p.items] == expected, (sort, state)
    assert engine.runtime.list(actor).total > 0, "every actor here sees some cases"


def test_the_count_is_capped_as_before(engine: ProcessEngine, varied: dict[str, Actor]) -> None:
    engine.config = dataclasses.replace(engine.config, count_cap=3)
    listed = engine.runtime.list(varied["staff_D1D2"], page_size=2)
    assert (listed.total, listed.capped, len(listed.items)) == (3, True, 2)


# --- the oracle: instance_view as it was, one row at a time (engine/views.py before 0015) -----------


def _old_view(connection: Connection, actor: ActorType, row: Mapping[Any, Any], judge: DueJudge) -> InstanceView:
    version, process_name, model_json = connection.execute(
        select(process_definitions.c.version, process_definitions.c.name, process_definitions.c.model_json).where(
            process_definitions.c.id == row["definition_id"]
        )
    ).one()
    owner = None
    if row["owner_user_id"] is not None:
        owner = connection.execute(select(users.c.username).where(users.c.id == row["owner_user_id"])).scalar()
    case_incidents = connection.execute(
        select(incidents).where(incidents.c.instance_id == row["id"]).order_by(incidents.c.created_at)
    ).mappings()
    shown = applicant_data.shown_names(connection, actor, row)
    open_rows = connection.execute(
        summary_select()
        .where(tasks.c.instance_id == row["id"], tasks.c.state.in_(OPEN_TASK_STATES))
        .where(task_access.visible_tasks_clause(actor))
        .order_by(tasks.c.created_at, tasks.c.activity_id)
    ).mappings()
    steps: tuple[CaseStep, ...] = ()
    if row["state"] in ("running", "error"):
        names_en = {
            activity: str(task["properties"]["nameEn"])
            for activity, task in json.loads(model_json).get("user_tasks", {}).items()
            if isinstance(task, dict) and (task.get("properties") or {}).get("nameEn")
        }
        steps = tuple(
            CaseStep(
                name=s.name, name_en=names_en.get(s.activity_id), activity_id=s.activity_id,
                department=s.department_code, department_name=s.department_name,
                department_name_en=s.department_name_en, since=s.created_at, due_at=s.due_at,
                due_status=judge(s.due_at),
                with_applicant=row["applicant_user_id"] is not None and s.assignee_user_id == row["applicant_user_id"],
            )
            for s in connection.execute(
                select(tasks, departments.c.name.label("department_name"),
                       departments.c.name_en.label("department_name_en"))
                .select_from(tasks.outerjoin(departments, departments.c.code == tasks.c.department_code))
                .where(tasks.c.instance_id == row["id"], tasks.c.state.in_(OPEN_TASK_STATES), tasks.c.kind == "user")
                .order_by(tasks.c.created_at, tasks.c.activity_id)
            ).all()
        )
    return InstanceView(
        id=row["id"], number=row["number"], key=row["process_key"], version=version,
        definition_id=row["definition_id"], business_key=row["business_key"], owner_user_id=row["owner_user_id"],
        owner_username=owner or ("system" if row["owner_user_id"] is None else None),
        department=row["department_code"], applicant_id=row["applicant_user_id"], state=row["state"],
        variables=applicant_data.only_shown(json.loads(row["variables_json"]), shown),
        open_tasks=tuple(summary(r, judge) for r in open_rows),
        completed_activities=tuple(json.loads(row["completed_activities_json"])),
        active_activities=tuple(json.loads(row["active_activities_json"])),
        incidents=tuple(incident_view(i, shown) for i in case_incidents),
        started_at=row["started_at"], ended_at=row["ended_at"], row_version=row["row_version"],
        due_at=row["due_at"],
        due_status=judge(row["due_at"]) if row["state"] in ("running", "error") else None,
        original_due_at=row["original_due_at"], process_name=process_name, current_steps=steps,
    )


@pytest.mark.parametrize("user", USERS)
def test_the_batch_views_equal_the_old_per_row_views(
    engine: ProcessEngine, varied: dict[str, Actor], user: str
) -> None:
    actor = varied[user]
    judge = engine.judge()

    def run(connection: Connection) -> tuple[tuple[InstanceView, ...], list[InstanceView]]:
        rows = connection.execute(
            select(process_instances).where(_old_clause(actor)).order_by(process_instances.c.number)
        ).mappings().all()
        return instance_views(connection, actor, rows, judge), [_old_view(connection, actor, r, judge) for r in rows]

    batch, single = engine.query(run)
    assert len(batch) > 0
    assert list(batch) == single
    if user == "auditor":  # the seed gives the comparison something to compare
        assert any(view.incidents for view in batch) and any(view.current_steps for view in batch)
        assert any(view.owner_username not in (None, "system") for view in batch)
    listed = engine.runtime.list(actor, sort="number", page_size=100).items
    assert list(listed) == sorted(single, key=lambda view: view.number)
