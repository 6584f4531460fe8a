"""Each user's own notifications with read state (GET /users/me/notifications, the unread count,
POST /users/me/notifications/read): newest first, counted, marked read only by their recipient,
apart from a delivery bridge's ``sent_at``. The escalation of an overdue step notifies supervisor_D2
(the step's department) and supervisor_D3 (``escalateTo``)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from engine import FrozenClock
from tests.api.conftest import Api, row_counts
from tests.api.test_supervision import UNKNOWN, case, clock, escalated, problem_fields

__all__ = ["case", "clock", "escalated"]  # fixtures used below

MINE = "/users/me/notifications"


def unread(api: Api, user: str) -> int:
    response = api.get(f"{MINE}/unread-count", user)
    assert response.status_code == 200, response.get_json()
    count: int = response.get_json()["unread"]
    return count


def test_a_user_lists_their_own_notifications_unread(api: Api, escalated: str) -> None:
    response = api.get(MINE, "supervisor_D2")
    assert response.status_code == 200, response.get_json()
    notes = response.get_json()
    assert [(n["kind"], n["instance_id"], n["read_at"], n["recipient"]["username"]) for n in notes] == [
        ("task_overdue", escalated, None, "supervisor_D2")
    ]
    assert json.loads(response.headers["X-Pagination"])["total"] == 1
    assert unread(api, "supervisor_D2") == 1


def test_nobody_sees_another_users_notifications_in_their_own(api: Api, escalated: str) -> None:
    for user in ("staff_D2", "supervisor_D1", "admin", "auditor"):
        assert api.get(MINE, user).get_json() == [], user
        assert unread(api, user) == 0, user


def test_marking_one_read_counts_it_and_keeps_its_first_time(api: Api, escalated: str, clock: FrozenClock) -> None:
    note = api.get(MINE, "supervisor_D2").get_json()[0]["id"]
    first = api.post(f"{MINE}/read", "supervisor_D2", json={"ids": [note]})
    assert (first.status_code, first.get_json()) == (200, {"marked": 1, "unread": 0})
    read_at = api.get(MINE, "supervisor_D2").get_json()[0]["read_at"]
    assert read_at is not None
    clock.advance(timedelta(hours=1))
    again = api.post(f"{MINE}/read", "supervisor_D2", json={"ids": [note]})
    assert again.get_json() == {"marked": 0, "unread": 0}
    assert api.get(MINE, "supervisor_D2").get_json()[0]["read_at"] == read_at
    assert api.get(MINE, "supervisor_D2", query_string={"unread": "true"}).get_json() == []


def test_nobody_marks_another_users_notification_read(api: Api, escalated: str) -> None:
    theirs = api.get(MINE, "supervisor_D3").get_json()[0]["id"]
    for user in ("supervisor_D2", "admin"):
        response = api.post(f"{MINE}/read", user, json={"ids": [theirs, UNKNOWN]})
        assert response.get_json()["marked"] == 0, user
    assert unread(api, "supervisor_D3") == 1


def test_marking_all_read_leaves_none_unread(api: Api, escalated: str) -> None:
    response = api.post(f"{MINE}/read", "supervisor_D3", json={"all": True})
    assert response.get_json() == {"marked": 1, "unread": 0}
    assert unread(api, "supervisor_D2") == 1  # someone else's are theirs to read


def test_reading_is_not_delivering(api: Api, escalated: str) -> None:
    note = api.get(MINE, "supervisor_D2").get_json()[0]["id"]
    api.post(f"{MINE}/read", "supervisor_D2", json={"ids": [note]})
    outbox = api.get("/notifications", "admin", query_string={"unsent": "true", "all": "true"}).get_json()
    assert note in [n["id"] for n in outbox]
    assert api.post(f"/notifications/{note}/sent", "admin").status_code == 200
    assert unread(api, "supervisor_D3") == 1  # sent, still unread by its recipient


BAD_READS = {
    "neither ids nor all": {},
    "both ids and all": {"ids": [UNKNOWN], "all": True},
    "no ids": {"ids": []},
    "not an id": {"ids": ["nope"]},
    "all false": {"all": False},
}


@pytest.mark.parametrize("body", BAD_READS.values(), ids=BAD_READS.keys())
def test_a_bad_read_request_names_ids_and_changes_nothing(
    api: Api, escalated: str, database_url: str, body: dict[str, object]
) -> None:
    before = row_counts(database_url)
    response = api.post(f"{MINE}/read", "supervisor_D2", json=body)
    assert response.status_code == 422, response.get_json()
    assert [f for f in problem_fields(response) if f.startswith("/ids")], response.get_json()
    assert row_counts(database_url) == before
    assert unread(api, "supervisor_D2") == 1


def test_signed_out_callers_get_401(api: Api) -> None:
    assert api.get(MINE, None).status_code == 401
    assert api.get(f"{MINE}/unread-count", None).status_code == 401
    assert api.post(f"{MINE}/read", None, json={"all": True}).status_code == 401
