"""Issue 12, test 2: a supervisor watches a step of their department go overdue (a model due 20
seconds after the step opens, escalated by the real worker the ``site`` fixture runs), reassigns it
to a colleague, first without a reason (the server's 422 shows under the reason field), then with one,
which the case page's timeline shows beside the diagram marking the step overdue; the escalation's
notification shows in the navigation's unread count and on the notifications page, where it is marked read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, Journey, Site

pytestmark = pytest.mark.only_db("sqlite")  # one database is enough for the pages

MODEL = Path(__file__).resolve().parent / "models" / "overdue_check.bpmn"
REASON = "周雅琴休假，改由吴俊杰核对"
OVERDUE_WAIT = 60_000  # ms: the step is due 20 s after it opens; the page polls every 10 s


def start_case(site: Site) -> dict[str, str]:
    files = [("files", (MODEL.name, MODEL.read_bytes(), "application/octet-stream"))]
    site.api("POST", "/deployments", "designer", files=files)
    case: dict[str, str] = site.api("POST", "/process-definitions/key/overdue_check/start", "ops_center.staff1",
                                    json={"business_key": "OC-BROWSER-2", "variables": {}})
    return case


def test_a_supervisor_sees_a_step_go_overdue_and_reassigns_it_with_a_reason(journey: Journey, site: Site) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    journey.expect("POST", r"/api/v1/tasks/[0-9a-f-]{36}/assign", 422)  # the first try, without a reason
    case = start_case(site)

    journey.sign_in("water_supply.supervisor")
    page.get_by_role("link", name="督办").click()
    expect(page.get_by_role("heading", name="督办", exact=True)).to_be_visible()
    row = page.locator("tr", has_text=case["number"])
    expect(row).to_contain_text("核对供水资料")
    expect(row).to_contain_text("已逾期", timeout=OVERDUE_WAIT)  # in words, not only red
    expect(page.get_by_test_id("unread-count")).to_contain_text("1 条未读", timeout=OVERDUE_WAIT)  # escalated

    row.get_by_role("button", name="处理").click()
    actions = page.get_by_test_id("task-actions")
    actions.get_by_label("改派到人员（可选）").select_option(label="吴俊杰 (water_supply.staff2)")
    actions.get_by_role("button", name="改派", exact=True).click()
    expect(page.get_by_test_id("reassign-reason-error")).to_have_text("请填写原因。")  # the server's 422, in words
    actions.get_by_label("原因*").fill(REASON)
    page.screenshot(path=str(ARTIFACTS / "supervision_reassign_form.png"), full_page=True)
    actions.get_by_role("button", name="改派", exact=True).click()
    expect(page.get_by_test_id("supervision-notice")).to_contain_text("已改派")
    expect(row.get_by_test_id("assignee")).to_have_text("吴俊杰")

    journey.goto(f"/cases/{case['id']}")  # the case page: the overdue step marked, the reason in the timeline
    step = page.get_by_test_id("case-diagram").locator('g.djs-element[data-element-id="check_papers"]')
    expect(step).to_have_class(re.compile(r"\bwt-overdue\b"))
    expect(page.get_by_test_id("diagram-legend")).to_contain_text("已逾期 (1)")  # the legend says it in words
    expect(page.get_by_test_id("timeline").locator('li[data-action="task.reassigned"]')).to_contain_text(REASON)

    history = site.api("GET", f"/process-instances/{case['id']}/history", "water_supply.supervisor")
    reassigned = [e for e in history if e["action"] == "task.reassigned"]
    staff2 = site.api("GET", "/users/me", "water_supply.staff2")["id"]
    assert [(e["details"]["reason"], e["details"]["to_user"]) for e in reassigned] == [(REASON, staff2)]
    held = site.api("GET", "/tasks", "water_supply.staff2", params={"state": "claimed", "assignee": "me"})
    assert [(t["instance_id"], t["name"]) for t in held] == [(case["id"], "核对供水资料")]


def test_the_escalations_notification_shows_unread_and_is_marked_read(journey: Journey, site: Site) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    case = start_case(site)

    journey.sign_in("water_supply.supervisor")
    badge = page.get_by_test_id("unread-count")
    expect(badge).to_contain_text("1 条未读", timeout=OVERDUE_WAIT)  # the worker escalated the step
    page.get_by_role("link", name=re.compile("^通知")).click()
    item = page.get_by_test_id("notifications").get_by_role("listitem").filter(has_text=case["number"])
    expect(item).to_contain_text("核对供水资料")
    expect(item).to_contain_text("未读")
    item.get_by_role("button", name="标为已读").click()
    expect(item).to_contain_text("已读")
    expect(item).to_have_attribute("data-read", "true")
    expect(page.get_by_test_id("unread-summary")).to_have_text("0 条未读")
    expect(badge).to_have_count(0)  # the navigation's count follows at once
    mine = site.api("GET", "/users/me/notifications/unread-count", "water_supply.supervisor")
    assert mine == {"unread": 0}


def test_staff_see_no_supervision_link_but_their_notifications(journey: Journey, site: Site) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    journey.sign_in("water_supply.staff1")
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    expect(page.get_by_role("link", name="督办")).to_have_count(0)
    page.get_by_role("link", name=re.compile("^通知")).click()
    expect(page.get_by_test_id("notifications-empty")).to_have_text("暂无通知。")
