"""Issue 12, test 1: staff of two departments each see only their own tasks; the ops centre claims the
first step, fills its form, gets a validation error next to the field, fixes it, completes, and the
case moves into the water company's inbox."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey, Site

pytestmark = pytest.mark.only_db("sqlite")  # one database is enough for the pages

REQUEST = {
    "company_name": "郑州梧桐精工机械有限公司",
    "credit_code": "91410100MA44R7QK24",
    "utility_type": "water",
    "site_address": "郑州高新区梧桐街与贾庄路交叉口东北角",
    "problem_description": "门前道路和供水管网多年未建成，企业只能自备井取水",
    "demand": "日用水量约 30 立方米",
    "source": "visit",
    "contact_person": "马志成",
    "working_group": "运营中心牵头，供水、路桥、市政、城管、街道、村委会各派联络人",
}


def test_two_departments_see_their_own_tasks_and_the_case_moves_on(journey: Journey, site: Site) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    journey.expect("POST", r"/api/v1/tasks/[0-9a-f-]{36}/complete", 422)  # the wrong phone number
    company = site.api("GET", "/users/me", "jinggong.applicant")["id"]  # the company confirms the supply itself
    case = site.api("POST", "/process-definitions/key/utility_connection/start", "ops_center.staff1",
                    json={"business_key": "UC-BROWSER-1", "variables": REQUEST, "applicant_id": company})
    number = case["number"]

    journey.sign_in("water_supply.staff1")  # not the water company's step yet
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    journey.sign_out()

    journey.sign_in("ops_center.staff1")
    row = page.locator("tr", has_text=number)
    expect(row).to_contain_text("UC-BROWSER-1")
    expect(row).to_contain_text("园区运营中心")
    row.get_by_role("link", name=number).click()
    page.get_by_role("button", name="认领").click()
    expect(page.get_by_test_id("task-state")).to_have_text("已认领")
    expect(page.get_by_label("企业名称*")).to_have_value(REQUEST["company_name"])  # the case's current values
    page.get_by_label("联系电话*").fill("call me")
    page.get_by_role("button", name="提交办结").click()
    expect(page.get_by_test_id("task-message")).to_contain_text("表单有误")
    # the server's error, under its field (rjsf's error list for the field)
    expect(page.locator("#root_contact_phone__error")).to_contain_text("'call me' does not match")
    expect(page.get_by_label("工作专班组成")).to_have_value(REQUEST["working_group"])  # entered data kept
    page.get_by_label("联系电话*").fill("13800000001")
    page.get_by_role("button", name="提交办结").click()
    expect(page.get_by_test_id("task-message")).to_contain_text("已提交")
    journey.sign_out()

    journey.sign_in("water_supply.staff1")
    row = page.locator("tr", has_text=number)
    expect(row).to_contain_text("供水公司")
    expect(row).to_contain_text("UC-BROWSER-1")
