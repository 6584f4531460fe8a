"""Every list endpoint's ``X-Pagination.total`` counts what the caller may see, for every role, with and
without filters (a count query that lost its FROM once answered 1 to auditors and admins)."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import Api, corpus

ROLES = ("staff_D1", "supervisor_D1", "staff_D2", "admin", "auditor", "designer", "applicant")
LISTS = (
    "/tasks",
    "/process-instances",
    "/supervision",
    "/incidents",
    "/notifications",
    "/departments",
    "/users",
    "/process-definitions",
    "/calendar/overrides",
)


@pytest.fixture
def cases(api: Api) -> list[str]:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    return [api.start("parallel", business_key=f"case {n}")["id"] for n in range(3)]


def _total(api: Api, path: str, as_: str, **query: object) -> tuple[int, int] | None:
    """(X-Pagination total, items on a page big enough for all), or None when the role may not list."""
    response = api.get(path, as_, query_string={"page_size": 100, **query})
    if response.status_code != 200:
        return None
    return json.loads(response.headers["X-Pagination"])["total"], len(response.get_json())


@pytest.mark.parametrize("path", LISTS)
def test_every_list_total_counts_every_visible_item_for_every_role(api: Api, cases: list[str], path: str) -> None:
    for role in ROLES:
        found = _total(api, path, role)
        if found is None:
            continue
        total, items = found
        assert total == items, (path, role)
        small = api.get(path, role, query_string={"page_size": 1})
        assert json.loads(small.headers["X-Pagination"])["total"] == total, (path, role)


def test_case_history_total_counts_every_event(api: Api, cases: list[str]) -> None:
    for role in ROLES:
        found = _total(api, f"/process-instances/{cases[0]}/history", role)
        if found is not None:
            assert found[0] == found[1] > 0, role


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_unfiltered_task_and_case_totals_for_those_who_see_everything(api: Api, cases: list[str], role: str) -> None:
    assert _total(api, "/process-instances", role) == (3, 3)
    tasks = _total(api, "/tasks", role)
    assert tasks is not None and tasks[0] == tasks[1] >= 6
