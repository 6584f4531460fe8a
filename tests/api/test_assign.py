"""Assigning a task to a person: inside its department, or together with the person's department when
the caller supervises both."""

from __future__ import annotations

import pytest

from engine import SYSTEM, ProcessEngine
from tests.api.conftest import Api, corpus, row_counts


@pytest.fixture
def task_d1(api: Api) -> str:
    """The open D1 step of a parallel case."""
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    case = api.start("parallel")
    task_id: str = api.task_for(case["id"], "task_d1")["id"]
    return task_id


def _problems(response: object) -> list[tuple[str, str]]:
    body = response.get_json()  # type: ignore[attr-defined]
    return [(p["code"], p["field"]) for p in body["errors"]]


def test_assigning_a_person_of_another_department_alone_is_not_a_member(
    api: Api, task_d1: str, database_url: str
) -> None:
    before = row_counts(database_url)
    response = api.post(f"/tasks/{task_d1}/assign", "supervisor_D1",
                        json={"user_id": api.org.user_ids["staff_D2"], "reason": "expert"})
    assert response.status_code == 422 and _problems(response) == [("not_a_member", "/user_id")]
    assert row_counts(database_url) == before
    assert api.post(f"/tasks/{task_d1}/complete", "staff_D2", json={"data": {}}).status_code == 404


def test_assigning_a_member_of_the_tasks_department_gives_them_the_task(api: Api, task_d1: str) -> None:
    person = api.org.user_ids["supervisor_D1"]
    response = api.post(f"/tasks/{task_d1}/assign", "supervisor_D1", json={"user_id": person, "reason": "mine"})
    assert response.status_code == 200
    assert {k: response.get_json()[k] for k in ("assignee", "department", "state")} == {
        "assignee": person, "department": "D1", "state": "claimed"}


def test_a_supervisor_of_both_departments_moves_the_task_to_a_person_there(
    api: Api, task_d1: str, engine: ProcessEngine
) -> None:
    both = engine.identity.create_user(SYSTEM, "supervisor_D1_D2", roles=["supervisor"], departments_=["D1", "D2"])
    api.org.tokens["supervisor_D1_D2"] = engine.identity.create_token(SYSTEM, both.id, "tests").secret or ""
    person = api.org.user_ids["staff_D2"]
    response = api.post(f"/tasks/{task_d1}/assign", "supervisor_D1_D2",
                        json={"user_id": person, "department": "D2", "reason": "their expert"})
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["department"], response.get_json()["assignee"]) == ("D2", person)
    assert api.post(f"/tasks/{task_d1}/complete", "staff_D2", json={"data": {}}).status_code == 200


def test_naming_a_department_the_caller_does_not_supervise_is_forbidden(
    api: Api, task_d1: str, database_url: str
) -> None:
    before = row_counts(database_url)
    response = api.post(f"/tasks/{task_d1}/assign", "supervisor_D1",
                        json={"user_id": api.org.user_ids["staff_D2"], "department": "D2", "reason": "x"})
    assert response.status_code == 403
    assert row_counts(database_url) == before


def test_the_person_must_belong_to_the_named_department(api: Api, task_d1: str) -> None:
    response = api.post(f"/tasks/{task_d1}/assign", "admin",
                        json={"user_id": api.org.user_ids["staff_D3"], "department": "D2", "reason": "x"})
    assert response.status_code == 422 and _problems(response) == [("not_a_member", "/user_id")]
