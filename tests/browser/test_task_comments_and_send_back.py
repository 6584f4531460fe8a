"""The task page's comments and 退回: staff leave a comment on a step, which the page lists; a
supervisor sends a review step back to the draft with a required reason, and the reopened draft
shows why."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey, Site

pytestmark = pytest.mark.only_db("sqlite")

MODEL = Path(__file__).resolve().parent / "models" / "papers_review.bpmn"
COMMENT = "营业执照复印件已补齐"
REASON = "缺少管网走向图，请补充后再报"


def test_staff_comment_and_a_supervisor_sends_the_review_back_with_a_reason(journey: Journey, site: Site) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    site.api("POST", "/deployments", "designer",
             files=[("files", (MODEL.name, MODEL.read_bytes(), "application/octet-stream"))])
    case = site.api("POST", "/process-definitions/key/papers_review/start", "ops_center.staff1",
                    json={"business_key": "PR-BROWSER-1", "variables": {}})
    [draft] = site.api("GET", f"/tasks?instance_id={case['id']}&state=open", "water_supply.staff1")
    site.api("POST", f"/tasks/{draft['id']}/complete", "water_supply.staff1", json={"data": {}})
    [review] = site.api("GET", f"/tasks?instance_id={case['id']}&state=open", "water_supply.staff1")

    journey.sign_in("water_supply.staff1")
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()  # signed in before going on
    journey.goto(f"/tasks/{review['id']}")
    expect(page.get_by_role("button", name="退回")).to_have_count(0)  # a supervisor's act
    page.get_by_label("添加备注").fill(COMMENT)
    page.get_by_role("button", name="添加", exact=True).click()
    expect(page.get_by_test_id("task-comments")).to_contain_text(COMMENT)
    journey.sign_out()

    journey.sign_in("water_supply.supervisor")
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    journey.goto(f"/tasks/{review['id']}")
    expect(page.get_by_test_id("task-comments")).to_contain_text(COMMENT)
    page.get_by_role("button", name="退回").click()
    page.get_by_label("退回原因（必填）").fill(REASON)
    page.get_by_role("button", name="确认退回").click()
    expect(page.get_by_test_id("task-message")).to_contain_text("已退回上一环节")

    [reopened] = site.api("GET", f"/tasks?instance_id={case['id']}&state=open", "water_supply.staff1")
    assert reopened["activity_id"] == "draft" and reopened["id"] != draft["id"]
    assert site.api("GET", f"/tasks/{reopened['id']}", "water_supply.staff1")["sent_back"]["reason"] == REASON
