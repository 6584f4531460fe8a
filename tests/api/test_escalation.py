"""Escalation (督办) to another department: its supervisors may see and supervise the overdue task, and
the 督办 task has its own form (what was done about it), not the overdue step's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import FrozenClock, ProcessEngine
from engine.worker import Worker
from tests.api.conftest import Api
from tests.api.test_supervision import DEADLINES, LATER, MONDAY_0900, complete, start, task


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MONDAY_0900)



@pytest.fixture
def escalated(api: Api, engine: ProcessEngine, clock: FrozenClock) -> str:
    """A case whose D2 ``reply`` step is overdue and escalated to D3 (the process's escalateTo)."""
    assert api.deploy({"deadlines.bpmn": DEADLINES.read_bytes()}).status_code == 201
    case = start(api)
    complete(api, case, "accept", "staff_D1")
    clock.advance(timedelta(days=5))
    assert Worker(engine).run_once().escalated == 1
    return case


def _escalation_task(api: Api, case: str) -> str:
    found = [t["id"] for t in api.tasks_of(case) if t["kind"] == "escalation"]
    assert len(found) == 1
    return found[0]


def test_supervisors_of_the_escalation_department_see_the_overdue_task(api: Api, escalated: str) -> None:
    reply = task(api, escalated, "reply")
    response = api.get(f"/tasks/{reply}", "supervisor_D3")
    assert response.status_code == 200 and response.get_json()["department"] == "D2"
    assert api.get(f"/tasks/{reply}", "staff_D3").status_code == 404


def test_supervisors_of_the_escalation_department_extend_the_overdue_task(api: Api, escalated: str) -> None:
    reply = task(api, escalated, "reply")
    response = api.post(f"/tasks/{reply}/deadline", "supervisor_D3",
                        json={"due_at": (LATER + timedelta(days=7)).isoformat(), "reason": "督办: 延期一周"})
    assert response.status_code == 200, response.get_json()


def test_supervisors_of_the_escalation_department_reassign_the_overdue_task(api: Api, escalated: str) -> None:
    reply = task(api, escalated, "reply")
    response = api.post(f"/tasks/{reply}/assign", "supervisor_D3", json={"department": "D1", "reason": "督办: 改派"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["department"] == "D1"


def test_the_escalation_task_has_its_own_form(api: Api, escalated: str) -> None:
    view = api.get(f"/tasks/{_escalation_task(api, escalated)}", "supervisor_D3").get_json()
    assert view["form"]["required"] == ["action", "comment"]
    assert view["form"]["properties"]["action"]["enum"] == ["extended", "reassigned", "urged", "no_action"]


def test_the_escalation_task_needs_an_action_and_a_comment(api: Api, escalated: str) -> None:
    escalation = _escalation_task(api, escalated)
    refused = api.post(f"/tasks/{escalation}/complete", "supervisor_D3", json={"data": {"action": "later"}})
    assert refused.status_code == 422
    assert sorted(p["field"] for p in refused.get_json()["errors"]) == ["/action", "/comment"]
    done = api.post(f"/tasks/{escalation}/complete", "supervisor_D3",
                    json={"data": {"action": "urged", "comment": "已电话催办"}})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["task"]["data"] == {"action": "urged", "comment": "已电话催办"}
