"""Every bad input through HTTP: a 4xx ``application/problem+json`` with a stable code, JSON Pointers
for invalid fields, and every table of the database exactly as it was."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from engine import SYSTEM, ProcessEngine
from tests.api.conftest import PROBLEM_JSON, Api, api_model, corpus, row_counts

UNKNOWN = str(uuid.UUID(int=12345))


@dataclass(frozen=True)
class Bad:
    method: str
    path: str  # {case}, {task}, {user}, {unknown} are filled in
    status: int
    code: str
    fields: tuple[str, ...] = ()  # JSON Pointers the problem must name
    as_: str | None = "admin"
    kwargs: dict[str, Any] = field(default_factory=dict)


BAD: dict[str, Bad] = {
    "malformed json": Bad("POST", "/departments", 400, "malformed_json",
                          kwargs={"data": '{"code": "X",', "content_type": "application/json"}),
    "json array instead of object": Bad("POST", "/departments", 422, "invalid_input", ("",), kwargs={"json": [1]}),
    "unknown field": Bad("POST", "/departments", 422, "invalid_input", ("/colour",),
                         kwargs={"json": {"code": "X", "name": "x", "colour": "red"}}),
    "missing required field": Bad("POST", "/departments", 422, "invalid_input", ("/name",),
                                  kwargs={"json": {"code": "X"}}),
    "wrong types on start": Bad("POST", "/process-definitions/key/form_check/start", 422, "invalid_input",
                                ("/variables", "/version"), "staff_D1",
                                kwargs={"json": {"variables": "all", "version": "two"}}),
    "version out of range": Bad("POST", "/process-definitions/key/form_check/start", 422, "invalid_input",
                                ("/version",), "staff_D1", kwargs={"json": {"version": 2**70}}),
    "task data not an object": Bad("POST", "/tasks/{task}/complete", 422, "invalid_input", ("/data",),
                                   "staff_D1", kwargs={"json": {"data": [1, 2]}}),
    "patch variables without reason": Bad("PATCH", "/process-instances/{case}/variables", 422, "invalid_input",
                                          ("/reason",), kwargs={"json": {"set": {"a": 1}}}),
    "patch variables with nothing to do": Bad("PATCH", "/process-instances/{case}/variables", 422,
                                              "invalid_input", ("/set",), kwargs={"json": {"reason": "why"}}),
    "page_size 500": Bad("GET", "/tasks?page_size=500", 422, "invalid_input", ("/page_size",)),
    "page 0": Bad("GET", "/process-instances?page=0", 422, "invalid_input", ("/page",)),
    "page not a number": Bad("GET", "/users?page=two", 422, "invalid_input", ("/page",)),
    "sort by unknown field": Bad("GET", "/tasks?sort=-password", 422, "invalid_input", ("/sort",)),
    "unknown query parameter": Bad("GET", "/tasks?stat=open", 422, "invalid_input", ("/stat",)),
    "bad task state filter": Bad("GET", "/tasks?state=sleeping", 422, "invalid_input", ("/state",)),
    "bad case state filter": Bad("GET", "/process-instances?state=asleep", 422, "invalid_input", ("/state",)),
    "NUL in a filter": Bad("GET", "/tasks?department=D%001", 422, "invalid_input", ("/department",)),
    "overlong department code": Bad("POST", "/departments", 422, "invalid_input", ("/code",),
                                    kwargs={"json": {"code": "D" * 65, "name": "x"}}),
    "non-UUID instance filter": Bad("GET", "/tasks?instance_id=42", 422, "invalid_input", ("/instance_id",)),
    "unknown role": Bad("POST", "/users", 422, "invalid_input", ("/roles/0",),
                        kwargs={"json": {"username": "neo", "roles": ["wizard"]}}),
    "unknown department for user": Bad("POST", "/users", 422, "invalid_input", ("/departments/0",),
                                       kwargs={"json": {"username": "neo", "roles": ["staff"],
                                                        "departments": ["NOPE"]}}),
    "start for an unknown department": Bad("POST", "/process-definitions/key/form_check/start", 422,
                                           "invalid_input", ("/department",), kwargs={"json": {"department": "ZZ"}}),
    "non-UUID task id": Bad("GET", "/tasks/not-a-uuid", 404, "not_found"),
    "non-UUID case id": Bad("POST", "/process-instances/123/cancel", 404, "not_found"),
    "non-UUID user id": Bad("PATCH", "/users/xyz", 404, "not_found", kwargs={"json": {"active": False}}),
    "non-UUID token id": Bad("DELETE", "/tokens/abc", 404, "not_found"),
    "unknown task": Bad("POST", "/tasks/{unknown}/claim", 404, "task_not_found", as_="staff_D1"),
    "unknown case": Bad("GET", "/process-instances/{unknown}", 404, "case_not_found"),
    "unknown case history": Bad("GET", "/process-instances/{unknown}/history", 404, "case_not_found"),
    "unknown definition": Bad("GET", "/process-definitions/{unknown}/xml", 404, "definition_not_found"),
    "unknown process key": Bad("POST", "/process-definitions/key/nope/start", 404, "definition_not_found",
                               kwargs={"json": {}}),
    "unknown user": Bad("PATCH", "/users/{unknown}", 404, "user_not_found", kwargs={"json": {"active": False}}),
    "token for unknown user": Bad("POST", "/users/{unknown}/tokens", 404, "user_not_found", kwargs={"json": {}}),
    "unknown token": Bad("DELETE", "/tokens/{unknown}", 404, "token_not_found"),
    "unknown route": Bad("GET", "/nothing-here", 404, "not_found"),
    "wrong method": Bad("DELETE", "/tasks", 405, "method_not_allowed"),
    "message with no waiting case": Bad("POST", "/messages", 404, "no_waiting_case", as_="staff_D1",
                                        kwargs={"json": {"name": "order_ready", "correlation": {"order_id": "A"}}}),
    "duplicate department": Bad("POST", "/departments", 409, "department_exists",
                                kwargs={"json": {"code": "D1", "name": "again"}}),
    "form data that fails the form": Bad(
        "POST", "/tasks/{task}/complete", 422, "invalid_input", ("/decision", "/amount", "/comment"), "staff_D1",
        kwargs={"json": {"data": {"decision": "maybe", "amount": "lots", "comment": "x" * 30}}}),
    "form data missing required fields": Bad("POST", "/tasks/{task}/complete", 422, "invalid_input",
                                             ("/decision", "/amount"), "staff_D1", kwargs={"json": {"data": {}}}),
    "JSON nested too deeply": Bad("POST", "/departments", 422, "invalid_input", ("",),
                                  kwargs={"data": "[" * 50_000 + "]" * 50_000, "content_type": "application/json"}),
    "lone surrogate in a string": Bad("POST", "/process-definitions/key/form_check/start", 422, "invalid_input",
                                      ("",), kwargs={"data": '{"variables": {"x": "\\ud800"}}',
                                                     "content_type": "application/json"}),
    "non-finite number": Bad("POST", "/tasks/{task}/complete", 422, "invalid_input", ("",), "staff_D1",
                             kwargs={"data": '{"data": {"amount": 1e999}}', "content_type": "application/json"}),
    "no token": Bad("GET", "/tasks", 401, "token_missing", as_=None),
    "unknown token secret": Bad("GET", "/tasks", 401, "bad_token", as_=None,
                                kwargs={"headers": {"Authorization": "Bearer wt_nope"}}),
    "not a bearer header": Bad("GET", "/tasks", 401, "bad_token", as_=None,
                               kwargs={"headers": {"Authorization": "Basic YTpi"}}),
}


@pytest.fixture
def ids(api: Api, engine: ProcessEngine) -> dict[str, str]:
    assert api.deploy(api_model("form_check.bpmn", "approve.json")).status_code == 201
    assert api.deploy(corpus("message_receiver.bpmn")).status_code == 201
    case = engine.runtime.start(SYSTEM, "form_check", department="D1")
    return {"case": case.id, "task": case.open_tasks[0].id, "user": api.org.user_ids["staff_D1"],
            "unknown": UNKNOWN}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_a_problem_and_changes_nothing(api: Api, ids: dict[str, str], database_url: str,
                                                     name: str) -> None:
    bad = BAD[name]
    before = row_counts(database_url)
    response = api.call(bad.method, bad.path.format(**ids), bad.as_, **bad.kwargs)
    assert response.status_code == bad.status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_JSON
    body = response.get_json()
    assert body["status"] == bad.status
    assert body["code"] == bad.code
    assert body["type"].endswith(bad.code) and body["title"] and body["detail"]
    named = {e["field"] for e in body.get("errors", [])}
    assert set(bad.fields) <= named, body
    if bad.status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert row_counts(database_url) == before


def test_applicant_with_a_credit_code_already_taken_is_a_4xx(api: Api, database_url: str) -> None:
    first = {"username": "ap1", "roles": ["applicant"], "company": "A Co", "credit_code": "91310000X"}
    assert api.post("/users", json=first).status_code == 201
    before = row_counts(database_url)
    second = {"username": "ap2", "roles": ["applicant"], "company": "B Co", "credit_code": "91310000X"}
    response = api.post("/users", json=second)
    assert 400 <= response.status_code < 500
    assert row_counts(database_url) == before
