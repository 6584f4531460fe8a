"""The inbox on the server: `GET /tasks?inbox=true` lists the open steps of the caller's departments and
the steps the caller claimed, paged, filtered and counted by the database; `GET /tasks/inbox-counts`
gives its counts per status in one request."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, corpus


@pytest.fixture
def cases(api: Api) -> dict[str, list[str]]:
    """Three `parallel` cases (a step each in D1, D2, D3) and two `standard_loop` cases (a D1 step)."""
    assert api.deploy(corpus("parallel.bpmn", "standard_loop.bpmn")).status_code == 201
    return {
        "parallel": [api.start("parallel", business_key=f"P{n}")["id"] for n in range(3)],
        "standard_loop": [api.start("standard_loop", business_key=f"L{n}")["id"] for n in range(2)],
    }


def inbox(api: Api, as_: str, **query: Any) -> tuple[list[dict[str, Any]], str]:
    response = api.get("/tasks", as_, query_string={"inbox": "true", "sort": "due_at", **query})
    assert response.status_code == 200, response.get_json()
    return response.get_json(), response.headers["X-Total-Count"]


def counts(api: Api, as_: str, **query: Any) -> dict[str, Any]:
    response = api.get("/tasks/inbox-counts", as_, query_string=query)
    assert response.status_code == 200, response.get_json()
    found: dict[str, Any] = response.get_json()
    return found


def test_the_inbox_holds_the_open_steps_of_my_departments(api: Api, cases: dict[str, list[str]]) -> None:
    rows, total = inbox(api, "staff_D1")
    assert total == "5" and {r["department"] for r in rows} == {"D1"} and {r["state"] for r in rows} == {"open"}
    assert inbox(api, "staff_D2")[1] == "3"


def test_a_step_claimed_by_a_colleague_leaves_my_inbox_and_is_in_theirs(
    api: Api, cases: dict[str, list[str]]
) -> None:
    task = api.task_for(cases["parallel"][0], "task_d1")
    assert api.post(f"/tasks/{task['id']}/claim", "supervisor_D1").status_code == 200
    mine, _ = inbox(api, "supervisor_D1", state="claimed")
    assert [r["id"] for r in mine] == [task["id"]]
    assert task["id"] not in [r["id"] for r in inbox(api, "staff_D1")[0]]
    assert counts(api, "staff_D1") == {"all": 4, "open": 4, "mine": 0, "due_soon": 0, "overdue": 0, "capped": False}
    assert counts(api, "supervisor_D1")["mine"] == 1 and counts(api, "supervisor_D1")["all"] == 5


def test_people_without_a_department_have_an_empty_inbox(api: Api, cases: dict[str, list[str]]) -> None:
    assert inbox(api, "auditor") == ([], "0")
    assert counts(api, "auditor")["all"] == 0


def test_the_process_filter_narrows_the_inbox_and_its_counts(api: Api, cases: dict[str, list[str]]) -> None:
    rows, total = inbox(api, "staff_D1", process_key="standard_loop")
    assert total == "2" and {r["process_key"] for r in rows} == {"standard_loop"}
    assert counts(api, "staff_D1", process_key="parallel")["all"] == 3


def test_the_inbox_pages_on_the_server(api: Api, cases: dict[str, list[str]]) -> None:
    first, total = inbox(api, "staff_D1", page_size=2)
    later, _ = inbox(api, "staff_D1", page_size=2, page=3)
    assert total == "5" and len(first) == 2 and len(later) == 1
    every = [r["id"] for page in (1, 2, 3) for r in inbox(api, "staff_D1", page_size=2, page=page)[0]]
    assert len(set(every)) == 5


def test_the_counts_follow_the_due_statuses(api: Api, cases: dict[str, list[str]]) -> None:
    found = counts(api, "staff_D1")
    listed = {status: int(inbox(api, "staff_D1", due_status=status)[1]) for status in ("due_soon", "overdue")}
    assert (found["due_soon"], found["overdue"]) == (listed["due_soon"], listed["overdue"])
