"""Task summaries (GET /tasks, a case's open_tasks, /supervision) say which case and process each task
belongs to, from one joined query rather than one query per task."""

from __future__ import annotations

from engine import ProcessEngine
from tests.api.conftest import Api, corpus
from tests.sql_events import statements_run

CASE_FIELDS = ("instance_id", "case_number", "business_key", "process_key", "process_name", "created_at")


def test_task_list_summaries_name_their_case_and_process(api: Api) -> None:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    case = api.start("parallel", business_key="沪A-0001")
    listed = api.get("/tasks", "staff_D1").get_json()
    assert len(listed) == 1
    assert {name: listed[0][name] for name in CASE_FIELDS[:-1]} == {
        "instance_id": case["id"],
        "case_number": case["number"],
        "business_key": "沪A-0001",
        "process_key": "parallel",
        "process_name": "Parallel review",
    }
    assert listed[0]["created_at"] == case["started_at"]


def test_a_cases_open_tasks_name_their_case(api: Api) -> None:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    case = api.start("parallel", business_key="REQ-1")
    for summary in case["open_tasks"]:
        assert summary["case_number"] == case["number"] and summary["process_name"] == "Parallel review"
        assert all(name in summary for name in CASE_FIELDS)


def test_a_task_view_names_its_case_number_and_process(api: Api) -> None:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    case = api.start("parallel")
    task = api.get(f"/tasks/{case['open_tasks'][0]['id']}", "staff_D1").get_json()
    assert (task["case_number"], task["process_name"]) == (case["number"], "Parallel review")


def test_the_task_list_costs_the_same_queries_for_one_case_or_many(api: Api, engine: ProcessEngine) -> None:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    api.start("parallel")
    api.get("/tasks", "admin")  # the first request of a token also builds its cached actor
    with statements_run(engine) as one:
        assert len(api.get("/tasks", "admin").get_json()) == 3
    for _ in range(4):
        api.start("parallel")
    with statements_run(engine) as many:
        assert len(api.get("/tasks", "admin").get_json()) == 15
    assert len(many) == len(one)
