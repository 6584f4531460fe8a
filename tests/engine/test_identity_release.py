"""Claimed tasks of someone who can no longer work them go back to their department's queue,
each with a ``task.unclaimed`` event naming why and whose they were."""

from __future__ import annotations

import pytest

from engine import SYSTEM, ProcessEngine
from tests.engine.conftest import Org, corpus_files


@pytest.fixture
def case(engine: ProcessEngine, org: Org) -> str:
    engine.repository.deploy(org["designer"], corpus_files("parallel.bpmn"))
    return engine.runtime.start(org["staff_D1"], "parallel").id


def _task(engine: ProcessEngine, org: Org, case: str, department: str) -> str:
    view = engine.runtime.get(org["admin"], case)
    return next(t.id for t in view.open_tasks if t.department == department)


def _state(engine: ProcessEngine, org: Org, task_id: str) -> tuple[str, str | None]:
    task = engine.tasks.get(org["admin"], task_id)
    return task.state, task.assignee


def _unclaimed_events(engine: ProcessEngine, org: Org, case: str) -> list[dict[str, object]]:
    events = engine.history.case_events(org["auditor"], case)
    return [dict(e.details or {}, task_id=e.task_id) for e in events if e.action == "task.unclaimed"]


def test_deactivating_a_user_puts_their_claimed_tasks_back_in_the_queue(
    engine: ProcessEngine, org: Org, case: str
) -> None:
    task_id = _task(engine, org, case, "D2")
    engine.tasks.claim(org["staff_D2"], task_id)
    engine.identity.update_user(org["admin"], org["staff_D2"].user_id or "", active=False)
    assert _state(engine, org, task_id) == ("open", None)
    assert _unclaimed_events(engine, org, case) == [
        {"reason": "user_deactivated", "from_user": org["staff_D2"].user_id, "department": "D2", "task_id": task_id}
    ]
    engine.tasks.claim(org["supervisor_D2"], task_id)  # anyone of D2 may take it now


def test_removing_a_user_from_a_department_releases_only_that_departments_tasks(
    engine: ProcessEngine, org: Org, case: str
) -> None:
    user = engine.identity.create_user(SYSTEM, "two_hats", roles=["staff"], departments_=["D2", "D3"])
    actor = engine.identity.authenticate(engine.identity.create_token(SYSTEM, user.id).secret or "")
    d2, d3 = _task(engine, org, case, "D2"), _task(engine, org, case, "D3")
    engine.tasks.claim(actor, d2)
    engine.tasks.claim(actor, d3)
    engine.identity.update_user(org["admin"], user.id, departments_=["D3"])
    assert _state(engine, org, d2) == ("open", None)
    assert _state(engine, org, d3) == ("claimed", user.id)
    assert [e["reason"] for e in _unclaimed_events(engine, org, case)] == ["removed_from_department"]


def test_a_user_who_keeps_their_departments_keeps_their_claims(engine: ProcessEngine, org: Org, case: str) -> None:
    task_id = _task(engine, org, case, "D1")
    engine.tasks.claim(org["staff_D1"], task_id)
    engine.identity.update_user(org["admin"], org["staff_D1"].user_id or "", display_name="李娜")
    assert _state(engine, org, task_id) == ("claimed", org["staff_D1"].user_id)
    assert _unclaimed_events(engine, org, case) == []


def test_losing_every_working_role_releases_the_claims(engine: ProcessEngine, org: Org, case: str) -> None:
    task_id = _task(engine, org, case, "D3")
    engine.tasks.claim(org["staff_D3"], task_id)
    engine.identity.update_user(org["admin"], org["staff_D3"].user_id or "", roles=["auditor"], departments_=[])
    assert _state(engine, org, task_id) == ("open", None)
    assert [e["reason"] for e in _unclaimed_events(engine, org, case)] == ["roles_changed"]
