"""A delivery bridge (role ``bridge``) reads every user's unsent notifications with the recipient's
phone, e-mail and channel, and marks them sent, one by one or in a batch. Who may and who may not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine import EngineConfig, ProcessEngine
from tests.api.conftest import Api
from tests.api.test_cli import Cli, upgraded, wutong
from tests.api.test_supervision import UNKNOWN, case, clock, escalated

__all__ = ["case", "clock", "escalated", "upgraded", "wutong"]  # fixtures used below


@pytest.fixture
def engine_on_cli(database_url: str) -> Iterator[ProcessEngine]:
    """An engine on the command line's database, to look at what it did."""
    process_engine = ProcessEngine(EngineConfig(database_url=database_url))
    yield process_engine
    process_engine.close()

EVERYONE = ("staff_D1", "supervisor_D2", "auditor", "designer", "applicant")


@pytest.fixture
def bridge(api: Api) -> Api:
    """The org with a ``bridge`` user (token "bridge") and supervisor_D2 reachable by SMS."""
    created = api.post("/users", json={"username": "sms-bridge", "roles": ["bridge"]})
    assert created.status_code == 201, created.get_json()
    token = api.post(f"/users/{created.get_json()['id']}/tokens", json={"name": "bridge"}).get_json()
    api.org.tokens["bridge"] = token["secret"]
    supervisor = api.org.user_ids["supervisor_D2"]
    contact = {"phone": "+86 138 0000 0002", "email": "sup2@wutong.cn", "notify_via": "sms"}
    assert api.patch(f"/users/{supervisor}", json=contact).status_code == 200
    return api


def test_a_bridge_lists_every_users_unsent_notifications_with_recipient_and_channel(
    bridge: Api, escalated: str
) -> None:
    listed = bridge.get("/notifications", "bridge", query_string={"unsent": "true", "all": "true"})
    assert listed.status_code == 200
    notes = listed.get_json()
    by_user = {n["recipient"]["username"]: n for n in notes}
    assert sorted(by_user) == ["supervisor_D2", "supervisor_D3"]  # the step's department and escalateTo
    d2 = by_user["supervisor_D2"]
    assert d2["recipient"] == {
        "id": bridge.org.user_ids["supervisor_D2"],
        "username": "supervisor_D2",
        "display_name": "supervisor_D2",
        "phone": "+86 138 0000 0002",
        "email": "sup2@wutong.cn",
    }
    assert d2["channel"] == "sms" and by_user["supervisor_D3"]["channel"] is None


def test_an_admin_may_list_everyones_notifications_too(bridge: Api, escalated: str) -> None:
    listed = bridge.get("/notifications", "admin", query_string={"unsent": "true", "all": "true"})
    assert len(listed.get_json()) == 2


@pytest.mark.parametrize("user", EVERYONE)
def test_no_other_role_may_list_everyones_notifications(bridge: Api, escalated: str, user: str) -> None:
    refused = bridge.get("/notifications", user, query_string={"all": "true"})
    assert (refused.status_code, refused.get_json()["code"]) == (403, "role_required")


@pytest.mark.parametrize("user", EVERYONE)
def test_no_other_role_may_mark_notifications_sent(bridge: Api, escalated: str, user: str) -> None:
    note = bridge.get("/notifications", "supervisor_D2").get_json()[0]["id"]
    assert bridge.post(f"/notifications/{note}/sent", user).status_code == 403
    assert bridge.post("/notifications/sent", user, json={"ids": [note]}).status_code == 403
    assert bridge.get("/notifications", "supervisor_D2").get_json()[0]["sent_at"] is None


def test_without_all_a_bridge_sees_only_its_own_notifications(bridge: Api, escalated: str) -> None:
    assert bridge.get("/notifications", "bridge", query_string={"unsent": "true"}).get_json() == []


def test_marking_one_sent_answers_200_also_when_already_marked(bridge: Api, escalated: str) -> None:
    note = bridge.get("/notifications", "supervisor_D2").get_json()[0]["id"]
    first = bridge.post(f"/notifications/{note}/sent", "bridge")
    assert first.status_code == 200 and first.get_json()["sent_at"] is not None
    again = bridge.post(f"/notifications/{note}/sent", "bridge")
    assert again.status_code == 200 and again.get_json()["sent_at"] == first.get_json()["sent_at"]
    unsent = bridge.get("/notifications", "bridge", query_string={"unsent": "true", "all": "true"}).get_json()
    assert [n["recipient"]["username"] for n in unsent] == ["supervisor_D3"]


def test_marking_an_unknown_notification_sent_is_404(bridge: Api) -> None:
    missing = bridge.post(f"/notifications/{UNKNOWN}/sent", "bridge")
    assert (missing.status_code, missing.get_json()["code"]) == (404, "notification_not_found")


def test_the_batch_mark_accepts_a_bridge(bridge: Api, escalated: str) -> None:
    ids = [n["id"] for n in bridge.get("/notifications", "bridge", query_string={"all": "true"}).get_json()]
    assert bridge.post("/notifications/sent", "bridge", json={"ids": ids}).get_json() == {"marked": 2}


def test_a_channel_needs_its_address_and_must_be_known(bridge: Api) -> None:
    user = bridge.org.user_ids["staff_D1"]
    no_phone = bridge.patch(f"/users/{user}", json={"notify_via": "sms"})
    assert no_phone.status_code == 422 and no_phone.get_json()["errors"][0]["field"] == "/phone"
    assert bridge.patch(f"/users/{user}", json={"notify_via": "pigeon"}).status_code == 422
    assert bridge.patch(f"/users/{user}", json={"email": "not-an-address"}).status_code == 422
    ok = bridge.patch(f"/users/{user}", json={"notify_via": "dingtalk"})
    assert ok.status_code == 200 and ok.get_json()["notify_via"] == "dingtalk"


def test_the_cli_creates_a_bridge_and_a_user_with_a_channel(upgraded: Cli, engine_on_cli: ProcessEngine) -> None:
    upgraded.ok("department", "add", "D1", "--name", "一部")
    assert upgraded.ok("user", "add", "sms-bridge", "--role", "bridge").stdout.startswith("wt_")
    upgraded.ok("user", "add", "li.na", "--role", "supervisor", "--department", "D1",
                "--phone", "13800000001", "--notify-via", "sms")
    found = engine_on_cli.identity.find_user("li.na")
    assert (found.phone, found.notify_via) == ("13800000001", "sms")
    refused = upgraded.fails("user", "add", "wang", "--role", "staff", "--department", "D1", "--notify-via", "email")
    assert "/email: e-mail needs an address (required)" in refused.stderr
