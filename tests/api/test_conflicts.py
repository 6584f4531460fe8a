"""Conflicts through HTTP: 409 problems that leave the database as it was."""

from __future__ import annotations

import pytest
from werkzeug.test import TestResponse

from engine import SYSTEM, ProcessEngine
from tests.api.conftest import PROBLEM_JSON, Api, api_model, row_counts


@pytest.fixture
def task_id(api: Api, engine: ProcessEngine) -> str:
    assert api.deploy(api_model("form_check.bpmn", "approve.json")).status_code == 201
    return engine.runtime.start(SYSTEM, "form_check", department="D1").open_tasks[0].id


def assert_conflict(response: TestResponse, code: str) -> None:
    assert response.status_code == 409
    assert response.mimetype == PROBLEM_JSON
    assert response.get_json()["code"] == code


def test_claiming_a_task_claimed_by_someone_else_is_409(api: Api, task_id: str, database_url: str) -> None:
    assert api.post(f"/tasks/{task_id}/claim", "supervisor_D1").status_code == 200
    before = row_counts(database_url)
    assert_conflict(api.post(f"/tasks/{task_id}/claim", "staff_D1"), "task_claimed_by_other")
    assert row_counts(database_url) == before


def test_completing_a_task_claimed_by_someone_else_is_409(api: Api, task_id: str, database_url: str) -> None:
    assert api.post(f"/tasks/{task_id}/claim", "supervisor_D1").status_code == 200
    before = row_counts(database_url)
    response = api.post(f"/tasks/{task_id}/complete", "staff_D1", json={"data": {"decision": "approve", "amount": 1}})
    assert_conflict(response, "task_claimed_by_other")
    assert row_counts(database_url) == before


def test_completing_a_completed_task_is_409(api: Api, task_id: str, database_url: str) -> None:
    data = {"data": {"decision": "approve", "amount": 1}}
    assert api.post(f"/tasks/{task_id}/complete", "staff_D1", json=data).status_code == 200
    before = row_counts(database_url)
    assert_conflict(api.post(f"/tasks/{task_id}/complete", "staff_D1", json=data), "task_not_open")
    assert row_counts(database_url) == before


def test_duplicate_business_key_is_409(api: Api, task_id: str, database_url: str) -> None:
    api.start("form_check", business_key="ORDER-7")
    before = row_counts(database_url)
    response = api.post("/process-definitions/key/form_check/start", "staff_D1", json={"business_key": "ORDER-7"})
    assert_conflict(response, "duplicate_business_key")
    assert row_counts(database_url) == before


def test_cancelling_a_cancelled_case_is_409(api: Api, task_id: str, database_url: str) -> None:
    case_id = api.get(f"/tasks/{task_id}").get_json()["instance_id"]
    assert api.post(f"/process-instances/{case_id}/cancel", json={"reason": "dup"}).status_code == 200
    before = row_counts(database_url)
    assert_conflict(api.post(f"/process-instances/{case_id}/cancel", json={"reason": "again"}), "case_not_active")
    assert row_counts(database_url) == before


def test_retrying_a_running_case_is_409(api: Api, task_id: str, database_url: str) -> None:
    case_id = api.get(f"/tasks/{task_id}").get_json()["instance_id"]
    before = row_counts(database_url)
    assert_conflict(api.post(f"/process-instances/{case_id}/retry"), "case_not_in_error")
    assert row_counts(database_url) == before
