"""Deadlines, supervision (督办), notifications and the working-day calendar through HTTP.

The engine runs on a FrozenClock that starts Monday 2026-03-02 09:00 Asia/Shanghai (01:00 UTC);
tests move it instead of sleeping. ``deadlines.bpmn``: accept (D1, P1D) -> reply (D2, limit from the
case's ``reply_limit``, escalates to D3) -> quick (D2, PT4H) -> review (D1, sendBackTo=reply); the
whole case has P10D.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine import FrozenClock, ProcessEngine
from engine.worker import Worker
from tests.api.conftest import PROBLEM_JSON, TESTS, Api, row_counts

DEADLINES = TESTS / "engine" / "processes" / "deadlines.bpmn"
MONDAY_0900 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
TUESDAY_1800 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # accept's P1D: close of business, next working day
LATER = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)  # Friday 18:00 local
UNKNOWN = str(uuid.UUID(int=424242))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MONDAY_0900)



@pytest.fixture
def case(api: Api) -> str:
    assert api.deploy({"deadlines.bpmn": DEADLINES.read_bytes()}).status_code == 201
    return start(api)


def start(api: Api) -> str:
    case_id: str = api.start("deadlines", variables={"reply_limit": "P3D"})["id"]
    return case_id


def task(api: Api, case_id: str, activity: str) -> str:
    """The open step (not an escalation task, which shares the activity id) of ``activity``."""
    found = [t["id"] for t in api.tasks_of(case_id) if t["activity_id"] == activity and t["kind"] == "user"
             and t["state"] in ("open", "claimed")]
    assert len(found) == 1, found
    task_id: str = found[0]
    return task_id


def complete(api: Api, case_id: str, activity: str, as_: str, data: dict[str, Any] | None = None) -> None:
    response = api.post(f"/tasks/{task(api, case_id, activity)}/complete", as_, json={"data": data or {}})
    assert response.status_code == 200, response.get_json()


def at_review(api: Api, case_id: str) -> str:
    complete(api, case_id, "accept", "staff_D1")
    complete(api, case_id, "reply", "staff_D2", {"answer": "first"})
    complete(api, case_id, "quick", "staff_D2")
    return task(api, case_id, "review")


def moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def problem_fields(response: Any) -> list[str]:
    assert response.mimetype == PROBLEM_JSON
    return [item["field"] for item in response.get_json()["errors"]]


# --- due fields and the inbox -----------------------------------------------------------------------


def test_tasks_and_cases_carry_their_deadlines(api: Api, case: str) -> None:
    accept = task(api, case, "accept")
    body = api.get(f"/tasks/{accept}", "staff_D1").get_json()
    assert moment(body["due_at"]) == moment(body["original_due_at"]) == TUESDAY_1800
    assert (body["due_status"], body["kind"], body["deadline_warning"]) == ("due_soon", "user", None)
    listed = api.get("/tasks", "staff_D1").get_json()
    assert [(t["activity_id"], t["due_status"], t["kind"]) for t in listed] == [("accept", "due_soon", "user")]
    whole = api.get(f"/process-instances/{case}", "staff_D1").get_json()
    assert moment(whole["due_at"]) == moment(whole["original_due_at"]) == datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
    assert whole["due_status"] == "on_time"
    assert [(t["activity_id"], t["due_status"], t["kind"]) for t in whole["open_tasks"]] == [
        ("accept", "due_soon", "user")
    ]


def test_the_inbox_filters_overdue_work_once_time_moves_on(api: Api, case: str, clock: FrozenClock) -> None:
    clock.set(MONDAY_0900 + timedelta(days=1))
    second = start(api)  # Tuesday's case: accept is due Wednesday 18:00
    clock.set(TUESDAY_1800 + timedelta(minutes=1))
    overdue = api.get("/tasks", "staff_D1", query_string={"due_status": "overdue", "sort": "due_at"})
    assert overdue.status_code == 200
    assert [t["id"] for t in overdue.get_json()] == [task(api, case, "accept")]
    assert overdue.get_json()[0]["due_status"] == "overdue"
    soon = api.get("/tasks", "staff_D1", query_string={"due_status": "due_soon"}).get_json()
    assert [t["id"] for t in soon] == [task(api, second, "accept")]
    assert api.get("/tasks", "staff_D1", query_string={"due_status": "on_time"}).get_json() == []
    by_due = api.get("/tasks", "staff_D1", query_string={"sort": "-due_at"}).get_json()
    assert [t["id"] for t in by_due] == [task(api, second, "accept"), task(api, case, "accept")]
    late = api.get("/tasks", "staff_D1", query_string={"due_status": "late"})
    assert (late.status_code, problem_fields(late)) == (422, ["/due_status"])


# --- extending a deadline ---------------------------------------------------------------------------


def test_a_supervisor_extends_a_deadline_and_the_original_stays(api: Api, case: str) -> None:
    accept = task(api, case, "accept")
    response = api.post(f"/tasks/{accept}/deadline", "supervisor_D1",
                        json={"due_at": "2026-03-06T18:00:00+08:00", "reason": "waiting for the village"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (moment(body["due_at"]), moment(body["original_due_at"])) == (LATER, TUESDAY_1800)
    assert body["due_status"] == "on_time"
    assert api.get(f"/tasks/{accept}", "staff_D1").get_json()["due_at"] == body["due_at"]
    history = api.get(f"/process-instances/{case}/history", "supervisor_D1").get_json()
    extended = [e for e in history if e["action"] == "task.deadline_extended"]
    assert [e["details"]["reason"] for e in extended] == ["waiting for the village"]


BAD_EXTENSIONS = {
    "in the past": ("supervisor_D1", {"due_at": "2020-01-01T00:00:00+00:00", "reason": "x"}, 422, ["/due_at"]),
    "without a zone": ("supervisor_D1", {"due_at": "2026-03-06T18:00:00", "reason": "x"}, 422, ["/due_at"]),
    "not a time": ("supervisor_D1", {"due_at": "next week", "reason": "x"}, 422, ["/due_at"]),
    "beyond the calendar": ("supervisor_D1", {"due_at": "9999-12-31T23:59:59-12:00", "reason": "x"}, 422,
                            ["/due_at"]),
    "without a reason": ("supervisor_D1", {"due_at": LATER.isoformat()}, 422, ["/reason"]),
    "with a blank reason": ("supervisor_D1", {"due_at": LATER.isoformat(), "reason": "  "}, 422, ["/reason"]),
    "by staff": ("staff_D1", {"due_at": LATER.isoformat(), "reason": "x"}, 403, None),
    "by an auditor": ("auditor", {"due_at": LATER.isoformat(), "reason": "x"}, 403, None),
    "by another department's supervisor": ("supervisor_D2", {"due_at": LATER.isoformat(), "reason": "x"}, 404, None),
}


def test_bad_extensions_are_refused_and_change_nothing(api: Api, case: str, database_url: str) -> None:
    accept = task(api, case, "accept")
    before = row_counts(database_url)
    for label, (who, body, status, fields) in BAD_EXTENSIONS.items():
        response = api.post(f"/tasks/{accept}/deadline", who, json=body)
        assert response.status_code == status, (label, response.get_json())
        if fields is not None:
            assert problem_fields(response) == fields, label
    assert row_counts(database_url) == before
    assert moment(api.get(f"/tasks/{accept}", "staff_D1").get_json()["due_at"]) == TUESDAY_1800


# --- reassigning --------------------------------------------------------------------------------------


def test_reassigning_to_another_department_moves_the_task_there(api: Api, case: str) -> None:
    accept = task(api, case, "accept")
    response = api.post(f"/tasks/{accept}/assign", "supervisor_D1", json={"department": "D3", "reason": "their remit"})
    assert response.status_code == 200, response.get_json()
    assert {k: response.get_json()[k] for k in ("department", "state", "assignee")} == {
        "department": "D3", "state": "open", "assignee": None,
    }
    assert [t["id"] for t in api.get("/tasks", "staff_D3").get_json()] == [accept]
    assert api.get(f"/tasks/{accept}", "staff_D1").status_code == 404
    assert api.post(f"/tasks/{accept}/complete", "staff_D3", json={"data": {}}).status_code == 200


def test_reassigning_to_a_person_gives_them_the_task(api: Api, case: str) -> None:
    accept = task(api, case, "accept")
    person = api.org.user_ids["staff_D2"]
    response = api.post(f"/tasks/{accept}/assign", "admin", json={"user_id": person, "department": "D2",
                                                                  "reason": "expert"})
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["assignee"], response.get_json()["state"]) == (person, "claimed")
    mine = api.get("/tasks", "staff_D2", query_string={"assignee": "me"}).get_json()
    assert [t["id"] for t in mine] == [accept]


BAD_TARGETS = {
    "unknown department": ({"department": "D9", "reason": "x"}, ["/department"]),
    "unknown user": ({"user_id": UNKNOWN, "reason": "x"}, ["/user_id"]),
    "user id not a UUID": ({"user_id": "staff_D2", "reason": "x"}, ["/user_id"]),
    "nobody": ({"reason": "x"}, ["/user_id"]),
    "unknown user of another department": ({"user_id": UNKNOWN, "department": "D1", "reason": "x"}, ["/user_id"]),
    "no reason": ({"department": "D3"}, ["/reason"]),
    "blank reason": ({"department": "D3", "reason": ""}, ["/reason"]),
}


def test_reassigning_to_a_bad_target_is_refused_and_changes_nothing(api: Api, case: str, database_url: str) -> None:
    accept = task(api, case, "accept")
    before = row_counts(database_url)
    for label, (body, fields) in BAD_TARGETS.items():
        response = api.post(f"/tasks/{accept}/assign", "supervisor_D1", json=body)
        assert (response.status_code, problem_fields(response)) == (422, fields), (label, response.get_json())
    assert api.post(f"/tasks/{accept}/assign", "staff_D1", json={"department": "D3", "reason": "x"}).status_code == 403
    assert row_counts(database_url) == before
    assert api.get(f"/tasks/{accept}", "staff_D1").get_json()["department"] == "D1"


# --- sending back -------------------------------------------------------------------------------------


def test_sending_back_reopens_the_earlier_step(api: Api, case: str) -> None:
    review = at_review(api, case)
    response = api.post(f"/tasks/{review}/send-back", "supervisor_D1", json={"reason": "answer is incomplete"})
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["id"], response.get_json()["state"]) == (case, "running")
    assert [t["activity_id"] for t in api.get(f"/process-instances/{case}").get_json()["open_tasks"]] == ["reply"]
    assert api.get(f"/tasks/{review}").get_json()["state"] == "cancelled"
    complete(api, case, "reply", "staff_D2", {"answer": "second"})
    assert [t["activity_id"] for t in api.get(f"/process-instances/{case}").get_json()["open_tasks"]] == ["quick"]


def test_a_step_the_process_does_not_let_go_back_answers_409(api: Api, case: str, database_url: str) -> None:
    accept = task(api, case, "accept")
    before = row_counts(database_url)
    response = api.post(f"/tasks/{accept}/send-back", "supervisor_D1", json={"reason": "no"})
    assert (response.status_code, response.get_json()["code"]) == (409, "send_back_not_allowed")
    no_reason = api.post(f"/tasks/{accept}/send-back", "supervisor_D1", json={})
    assert (no_reason.status_code, problem_fields(no_reason)) == (422, ["/reason"])
    assert row_counts(database_url) == before


# --- the supervisor's list ----------------------------------------------------------------------------


def test_supervisors_see_their_departments_late_work_most_urgent_first(
    api: Api, case: str, clock: FrozenClock
) -> None:
    clock.set(MONDAY_0900 + timedelta(days=1))
    second = start(api)
    clock.set(TUESDAY_1800 + timedelta(hours=16))  # Wednesday 10:00: the first overdue, the second due soon
    response = api.get("/supervision", "supervisor_D1")
    assert response.status_code == 200
    assert [(t["id"], t["due_status"]) for t in response.get_json()] == [
        (task(api, case, "accept"), "overdue"), (task(api, second, "accept"), "due_soon"),
    ]
    assert '"total": 2' in response.headers["X-Pagination"]
    assert len(api.get("/supervision", "auditor").get_json()) == 2
    assert api.get("/supervision", "supervisor_D2").get_json() == []
    paged = api.get("/supervision", "supervisor_D1", query_string={"page": 2, "page_size": 1}).get_json()
    assert [t["id"] for t in paged] == [task(api, second, "accept")]
    staff = api.get("/supervision", "staff_D1")
    assert (staff.status_code, staff.get_json()["code"]) == (403, "role_required")


# --- escalation and notifications ---------------------------------------------------------------------


@pytest.fixture
def escalated(api: Api, case: str, engine: ProcessEngine, clock: FrozenClock) -> str:
    """The case with its reply step (due Thursday 18:00) overdue and escalated by the worker."""
    complete(api, case, "accept", "staff_D1")
    clock.advance(timedelta(days=5))
    assert Worker(engine).run_once().escalated == 1
    return case


def test_an_overdue_task_is_escalated_to_the_departments_supervisors(api: Api, escalated: str) -> None:
    reply = task(api, escalated, "reply")
    notes = api.get("/notifications", "supervisor_D2").get_json()
    assert [(n["kind"], n["task_id"], n["instance_id"], n["sent_at"]) for n in notes] == [
        ("task_overdue", reply, escalated, None)
    ]
    assert "Reply" in notes[0]["text"]
    assert len(api.get("/notifications", "supervisor_D3").get_json()) == 1  # escalateTo=D3
    assert api.get("/notifications", "staff_D2").get_json() == []
    assert api.get("/notifications", "supervisor_D1").get_json() == []
    escalation = [t for t in api.get("/tasks", "staff_D3").get_json() if t["kind"] == "escalation"]
    assert [(t["department"], t["state"]) for t in escalation] == [("D3", "open")]
    assert [t["id"] for t in api.get("/supervision", "supervisor_D2").get_json()] == [reply]


def test_a_delivery_bridge_marks_notifications_sent(api: Api, escalated: str, clock: FrozenClock) -> None:
    note = api.get("/notifications", "supervisor_D2").get_json()[0]["id"]
    refused = api.post("/notifications/sent", "supervisor_D2", json={"ids": [note]})
    assert refused.status_code == 403
    assert api.post("/notifications/sent", json={"ids": [note, UNKNOWN]}).get_json() == {"marked": 1}
    assert api.post("/notifications/sent", json={"ids": [note]}).get_json() == {"marked": 0}
    assert api.get("/notifications", "supervisor_D2", query_string={"unsent": "true"}).get_json() == []
    sent = api.get("/notifications", "supervisor_D2", query_string={"unsent": "false"}).get_json()
    assert [(n["id"], moment(n["sent_at"])) for n in sent] == [(note, clock.now())]
    assert len(api.get("/notifications", "supervisor_D3", query_string={"unsent": "true"}).get_json()) == 1


# --- the working-day calendar -------------------------------------------------------------------------


def test_calendar_overrides_round_trip_and_move_deadlines(api: Api, case: str) -> None:
    put = api.call("PUT", "/calendar/overrides/2026-03-03", json={"working": False, "note": "园区停电检修"})
    assert put.status_code == 200, put.get_json()
    assert put.get_json() == {"day": "2026-03-03", "working": False, "note": "园区停电检修"}
    assert api.get("/calendar/overrides", "staff_D1").get_json() == [put.get_json()]
    later_case = start(api)  # Tuesday is closed now: accept is due Wednesday 18:00
    assert moment(api.task_for(later_case, "accept")["due_at"]) == TUESDAY_1800 + timedelta(days=1)
    assert api.delete("/calendar/overrides/2026-03-03").status_code == 204
    assert api.get("/calendar/overrides").get_json() == []
    gone = api.delete("/calendar/overrides/2026-03-03")
    assert (gone.status_code, gone.get_json()["code"]) == (404, "calendar_day_not_found")
    not_a_day = api.call("PUT", "/calendar/overrides/2026-02-30", json={"working": True, "note": "x"})
    assert (not_a_day.status_code, problem_fields(not_a_day)) == (422, ["/day"])
    assert api.call("PUT", "/calendar/overrides/2026-3-3", json={"working": True, "note": "x"}).status_code == 404


def test_only_admins_change_the_calendar(api: Api, database_url: str) -> None:
    assert api.call("PUT", "/calendar/overrides/2026-10-10", json={"working": True, "note": "调休"}).status_code == 200
    before = row_counts(database_url)
    for who in ("staff_D1", "supervisor_D1", "auditor", "designer", "applicant"):
        put = api.call("PUT", "/calendar/overrides/2026-10-11", who, json={"working": False, "note": "x"})
        assert (put.status_code, put.get_json()["code"]) == (403, "role_required"), who
        assert api.delete("/calendar/overrides/2026-10-10", who).status_code == 403, who
        assert api.get("/calendar/overrides", who).status_code == 200, who
    no_note = api.call("PUT", "/calendar/overrides/2026-10-11", json={"working": False, "note": " "})
    assert (no_note.status_code, problem_fields(no_note)) == (422, ["/note"])
    assert row_counts(database_url) == before


def test_a_task_says_which_step_it_may_be_sent_back_to(api: Api, case: str) -> None:
    accept = task(api, case, "accept")
    assert api.get(f"/tasks/{accept}", "staff_D1").get_json()["send_back_to"] is None  # no sendBackTo
    review = at_review(api, case)
    assert api.get(f"/tasks/{review}", "supervisor_D1").get_json()["send_back_to"] == "reply"
