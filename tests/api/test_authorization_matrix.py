"""Who may do what, through HTTP: role x own/other department x endpoint.

The expected statuses are written out by hand below (not derived from the engine's policy code).
"Own" is D1: every case here is owned by D1 and its task is in D1. "Other" is D2, which has no part
in those cases. Each row runs every role on a fresh case, so a mutation by one role never changes
what the next one sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from engine import SYSTEM, ProcessEngine
from tests.api.conftest import TESTS, Api, api_model, corpus

ROLES = ("staff_D1", "staff_D2", "supervisor_D1", "supervisor_D2", "admin", "auditor", "designer", "applicant")

FAR_FUTURE = (datetime.now(UTC) + timedelta(days=365)).isoformat()

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
    "extend deadline":         (403,    404,    200,    404,    200,   403,    404,     404),
    "reassign task":           (403,    404,    200,    404,    200,   403,    404,     404),
    "send back task":          (403,    404,    200,    404,    200,   403,    404,     404),
    "supervision list":        (403,    403,    200,    200,    200,   200,    403,     403),
    "list notifications":      (200,    200,    200,    200,    200,   200,    200,     200),
    "mark notifications sent": (403,    403,    403,    403,    200,   403,    403,     403),
    "list calendar overrides": (200,    200,    200,    200,    200,   200,    200,     200),
    "set calendar day":        (403,    403,    403,    403,    200,   403,    403,     403),
    "remove calendar day":     (403,    403,    403,    403,    204,   403,    403,     403),
    "comment on case":         (201,    404,    201,    404,    201,   403,    404,     404),
    "comment on task":         (201,    404,    201,    404,    201,   403,    404,     404),
    "search audit events":     (200,    200,    200,    200,    200,   200,    200,     403),
    "verify case chain":       (200,    404,    200,    404,    200,   200,    404,     404),
    "verify every chain":      (403,    403,    403,    403,    200,   200,    403,     403),
    "deliver message":         (200,    404,    200,    404,    200,   403,    403,     403),
    "message to named case":   (200,    404,    200,    404,    200,   403,    403,     403),
    "list incidents of case":  (200,    404,    200,    404,    200,   200,    404,     404),
    "list incidents":          (200,    200,    200,    200,    200,   200,    200,     200),
    "unclaim staff_D1's task": (200,    404,    200,    404,    200,   403,    404,     404),
    "get staff_D2's user":     (404,    200,    404,    404,    200,   404,    404,     404),
    "update user":             (403,    403,    403,    403,    200,   403,    403,     403),
    "create token for D1 staff": (201,  403,    403,    403,    201,   403,    403,     403),
    "revoke D1 staff's token": (204,    404,    404,    404,    204,   404,    404,     404),
    "list definitions":        (200,    200,    200,    200,    200,   200,    200,     200),
    "get staff-only definition": (200,  200,    200,    200,    200,   200,    200,     404),
    "get applicant definition": (200,   200,    200,    200,    200,   200,    200,     200),
    "start D2's process for D1": (403,  422,    403,    422,    201,   403,    403,     422),
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

    def review_case(self) -> str:
        """A fresh deadlines case owned by D1 (its D2 steps moved to D3) at its review step, which may be
        sent back; returns the id of that D1 task."""
        case = self.engine.runtime.start(SYSTEM, "deadlines", department="D1", variables={"reply_limit": "P3D"})
        for _ in ("accept", "reply", "quick"):
            self.engine.tasks.complete(SYSTEM, self.engine.runtime.get(SYSTEM, case.id).open_tasks[0].id, {})
        review = self.engine.runtime.get(SYSTEM, case.id).open_tasks[0]
        assert (review.activity_id, review.department) == ("review", "D1")
        return review.id

    def closed_day(self) -> str:
        """A day with an override (set afresh), for removing it."""
        self.engine.calendars.set_day(SYSTEM, date(2030, 1, 2), working=False, note="matrix")
        return "2030-01-02"

    def error_case(self) -> str:
        """A fresh exclusive_inclusive case owned by D1, in error (the gateway misses `priority`)."""
        case = self.engine.runtime.start(SYSTEM, "exclusive_inclusive", department="D1")
        self.engine.tasks.complete(SYSTEM, case.open_tasks[0].id, {})
        assert self.engine.runtime.get(SYSTEM, case.id).state == "error"
        return case.id


    def waiting_case(self, order_id: str) -> str:
        """A fresh message_receiver case owned by D1, waiting for `order_ready` with this order id."""
        case = self.engine.runtime.start(SYSTEM, "message_receiver", department="D1", variables={"order_id": order_id})
        self.engine.tasks.complete(SYSTEM, case.open_tasks[0].id, {})
        return case.id

    def claimed_by_staff(self) -> str:
        """The D1 task of a fresh form_check case, claimed by staff_D1."""
        task_id = self.form_case()[1]
        assert self.api.post(f"/tasks/{task_id}/claim", "staff_D1").status_code == 200
        return task_id

    def throwaway_user(self, unique: str) -> str:
        response = self.api.post("/users", "admin", json={"username": unique, "roles": ["designer"]})
        assert response.status_code == 201, response.get_json()
        return str(response.get_json()["id"])

    def staff_token(self) -> str:
        response = self.api.post(f"/users/{self.api.org.user_ids['staff_D1']}/tokens", "admin", json={"name": "m"})
        assert response.status_code == 201, response.get_json()
        return str(response.get_json()["id"])

    def definition_id(self, key: str) -> str:
        found = [d for d in self.api.get("/process-definitions", "admin").get_json() if d["key"] == key]
        return str(found[0]["id"])


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
        "extend deadline": lambda: api.post(f"/tasks/{scene.form_case()[1]}/deadline", role,
                                            json={"due_at": FAR_FUTURE, "reason": "matrix"}),
        "reassign task": lambda: api.post(f"/tasks/{scene.form_case()[1]}/assign", role,
                                          json={"department": "D3", "reason": "matrix"}),
        "send back task": lambda: api.post(f"/tasks/{scene.review_case()}/send-back", role,
                                           json={"reason": "matrix"}),
        "supervision list": lambda: api.get("/supervision", role),
        "list notifications": lambda: api.get("/notifications", role),
        "mark notifications sent": lambda: api.post("/notifications/sent", role, json={"ids": []}),
        "list calendar overrides": lambda: api.get("/calendar/overrides", role),
        "set calendar day": lambda: api.call("PUT", "/calendar/overrides/2030-01-01", role,
                                             json={"working": False, "note": "matrix"}),
        "remove calendar day": lambda: api.delete(f"/calendar/overrides/{scene.closed_day()}", role),
        "comment on case": lambda: api.post(f"/process-instances/{scene.form_case()[0]}/comments", role,
                                            json={"text": "matrix"}),
        "comment on task": lambda: api.post(f"/tasks/{scene.form_case()[1]}/comments", role,
                                            json={"text": "matrix"}),
        "search audit events": lambda: api.get("/audit-events", role),
        "verify case chain": lambda: api.get(f"/process-instances/{scene.form_case()[0]}/audit/verify", role),
        "verify every chain": lambda: api.get("/audit/verify", role),
        "deliver message": lambda: _deliver(scene, role, unique, named=False),
        "message to named case": lambda: _deliver(scene, role, unique, named=True),
        "list incidents of case": lambda: api.get("/incidents", role, query_string={"instance_id": scene.error_case()}),
        "list incidents": lambda: api.get("/incidents", role),
        "unclaim staff_D1's task": lambda: api.post(f"/tasks/{scene.claimed_by_staff()}/unclaim", role),
        "get staff_D2's user": lambda: api.get(f"/users/{api.org.user_ids['staff_D2']}", role),
        "update user": lambda: api.patch(f"/users/{scene.throwaway_user(unique)}", role,
                                         json={"display_name": "matrix"}),
        "create token for D1 staff": lambda: api.post(f"/users/{api.org.user_ids['staff_D1']}/tokens", role,
                                                      json={"name": "matrix"}),
        "revoke D1 staff's token": lambda: api.delete(f"/tokens/{scene.staff_token()}", role),
        "list definitions": lambda: api.get("/process-definitions", role),
        "get applicant definition": lambda: api.get(f"/process-definitions/{scene.definition_id('restricted')}", role),
        "start D2's process for D1": lambda: api.post("/process-definitions/key/restricted/start", role,
                                                      json={"department": "D1"}),
        "get staff-only definition": lambda: api.get(f"/process-definitions/{scene.definition_id('form_check')}", role),
    }
    response = calls[row]()
    return int(response.status_code)


def _deliver(scene: Scene, role: str, unique: str, *, named: bool) -> Any:
    """`order_ready` to a fresh D1 case, by correlation or by naming the case; a staff role of another
    department finds no case either way (the case is invisible, not merely not matching)."""
    instance_id = scene.waiting_case(unique)
    body: dict[str, Any] = {"name": "order_ready", "payload": {"order_id": unique}}
    if named:
        body["instance_id"] = instance_id
    else:
        body["correlation"] = {"order_id": unique}
    return scene.api.post("/messages", role, json=body)


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
    assert api.deploy(_deadlines_without_d2()).status_code == 201
    assert api.deploy(corpus("message_receiver.bpmn")).status_code == 201
    # startableBy D2, startableByApplicant, ownerDepartment D2
    restricted = (TESTS / "engine" / "processes" / "restricted.bpmn").read_bytes()
    assert api.deploy({"restricted.bpmn": restricted}).status_code == 201
    return Scene(api, engine)


def _deadlines_without_d2() -> dict[str, bytes]:
    """deadlines.bpmn with its D2 lane named D3, so D2 stays "other" (no part in the case)."""
    source = (TESTS / "engine" / "processes" / "deadlines.bpmn").read_bytes()
    return {"deadlines.bpmn": source.replace(b'name="D2"', b'name="D3"')}


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


@pytest.mark.parametrize("how", ["revoked", "deactivated"])
def test_a_revoked_or_deactivated_token_opens_nothing(scene: Scene, how: str) -> None:
    api = scene.api
    user_id = api.org.user_ids["staff_D1"]
    issued = api.post(f"/users/{user_id}/tokens", "admin", json={"name": how}).get_json()
    api.org.tokens["staff_D1"] = issued["secret"]
    assert api.get("/users/me", "staff_D1").status_code == 200
    if how == "revoked":
        assert api.delete(f"/tokens/{issued['id']}", "admin").status_code == 204
    else:
        assert api.patch(f"/users/{user_id}", "admin", json={"active": False}).status_code == 200
    case_id, task_id = scene.form_case()
    for response in (
        api.get("/users/me", "staff_D1"),
        api.get(f"/process-instances/{case_id}", "staff_D1"),
        api.post(f"/tasks/{task_id}/claim", "staff_D1"),
        api.post("/messages", "staff_D1", json={"name": "order_ready", "instance_id": scene.waiting_case(how)}),
    ):
        assert response.status_code == 401, response.get_json()
