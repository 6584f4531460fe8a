"""``GET /ledger?handled_by=`` and ``handled_by_department=``: the cases behind a row of
``/reports/people`` and ``/reports/departments`` (the story of ``tests/api/ledger_story.py``:
staff_D1 completed the steps of 1 2 5 9, supervisor_D1 of 12, staff_D2 (in D2) of 3 4 10 11)."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.api import ledger_story
from tests.api.conftest import PROBLEM_JSON, Api

clock, leader, figures = ledger_story.clock, ledger_story.leader, ledger_story.figures


def _cases(api: Api, user: str, figures: dict[int, str], **query: Any) -> set[int]:
    response = api.get("/ledger", user, query_string={"page_size": 200, **query})
    assert response.status_code == 200, response.get_json()
    numbers = {v: k for k, v in figures.items()}
    return {numbers[row["instance_id"]] for row in response.get_json()}


def test_handled_by_lists_exactly_the_cases_the_person_completed_a_step_in(
    api: Api, figures: dict[int, str], leader: str
) -> None:
    assert _cases(api, leader, figures, handled_by="staff_D1") == {1, 2, 5, 9}
    assert _cases(api, leader, figures, handled_by="supervisor_D1") == {12}
    assert _cases(api, leader, figures, handled_by="staff_D2") == {3, 4, 10, 11}


def test_handled_by_matches_the_count_of_the_persons_row_in_the_people_report(
    api: Api, figures: dict[int, str], leader: str
) -> None:
    rows = api.get("/reports/people", leader).get_json()["rows"]
    for row in rows:  # one step per case in the story, so cases == task instances handled
        assert len(_cases(api, leader, figures, handled_by=row["name"])) == row["handled"]


def test_handled_by_an_unknown_user_lists_nothing(api: Api, figures: dict[int, str], leader: str) -> None:
    response = api.get("/ledger", leader, query_string={"handled_by": "nobody"})
    assert response.status_code == 200 and response.get_json() == []
    assert '"total": 0' in response.headers["X-Pagination"]


def test_handled_by_department_lists_the_cases_the_departments_row_counts_not_those_it_leads(
    api: Api, figures: dict[int, str], leader: str
) -> None:
    assert _cases(api, leader, figures, handled_by_department="D2") == {3, 4, 10, 11}
    assert _cases(api, leader, figures, department="D2") == {3, 4, 6, 8, 10, 11}
    assert _cases(api, leader, figures, handled_by_department="D1") == {1, 2, 5, 9, 12}
    assert _cases(api, leader, figures, handled_by="staff_D1", handled_by_department="D2") == set()


def test_handled_by_combines_with_other_filters_the_step_window_and_paging(
    api: Api, figures: dict[int, str], leader: str
) -> None:
    assert _cases(api, leader, figures, handled_by="staff_D1", category="A") == {1, 2, 5}
    # staff_D2 completed 3 on the 6th, 4 on the 5th, 11 on the 14th, 10 on the 17th
    assert _cases(api, leader, figures, handled_by="staff_D2", handled_from="2025-03-10") == {10, 11}
    assert _cases(api, leader, figures, handled_by="staff_D2", handled_to="2025-03-05") == {4}
    response = api.get("/ledger", leader, query_string={"handled_by": "staff_D1", "sort": "number", "page_size": 3,
                                                        "page": 2})
    assert [r["instance_id"] for r in response.get_json()] == [figures[9]]
    assert '"total": 4' in response.headers["X-Pagination"]


def test_staff_see_only_the_handled_cases_they_may_see(api: Api, figures: dict[int, str], leader: str) -> None:
    assert _cases(api, "staff_D3", figures, handled_by="staff_D1") == set()
    assert _cases(api, "staff_D1", figures, handled_by="staff_D2") == set()
    assert _cases(api, "staff_D1", figures, handled_by="supervisor_D1") == {12}
    assert _cases(api, "staff_D2", figures, handled_by_department="D2") == {3, 4, 10, 11}


def test_the_csv_export_honours_handled_by(api: Api, figures: dict[int, str], leader: str) -> None:
    response = api.get("/ledger", leader, query_string={"handled_by": "staff_D2", "format": "csv"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    expected = {r["number"] for r in api.get("/ledger", leader, query_string={"handled_by": "staff_D2"}).get_json()}
    assert {r["number"] for r in rows} == expected and len(rows) == 4


def test_a_handled_window_ending_before_it_starts_is_422_naming_handled_to(api: Api) -> None:
    response = api.get("/ledger", "auditor", query_string={"handled_from": "2025-03-10", "handled_to": "2025-03-01"})
    assert response.status_code == 422 and response.mimetype == PROBLEM_JSON
    assert "/handled_to" in [item["field"] for item in response.get_json()["errors"]]
