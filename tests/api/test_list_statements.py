"""No list endpoint runs a query per row (issue 13, "Lists in SQL"): the SQL statements a page of 50 costs
are as many as a page of 5, counted on the engine's database connections over real HTTP requests."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from engine import FrozenClock, ProcessEngine
from engine.persistence.tables import notifications
from tests.api.conftest import Api, api_model, corpus
from tests.engine.conftest import process_files
from tests.sql_events import statements_run

CASES = 12  # more than the small page, so the pages of 5 and 50 differ


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def seeded(api: Api, engine: ProcessEngine, clock: FrozenClock) -> dict[str, str]:
    """Cases of two processes (with tasks in several departments, some with an applicant), cases in
    error, departments, users, calendar days and notifications: more than five of each list."""
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    assert api.deploy(api_model("ledger_case.bpmn")).status_code == 201
    assert api.deploy(process_files("incidents.bpmn", "pick.dmn")).status_code == 201
    for extra in ("exclusive_inclusive.bpmn", "multi_instance.bpmn", "standard_loop.bpmn"):
        assert api.deploy(corpus(extra)).status_code == 201
    applicant = api.org.user_ids["applicant"]
    cases = []
    for n in range(CASES):
        cases.append(api.start("parallel", business_key=f"case {n}")["id"])
        body: dict[str, Any] = {"variables": {"company": f"企业{n}", "category": "planning",
                                              "lead_department": ("D1", "D1", "D2")[n % 3]}}
        if n % 2:
            body["applicant_id"] = applicant
        api.start("ledger_case", **body)
    for _ in range(7):
        case = api.start("incidents")
        task = api.tasks_of(case["id"])[0]["id"]
        assert api.post(f"/tasks/{task}/complete", "staff_D1", json={"data": {"mode": "nothing"}}).status_code == 200
    for n in range(7):
        assert api.post("/departments", json={"code": f"X{n}", "name": f"部门X{n}"}).status_code == 201
        staff = {"username": f"user{n}", "roles": ["staff"], "departments": ["D1"]}
        assert api.post("/users", json=staff).status_code == 201
        company = {"username": f"company{n}", "roles": ["applicant"], "company": f"企业{n}有限公司"}
        assert api.post("/users", json=company).status_code == 201
        day = f"2030-01-{n + 2:02d}"
        assert api.call("PUT", f"/calendar/overrides/{day}", json={"working": False, "note": "test"}).status_code == 200
        assert api.post(f"/users/{applicant}/tokens", json={"name": f"t{n}"}).status_code == 201
    assert api.post("/process-instances/" + cases[0] + "/comments", "staff_D1", json={"text": "a"}).status_code < 300
    clock.advance(timedelta(days=10))  # the ledger cases' steps are overdue: a supervisor's list
    now = clock.now()
    with engine.db.transaction() as connection:  # notifications as the escalations write them
        connection.execute(insert(notifications), [
            {"id": str(uuid.uuid4()), "recipient_user_id": api.org.user_ids["supervisor_D1"], "kind": "escalation",
             "instance_id": cases[n], "task_id": None, "text": f"case {n} is overdue",
             "created_at": now - timedelta(minutes=n)}
            for n in range(CASES)
        ])
    return {"case": cases[0], "applicant": applicant}


LISTS = (
    ("/process-instances", "staff_D1", {}),
    ("/process-instances", "admin", {}),
    ("/process-instances", "applicant", {}),
    ("/tasks", "staff_D1", {}),
    ("/tasks", "auditor", {"state": "open"}),
    ("/supervision", "supervisor_D1", {}),
    ("/incidents", "admin", {}),
    ("/notifications", "admin", {"all": "true"}),
    ("/users/me/notifications", "supervisor_D1", {}),
    ("/audit-events", "auditor", {}),
    ("/process-instances/{case}/history", "admin", {}),
    ("/ledger", "staff_D1", {}),
    ("/ledger", "auditor", {}),
    ("/departments", "admin", {}),
    ("/users", "admin", {}),
    ("/users/{applicant}/tokens", "admin", {}),
    ("/applicants", "admin", {}),
    ("/process-definitions", "designer", {}),
    ("/calendar/overrides", "admin", {}),
)


def test_a_page_of_50_costs_as_many_statements_as_a_page_of_5(
    api: Api, engine: ProcessEngine, seeded: dict[str, str]
) -> None:
    growing = []
    for path, role, query in LISTS:
        url = path.format(**seeded)

        def page(size: int, url: str = url, role: str = role, query: dict[str, str] = query) -> tuple[int, int]:
            with statements_run(engine) as statements:
                response = api.get(url, role, query_string={**query, "page_size": size})
            assert response.status_code == 200, (url, role, response.get_json())
            return len(statements), len(response.get_json())

        page(5)  # warm the caches (the caller's authentication, process versions)
        small, shown_small = page(5)
        large, shown_large = page(50)
        assert shown_small == 5 and shown_large > 5, (url, role, shown_small, shown_large)
        if large > small:  # fewer is fine: a short last page needs no count
            growing.append(f"{url} as {role}: {small} statements for {shown_small} rows, {large} for {shown_large}")
    assert not growing, "\n".join(growing)
