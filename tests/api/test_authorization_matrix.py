"""Who may do what, through HTTP: role x own/other department x endpoint.

The expected statuses are written out by hand below (not derived from the engine's policy code).
"Own" is D1: every case here is owned by D1 and its task is in D1. "Other" is D2, which has no part
in those cases. Each row runs every role on a fresh case, so a mutation by one role never changes
what the next one sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from engine import SYSTEM, ProcessEngine
from tests.api.conftest import Api, api_model, corpus

ROLES = ("staff_D1", "staff_D2", "supervisor_D1", "supervisor_D2", "admin", "auditor", "designer", "applicant")

# endpoint                      staff   staff   super.  super.  admin  auditor designer applicant
#                               own     other   own     other
MATRIX: dict[str, tuple[int, ...]] = {
    "get case":                (200,    404,    200,    404,    200,   200,    404,     404),
    "case history":            (200,    404,    200,    404,    200,   200,    404,     404),
    "get task":                (200,    404,    200,    404,    200,   200,    404,     404),
    "claim task":              (200,    404,    200,    404,    200,   403,    404,     404),
    "complete task":           (200,    404,    200,    404,    200,   403,    404,     404),
    "cancel case":             (403,    404,    200,    404,    200,   403,    404,     404),
    "patch variables":         (403,    404,    200,    404,    200,   403,    404,     404),
    "retry case":              (403,    404,    200,    404,    200,   403,    404,     404),
    "deploy":                  (403,    403,    403,    403,    201,   403,    201,     403),
    "start for D1":            (201,    422,    201,    422,    201,   403,    403,     403),
    "create department":       (403,    403,    403,    403,    201,   403,    403,     403),
    "create user":             (403,    403,    403,    403,    201,   403,    403,     403),
    "list users":              (403,    403,    200,    200,    200,   200,    403,     403),
    "get /users/me":           (200,    200,    200,    200,    200,   200,    200,     200),
}

# Which tasks of one `parallel` case (lanes D1, D2, D3) each role finds in GET /tasks.
VISIBLE_TASKS: dict[str, set[str]] = {
    "staff_D1": {"task_d1"},
    "staff_D2": {"task_d2"},
    "supervisor_D1": {"task_d1"},
    "supervisor_D2": {"task_d2"},
    "admin": {"task_d1", "task_d2", "task_d3"},
    "auditor": {"task_d1", "task_d2", "task_d3"},
    "designer": set(),
    "applicant": set(),
}


@dataclass
class Scene:
    api: Api
    engine: ProcessEngine

    def form_case(self) -> tuple[str, str]:
        """A fresh form_check case owned by D1; returns (case id, id of its open D1 task)."""
        case = self.engine.runtime.start(SYSTEM, "form_check", department="D1")
        return case.id, case.open_tasks[0].id

    def error_case(self) -> str:
        """A fresh exclusive_inclusive case owned by D1, in error (the gateway misses `priority`)."""
        case = self.engine.runtime.start(SYSTEM, "exclusive_inclusive", department="D1")
        self.engine.tasks.complete(SYSTEM, case.open_tasks[0].id, {})
        assert self.engine.runtime.get(SYSTEM, case.id).state == "error"
        return case.id


def _call(scene: Scene, row: str, role: str) -> int:
    api = scene.api
    unique = f"{row.replace(' ', '_').replace('/', '')}_{role}"
    calls: dict[str, Callable[[], Any]] = {
        "get case": lambda: api.get(f"/process-instances/{scene.form_case()[0]}", role),
        "case history": lambda: api.get(f"/process-instances/{scene.form_case()[0]}/history", role),
        "get task": lambda: api.get(f"/tasks/{scene.form_case()[1]}", role),
        "claim task": lambda: api.post(f"/tasks/{scene.form_case()[1]}/claim", role),
        "complete task": lambda: api.post(f"/tasks/{scene.form_case()[1]}/complete", role,
                                          json={"data": {"decision": "approve", "amount": 3}}),
        "cancel case": lambda: api.post(f"/process-instances/{scene.form_case()[0]}/cancel", role,
                                        json={"reason": "matrix"}),
        "patch variables": lambda: api.patch(f"/process-instances/{scene.form_case()[0]}/variables", role,
                                             json={"set": {"x": 1}, "reason": "matrix"}),
        "retry case": lambda: api.post(f"/process-instances/{scene.error_case()}/retry", role),
        "deploy": lambda: api.deploy(_renamed_form_model(unique), as_=role),
        "start for D1": lambda: api.post("/process-definitions/key/form_check/start", role,
                                         json={"department": "D1"}),
        "create department": lambda: api.post("/departments", role, json={"code": unique[:60], "name": "x"}),
        "create user": lambda: api.post("/users", role, json={"username": unique, "roles": ["designer"]}),
        "list users": lambda: api.get("/users", role),
        "get /users/me": lambda: api.get("/users/me", role),
    }
    response = calls[row]()
    return int(response.status_code)


def _renamed_form_model(key: str) -> dict[str, bytes]:
    files = api_model("form_check.bpmn", "approve.json")
    files["form_check.bpmn"] = files["form_check.bpmn"].replace(b'id="form_check"', f'id="{key}"'.encode())
    files["form_check.bpmn"] = files["form_check.bpmn"].replace(b'processRef="form_check"',
                                                                f'processRef="{key}"'.encode())
    return files


@pytest.fixture
def scene(api: Api, engine: ProcessEngine) -> Scene:
    assert api.deploy(api_model("form_check.bpmn", "approve.json")).status_code == 201
    assert api.deploy(corpus("exclusive_inclusive.bpmn")).status_code == 201
    return Scene(api, engine)


@pytest.mark.parametrize("row", list(MATRIX))
def test_authorization_matrix(scene: Scene, row: str) -> None:
    got = {role: _call(scene, row, role) for role in ROLES}
    expected = dict(zip(ROLES, MATRIX[row], strict=True))
    assert got == expected, f"{row}: " + ", ".join(
        f"{role} expected {expected[role]} got {got[role]}" for role in ROLES if got[role] != expected[role]
    )


def test_task_list_shows_each_role_its_departments_tasks(scene: Scene) -> None:
    assert scene.api.deploy(corpus("parallel.bpmn")).status_code == 201
    case = scene.engine.runtime.start(SYSTEM, "parallel", department="D1")
    seen = {}
    for role in ROLES:
        response = scene.api.get("/tasks", role, query_string={"state": "open"})
        assert response.status_code == 200
        seen[role] = {t["activity_id"] for t in response.get_json() if t["id"] in _task_ids(scene, case.id)}
    assert seen == VISIBLE_TASKS


def _task_ids(scene: Scene, instance_id: str) -> set[str]:
    return {t["id"] for t in scene.api.tasks_of(instance_id)}
