"""退回: the reopened step keeps the case's current data, renders its instructions with it, and shows
why it came back and who sent it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, api_model


@pytest.fixture
def reopened(api: Api) -> dict[str, Any]:
    """The ``check`` step after the reviewer sent the case back to it."""
    assert api.deploy(api_model("send_back.bpmn")).status_code == 201
    case = api.start("send_back", variables={"company": "梧桐精密"})
    check = api.task_for(case["id"], "check")["id"]
    assert api.post(f"/tasks/{check}/complete", "staff_D1", json={"data": {"opinion": "ok"}}).status_code == 200
    review = api.task_for(case["id"], "review")["id"]
    response = api.post(f"/tasks/{review}/send-back", "supervisor_D1", json={"reason": "材料不全"})
    assert response.status_code == 200, response.get_json()
    task_id = api.task_for(case["id"], "check")["id"]
    task: dict[str, Any] = api.get(f"/tasks/{task_id}", "staff_D1").get_json()
    return task


def test_a_reopened_step_keeps_the_cases_current_data(reopened: dict[str, Any]) -> None:
    assert reopened["data"] == {"company": "梧桐精密", "opinion": "ok"}


def test_a_reopened_step_renders_its_instructions_with_the_data(reopened: dict[str, Any]) -> None:
    assert reopened["instructions"] == "请审核 梧桐精密 的占道申请"


def test_a_reopened_step_shows_the_reason_and_who_sent_it_back(api: Api, reopened: dict[str, Any]) -> None:
    sent_back = reopened["sent_back"]
    assert (sent_back["reason"], sent_back["by"], sent_back["by_username"]) == (
        "材料不全", api.org.user_ids["supervisor_D1"], "supervisor_D1"
    )
    assert sent_back["from_activity_id"] == "review" and sent_back["at"]


def test_a_step_that_was_never_sent_back_has_no_send_back(api: Api) -> None:
    assert api.deploy(api_model("send_back.bpmn")).status_code == 201
    case = api.start("send_back", variables={"company": "梧桐精密"})
    check = api.task_for(case["id"], "check")["id"]
    assert api.get(f"/tasks/{check}", "staff_D1").get_json()["sent_back"] is None
