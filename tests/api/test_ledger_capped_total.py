"""``GET /ledger`` counts its total only up to the cap (``EngineConfig.count_cap``), like ``/tasks``
and ``/process-instances``: past it the answer carries the cap and ``X-Total-Count-Capped: true``, so
a staff member's page does not pay for a UNION of every case they may see. The rows are the same."""

from __future__ import annotations

import json
from collections.abc import Iterator

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
    """Five cases of ``parallel`` started by staff_D1 (owned by D1, a task in each of D1, D2, D3)."""
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    return [api.start("parallel", business_key=f"case {n}")["id"] for n in range(5)]


def _ledger(api: Api, as_: str, **query: object) -> tuple[str, str | None, int, list[str]]:
    response = api.get("/ledger", as_, query_string={"page_size": 100, **query})
    assert response.status_code == 200, response.get_json()
    headers = response.headers
    pagination = json.loads(headers["X-Pagination"])["total"]
    return headers["X-Total-Count"], headers.get("X-Total-Count-Capped"), pagination, [
        row["instance_id"] for row in response.get_json()
    ]


def test_a_staff_members_ledger_past_the_cap_says_capped_and_lists_every_row(api: Api, cases: list[str]) -> None:
    for user in ("staff_D1", "staff_D2"):  # the owning department's branch; a task department's branch
        assert _ledger(api, user, sort="started_at") == (str(CAP), "true", CAP, cases), user


def test_an_auditors_ledger_past_the_cap_says_capped(api: Api, cases: list[str]) -> None:
    assert _ledger(api, "auditor", sort="started_at") == (str(CAP), "true", CAP, cases)


def test_a_ledger_total_under_the_cap_is_exact_and_not_marked(api: Api, cases: list[str]) -> None:
    assert _ledger(api, "staff_D2", business_key="case 1") == ("1", None, 1, [cases[1]])
    assert _ledger(api, "auditor", business_key="case 1") == ("1", None, 1, [cases[1]])


def test_the_openapi_spec_documents_the_ledgers_count_headers(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    headers = spec["paths"]["/api/v1/ledger"]["get"]["responses"]["200"]["headers"]
    assert {"X-Pagination", "X-Total-Count", "X-Total-Count-Capped"} <= set(headers)
