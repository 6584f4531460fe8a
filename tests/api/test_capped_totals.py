"""Task and case lists and the ledger count their total only up to a cap (``EngineConfig.count_cap``,
10,000 by default): beyond it they answer the cap with ``X-Total-Count-Capped: true``, so an auditor's
list of 100,000 open tasks (or a staff member's ledger, a UNION of every case they may see) does not pay
for counting them all. The rows are the same; below the cap the total is exact."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import ProcessEngine
from tests.api.conftest import Api, corpus, make_engine

CAP = 4


@pytest.fixture
def engine(database_url: str) -> Iterator[ProcessEngine]:
    process_engine = make_engine(database_url, count_cap=CAP)
    yield process_engine
    process_engine.close()


@pytest.fixture
def cases(api: Api) -> list[str]:
    """Five cases of ``parallel`` started by staff_D1 (owned by D1): fifteen open tasks, five in each of
    D1, D2 and D3."""
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    return [api.start("parallel", business_key=f"case {n}")["id"] for n in range(5)]


def _listed(api: Api, path: str, as_: str, **query: object) -> tuple[str, str | None, int, list[dict[str, Any]]]:
    """The total header, the capped header, X-Pagination's total and the rows of one page."""
    response = api.get(path, as_, query_string={"page_size": 100} | query)
    assert response.status_code == 200, response.get_json()
    headers = response.headers
    pagination = json.loads(headers["X-Pagination"])["total"]
    return headers["X-Total-Count"], headers.get("X-Total-Count-Capped"), pagination, response.get_json()


def _totals(api: Api, path: str, as_: str, **query: object) -> tuple[str, str | None, int, int]:
    total, capped, pagination, rows = _listed(api, path, as_, **query)
    return total, capped, pagination, len(rows)


def _ledger(api: Api, as_: str, **query: object) -> tuple[str, str | None, int, list[str]]:
    total, capped, pagination, rows = _listed(api, "/ledger", as_, **query)
    return total, capped, pagination, [row["instance_id"] for row in rows]


def test_an_auditors_open_tasks_past_the_cap_say_capped(api: Api, cases: list[str]) -> None:
    assert _totals(api, "/tasks", "auditor", state="open", page_size=2) == (str(CAP), "true", CAP, 2)


def test_a_staff_members_tasks_past_the_cap_say_capped(api: Api, cases: list[str]) -> None:
    assert _totals(api, "/tasks", "staff_D1", state="open", page_size=2) == (str(CAP), "true", CAP, 2)


def test_a_last_task_page_tells_the_exact_total_past_the_cap(api: Api, cases: list[str]) -> None:
    """A page shorter than its size is the last: the rows before it and its own are the total, exactly,
    without counting (so not capped)."""
    assert _totals(api, "/tasks", "auditor", state="open") == ("15", None, 15, 15)
    assert _totals(api, "/tasks", "staff_D1", state="open", page_size=2, page=3) == ("5", None, 5, 1)


def test_a_total_under_the_cap_is_exact_and_not_marked(api: Api, cases: list[str]) -> None:
    assert _totals(api, "/tasks", "auditor", instance_id=cases[0]) == ("3", None, 3, 3)
    assert _totals(api, "/tasks", "staff_D1", instance_id=cases[0]) == ("1", None, 1, 1)
    assert _ledger(api, "staff_D2", business_key="case 1") == ("1", None, 1, [cases[1]])
    assert _ledger(api, "auditor", business_key="case 1") == ("1", None, 1, [cases[1]])


def test_the_case_list_past_the_cap_says_capped(api: Api, cases: list[str]) -> None:
    assert _totals(api, "/process-instances", "auditor") == (str(CAP), "true", CAP, 5)
    assert _totals(api, "/process-instances", "auditor", business_key="case 1") == ("1", None, 1, 1)


def test_a_staff_members_ledger_past_the_cap_says_capped_and_lists_every_row(api: Api, cases: list[str]) -> None:
    for user in ("staff_D1", "staff_D2"):  # the owning department's branch; a task department's branch
        assert _ledger(api, user, sort="started_at") == (str(CAP), "true", CAP, cases), user


def test_an_auditors_ledger_past_the_cap_says_capped(api: Api, cases: list[str]) -> None:
    assert _ledger(api, "auditor", sort="started_at") == (str(CAP), "true", CAP, cases)


def test_the_openapi_spec_documents_the_count_headers(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/tasks", "/api/v1/process-instances", "/api/v1/ledger"):
        headers = spec["paths"][path]["get"]["responses"]["200"]["headers"]
        assert {"X-Pagination", "X-Total-Count", "X-Total-Count-Capped"} <= set(headers), path


def test_the_inbox_counts_past_the_cap_say_capped(api: Api, cases: list[str]) -> None:
    response = api.get("/tasks/inbox-counts", "staff_D1")
    assert response.get_json() == {"all": CAP, "open": CAP, "mine": 0, "due_soon": 0, "overdue": 0, "capped": True}
