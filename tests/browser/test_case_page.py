"""Issue 12, test 3 and the case page's messages: an auditor opens a finished utility-connection case
(its diagram marks the steps, the timeline lists every step with its values, the audit chain verifies),
and staff of the water company record the message the case waits for, which moves it on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey, Site
from tests.browser.water_case import (
    ACCOUNT_NO,
    AFTER_SUPPLY,
    TO_SUPPLY,
    finished,
    open_case_page,
    waiting_for_supply,
)

pytestmark = pytest.mark.only_db("sqlite")  # one database is enough for the pages


CODED = {"water": "用水接入", "visit": "分包走访"}  # coded values read by their forms' titles


def _in_words(value: str) -> str:
    """A submitted value as the timeline shows it: a coded value by its title, a form's date per locale."""
    day = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
    if day:
        return f"{int(day[1])}年{int(day[2])}月{int(day[3])}日"
    return CODED.get(value, value)


def test_an_auditor_sees_a_finished_case_marked_timed_and_verified(journey: Journey, site: Site) -> None:
    page = journey.page
    open_case_page(journey, "auditor", finished(site, "UC-CASE-PAGE-1"))
    expect(page.get_by_test_id("case-state")).to_have_text("已办结")
    diagram = page.get_by_test_id("case-diagram")
    for step in ("accept_request", "survey_design", "approve_cost", "wait_supply_connected", "close_case"):
        expect(diagram.locator(f'g.djs-element[data-element-id="{step}"]')).to_have_class(re.compile(r"\bwt-completed\b"))
    expect(diagram.locator(".wt-active, .wt-overdue")).to_have_count(0)
    expect(page.get_by_test_id("diagram-legend")).to_contain_text("已完成")

    timeline = page.get_by_test_id("timeline")
    completions = timeline.locator('li[data-action="task.completed"]')
    expect(completions).to_have_count(len(TO_SUPPLY) + len(AFTER_SUPPLY))
    for _user, _step, data in TO_SUPPLY + AFTER_SUPPLY:  # every step's values, not only its field names
        for value in data.values():
            if isinstance(value, str):
                expect(timeline).to_contain_text(_in_words(value))
    expect(timeline.locator('li[data-action="message.received"]')).to_contain_text(ACCOUNT_NO)
    expect(timeline.locator('li[data-action="case.completed"]')).to_contain_text("案件办结")
    expect(page.get_by_test_id("chain-result")).to_contain_text("审计链完整")


def test_staff_of_the_case_record_the_message_it_waits_for_and_it_moves_on(journey: Journey, site: Site) -> None:
    page = journey.page
    case_id = waiting_for_supply(site, "UC-CASE-PAGE-2")
    open_case_page(journey, "water_supply.staff1", case_id)
    diagram = page.get_by_test_id("case-diagram")
    waiting = diagram.locator('g.djs-element[data-element-id="wait_supply_connected"]')
    expect(waiting).to_have_class(re.compile(r"\bwt-active\b"))
    messages = page.get_by_test_id("case-messages")
    expect(messages).to_contain_text("supply_connected")
    expect(messages).to_contain_text(f"account_no = {ACCOUNT_NO}")
    expect(messages.get_by_label("用户编号*")).to_have_value(ACCOUNT_NO)  # the case's own value
    messages.get_by_label("通水（通电）时间*").fill("2019-06-25T09:30")  # the payload's own form
    messages.get_by_role("button", name="登记消息").click()

    expect(messages).to_have_count(0)  # the case no longer waits
    expect(waiting).to_have_class(re.compile(r"\bwt-completed\b"))
    expect(diagram.locator('g.djs-element[data-element-id="confirm_supply"]')).to_have_class(re.compile(r"\bwt-active\b"))
    expect(page.get_by_test_id("timeline").locator('li[data-action="message.received"]')).to_contain_text(ACCOUNT_NO)
    tasks = site.api("GET", f"/tasks?instance_id={case_id}&state=open", "ops_center.staff1")
    assert [t["activity_id"] for t in tasks if t["kind"] == "user"] == ["confirm_supply"]
    received = site.api("GET", f"/process-instances/{case_id}", "water_supply.staff1")["variables"]
    assert received["supply_connected_message"]["account_no"] == ACCOUNT_NO
    assert received["supply_connected_message"]["connected_at"].startswith("2019-06-25")  # typed in the form


def test_a_case_the_reader_may_not_see_is_explained_in_words(journey: Journey, site: Site) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    journey.expect("GET", r"/api/v1/process-instances/[0-9a-f-]{36}", 404)
    company = site.api("GET", "/users/me", "jinggong.applicant")["id"]
    case = site.api("POST", "/process-definitions/key/utility_connection/start", "ops_center.staff1",
                    json={"business_key": "UC-CASE-PAGE-3", "applicant_id": company})

    journey.sign_in("water_supply.staff1")  # the water company has no part in the case yet
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    journey.goto(f"/cases/{case['id']}")
    expect(page.get_by_test_id("case-failure")).to_contain_text("找不到该案件，或您无权查看")
    expect(page.get_by_test_id("case-diagram")).to_have_count(0)


def test_a_supervisor_fixes_the_data_of_a_stopped_case_and_retries_it(journey: Journey, site: Site) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    model = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "exclusive_inclusive.bpmn"
    site.api("POST", "/deployments", "designer", files=[("files", (model.name, model.read_bytes()))])
    case = site.api("POST", "/process-definitions/key/exclusive_inclusive/start", "ops_center.staff1",
                    json={"business_key": "EI-CASE-PAGE-4"})
    [request] = site.api("GET", f"/tasks?instance_id={case['id']}&state=open", "admin")
    site.api("POST", f"/tasks/{request['id']}/complete", "admin", json={"data": {}})  # the gateway misses `priority`

    journey.sign_in("ops_center.supervisor")
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    journey.goto(f"/cases/{case['id']}")
    expect(page.get_by_test_id("case-state")).to_have_text("出错待处理")
    expect(page.get_by_test_id("case-incidents")).to_contain_text("priority")
    page.get_by_label(re.compile("^变量名")).fill("priority")
    page.get_by_label(re.compile("^新值")).fill("high")
    page.get_by_label(re.compile("^理由")).fill("受理时漏填优先级，按企业来电补录")
    page.get_by_role("button", name="修正数据").click()
    expect(page.get_by_role("alert").filter(has_text="数据已修正")).to_be_visible()
    page.get_by_role("button", name="重试").click()

    expect(page.get_by_test_id("case-state")).to_have_text("办理中")
    expedite = page.get_by_test_id("case-diagram").locator('g.djs-element[data-element-id="expedite"]')
    expect(expedite).to_have_class(re.compile(r"\bwt-active\b"))
    expect(page.get_by_test_id("timeline")).to_contain_text("受理时漏填优先级，按企业来电补录")


def test_in_english_the_steps_carry_their_english_names_and_the_page_fits_375_px(journey: Journey, site: Site) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    case_id = waiting_for_supply(site, "UC-CASE-PAGE-5")
    page.add_init_script("window.localStorage.setItem('wutong.language', 'en')")
    page.set_viewport_size({"width": 375, "height": 800})

    journey.sign_in("auditor")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    journey.goto(f"/cases/{case_id}")
    expect(page.get_by_test_id("chain-result")).to_contain_text("The audit chain is intact")
    page.get_by_text("Steps as a list").click()
    steps = page.get_by_test_id("diagram-steps")
    expect(steps).to_contain_text("Accept the request and form a working group: completed")  # nameEn, state in words
    expect(steps).to_contain_text("Supply connected: in progress")
    expect(page.get_by_test_id("timeline")).to_contain_text("Step completed")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
