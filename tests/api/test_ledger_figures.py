"""The figures against a hand-computed fixture (``tests/api/ledger_story.py``): every number of the
summary, department and people reports is asserted (the arithmetic is in the comments)."""

from __future__ import annotations

from typing import Any

from tests.api import ledger_story
from tests.api.conftest import Api, Org

clock, leader, figures = ledger_story.clock, ledger_story.leader, ledger_story.figures


def rate(n: int, d: int, percent: float | None) -> dict[str, Any]:
    return {"numerator": n, "denominator": d, "fraction": round(n / d, 4) if d else None, "percent": percent}


def test_the_summary_matches_the_hand_computed_figures(api: Api, figures: dict[int, str], leader: str) -> None:
    response = api.get("/reports/summary", leader)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    # received 12; accepted 11 (4 referred); closed 1 2 3 9 11 12; open 7 8; cancelled 6; terminated 5
    assert {k: body[k] for k in ("received", "accepted", "closed", "open", "cancelled", "terminated")} == {
        "received": 12, "accepted": 11, "closed": 6, "open": 2, "cancelled": 1, "terminated": 1}
    assert body["acceptance_rate"] == rate(11, 12, 91.7)
    assert body["closure_rate"] == rate(6, 11, 54.5)
    # on time: 1 3 9 12; late: 2 (due the 6th, closed the 10th) and 11 (due the 13th, closed the 14th)
    assert body["on_time_closure_rate"] == rate(4, 6, 66.7)
    assert body["on_time_closure_rate_original"] == rate(4, 6, 66.7)
    assert body["closed_no_limit"] == 0
    # handling days of the closed: 2 5 2 0 4 1 -> sorted 0 1 2 2 4 5; median rank 3 -> 2, p90 rank 6 -> 5
    assert (body["handling_days_median"], body["handling_days_p90"]) == (2, 5)
    # ratings 5 4 2 3 1
    assert (body["satisfaction_average"], body["rated"]) == (3.0, 5)
    departments = {g["key"]: g for g in body["by_department"]}
    d1, d2 = departments["D1"], departments["D2"]
    # D1: 1 2 5 7 9 12 -> closed 1 2 9 12 (days 2 5 0 1), open 7, terminated 5; ratings 5 4 3
    assert (d1["received"], d1["accepted"], d1["closed"], d1["open"], d1["terminated"]) == (6, 6, 4, 1, 1)
    assert (d1["closure_rate"]["percent"], d1["on_time_closure_rate"]["percent"]) == (66.7, 75.0)
    assert (d1["handling_days_median"], d1["handling_days_p90"], d1["satisfaction_average"]) == (1, 5, 4.0)
    # D2: 3 4 6 8 10 11 -> accepted 5, closed 3 11 (days 2 4), open 8, cancelled 6; ratings 2 1
    assert (d2["received"], d2["accepted"], d2["closed"], d2["open"], d2["cancelled"]) == (6, 5, 2, 1, 1)
    assert (d2["closure_rate"]["percent"], d2["on_time_closure_rate"]["percent"]) == (40.0, 50.0)
    assert (d2["handling_days_median"], d2["handling_days_p90"], d2["satisfaction_average"]) == (2, 4, 1.5)
    categories = {g["key"]: (g["received"], g["accepted"], g["closed"]) for g in body["by_category"]}
    assert categories == {"A": (7, 7, 3), "B": (5, 4, 3)}
    assert body["by_month"] == [{"month": "2025-03", "received": 12, "accepted": 11, "closed": 6,
                                 "closed_on_time": 4}]


def test_filters_narrow_the_summary(api: Api, figures: dict[int, str]) -> None:
    body = api.get("/reports/summary", query_string={"from": "2025-03-10", "to": "2025-03-11",
                                                      "category": "A"}).get_json()
    # received the 10th or 11th, category A: 10 (not struck off) and 12 (closed)
    assert (body["received"], body["closed"], body["closure_rate"]["percent"]) == (2, 1, 50.0)
    assert body["filters"] == {"from": "2025-03-10", "to": "2025-03-11", "process": None, "department": None,
                               "category": "A"}


def test_the_departments_report_matches_the_hand_computed_figures(api: Api, figures: dict[int, str]) -> None:
    response = api.get("/reports/departments", "auditor")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["rules"]["on_time_completion"] == 1
    d1, d2 = body["rows"]
    # D1 completed 1 2 5 9 12: on time 1 5 9 12; 2 late by working days Fri 7, Mon 10 = 2
    # hours to complete 49 169 25 1 25 -> median (rank 3) 25; claimed 30+n minutes after the start
    # ratings of the cases it leads: 5 4 (satisfied) 3; points 4×1 − 2×1 + 2×2 = 6
    assert d1 == {"rank": 1, "key": "D1", "name": None, "handled": 5, "claim_hours_median": 0.5,
                  "complete_hours_median": 25.0, "overdue": 1, "overdue_working_days": 2,
                  "on_time_rate": rate(4, 5, 80.0), "escalations": 0, "send_backs_received": 0,
                  "satisfied": 2, "unsatisfied": 0, "points": 6}
    # D2 completed 3 4 10 11: on time 3 4; 10 late Fri 14, Mon 17 = 2; 11 late Fri 14 = 1
    # hours 49 25 169 97 -> median (rank 2) 49; ratings 2 1 (unsatisfied); points 2 − 3 − 4 = −5
    assert d2 == {"rank": 2, "key": "D2", "name": None, "handled": 4, "claim_hours_median": 0.5,
                  "complete_hours_median": 49.0, "overdue": 2, "overdue_working_days": 3,
                  "on_time_rate": rate(2, 4, 50.0), "escalations": 0, "send_backs_received": 0,
                  "satisfied": 0, "unsatisfied": 2, "points": -5}


def test_the_people_report_matches_the_hand_computed_figures(api: Api, org: Org, figures: dict[int, str]) -> None:
    body = api.get("/reports/people", "auditor").get_json()
    rows = [(r["rank"], r["name"], r["handled"], r["overdue_working_days"], r["satisfied"], r["unsatisfied"],
             r["complete_hours_median"], r["points"]) for r in body["rows"]]
    # staff_D1: 1 2 5 9 (3 on time, 2 late days, ratings 5 4) -> 3 − 2 + 4 = 5; hours 1 25 49 169 -> 25
    # supervisor_D1: 12 (on time, no rating) -> 1; staff_D2 as D2 -> −5
    assert rows == [(1, "staff_D1", 4, 2, 2, 0, 25.0, 5), (2, "supervisor_D1", 1, 0, 0, 0, 25.0, 1),
                    (3, "staff_D2", 4, 3, 0, 2, 49.0, -5)]
    assert body["rows"][0]["key"] == org.user_ids["staff_D1"]


def test_changing_a_points_rule_recomputes_the_tally(api: Api, figures: dict[int, str]) -> None:
    response = api.call("PUT", "/reports/points-rules", "admin", json={"on_time_completion": 3})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["on_time_completion"] == 3
    body = api.get("/reports/departments", "admin").get_json()
    # D1: 4×3 − 2 + 4 = 14; D2: 2×3 − 3 − 4 = −1
    assert [(r["key"], r["points"]) for r in body["rows"]] == [("D1", 14), ("D2", -1)]
    assert body["rules"]["on_time_completion"] == 3


def test_the_ledger_lists_every_case_with_its_columns(api: Api, figures: dict[int, str], leader: str) -> None:
    response = api.get("/ledger", leader, query_string={"sort": "number", "page_size": 50})
    assert response.status_code == 200, response.get_json()
    rows = {r["instance_id"]: r for r in response.get_json()}
    assert len(rows) == 12
    two, seven = rows[figures[2]], rows[figures[7]]
    assert (two["company"], two["category"], two["department_code"], two["state"], two["ended_how"]) == (
        "公司2", "A", "D1", "completed", "completed")
    assert (two["handling_days"], two["on_time"], two["satisfaction"], two["extras"]) == (5, False, 4,
                                                                                           {"amountWan": 20})
    assert rows[figures[5]]["ended_how"] == "terminated" and rows[figures[5]]["closed"] is False
    assert rows[figures[4]]["accepted"] is False
    assert rows[figures[6]]["ended_how"] == "cancelled"
    # open since Thu 6 March; now Tue 18 March: Fri 7, Mon 10 … Fri 14, Mon 17, Tue 18 = 8 working days
    assert (seven["current_steps"], seven["current_departments"], seven["age_working_days"]) == (["办理"], ["D1"], 8)
    assert seven["due_status"] == "overdue"


def test_the_ledger_filters_and_sorts_in_the_database(api: Api, figures: dict[int, str]) -> None:
    response = api.get("/ledger", query_string={"department": "D2", "sort": "due_at", "page_size": 2})
    assert response.status_code == 200
    assert [r["number"] for r in response.get_json()] == sorted(r["number"] for r in response.get_json())
    assert len(response.get_json()) == 2
    assert '"total": 6' in response.headers["X-Pagination"]
    closed = api.get("/ledger", query_string={"closed": "true", "ended_from": "2025-03-10"}).get_json()
    assert {r["instance_id"] for r in closed} == {figures[2], figures[11], figures[12]}
    steps = api.get("/ledger", query_string={"step_department": "D2"}).get_json()
    assert [r["instance_id"] for r in steps] == [figures[8]]
