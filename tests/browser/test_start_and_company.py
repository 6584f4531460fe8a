"""Issue 12, test 4 and the "start a case" page: a company user raises a problem on the company page,
follows it while the departments work on it (through the API), confirms and rates the result in the
browser, and the ledger shows the rating; staff start a case from /start, a start-form error fixed
and the form sent again."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey, Site

pytestmark = pytest.mark.only_db("sqlite")  # one database is enough for the pages

COMPANY = "郑州梧桐精工机械有限公司"
ACCEPTANCE = {
    "company_name": COMPANY,
    "source": "online",
    "category": "talent_recruitment",  # the human-resources bureau leads, nobody assists
    "problem_description": "新厂区投产，急需招聘 40 名数控操作工",
    "contact_person": "马志成",
    "contact_phone": "0371-6789 1234",
    "acceptance": "accept",
}


def _complete(site: Site, case: str, activity: str, as_: str, data: dict[str, Any]) -> None:
    """Staff complete the case's open step ``activity`` through the API."""
    tasks = site.api("GET", f"/tasks?instance_id={case}&state=open", as_)
    task = next(t for t in tasks if t["activity_id"] == activity)
    site.api("POST", f"/tasks/{task['id']}/complete", as_, json={"data": data})


def test_a_company_raises_a_problem_follows_it_and_confirms_and_rates_the_result(
    journey: Journey, site: Site
) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    journey.sign_in("jinggong.applicant")
    expect(page.get_by_role("heading", name="企业服务")).to_be_visible()  # the company's landing page

    expect(page.get_by_label("企业名称")).to_have_value(COMPANY)  # the company's name, filled in
    page.get_by_label("问题描述").fill(ACCEPTANCE["problem_description"])
    page.get_by_label("企业联系人").fill("马志成")
    page.get_by_label("联系电话").fill("0371-6789 1234")
    page.get_by_role("button", name="提交问题").click()
    expect(page.get_by_test_id("raised")).to_contain_text("已提交，办件编号 WT-")
    number = re.search(r"WT-\d{4}-\d{6}", page.get_by_test_id("raised").inner_text())
    assert number is not None
    card = page.locator("[data-testid=company-case]", has_text=number.group(0))
    expect(card).to_contain_text("园区运营中心正在办理“受理企业问题”")  # which department, which step
    case = site.api("GET", "/process-instances", "jinggong.applicant")[0]["id"]

    _complete(site, case, "accept_problem", "ops_center.staff1", ACCEPTANCE)
    page.reload()
    expect(card).to_contain_text("人力资源和社会保障局正在办理“承办部门办理并答复”")
    expect(card).to_contain_text("应于")  # due when, with its status in words
    expect(card.get_by_text(re.compile("^(按期|即将到期)$")).first).to_be_visible()

    _complete(site, case, "lead_handle", "hr_social.staff1",
              {"handling_measures": "安排专场招聘会", "reply_to_company": "已安排 12 月专场招聘会", "resolved": True})
    page.reload()
    expect(card.get_by_test_id("step-for-me")).to_contain_text("等待您处理")
    card.get_by_role("link", name=re.compile("去处理")).click()

    page.get_by_label(re.compile("^认可办理结果")).check()
    page.get_by_label(re.compile("^满意度评价")).fill("5")
    page.get_by_label(re.compile("^意见和建议")).fill("办理及时，感谢")
    page.get_by_role("button", name="提交办结").click()
    expect(page.get_by_test_id("task-message")).to_contain_text("已提交")

    ledger = site.api("GET", f"/ledger?number={number.group(0)}", "auditor")
    assert [row["satisfaction"] for row in ledger] == [5]

    _complete(site, case, "center_review", "ops_center.staff1",
              {"close_decision": "strike_off", "review_opinion": "企业满意，销号"})
    page.get_by_role("link", name=re.compile("返回")).click()
    expect(card.get_by_test_id("case-ended")).to_contain_text("已办结")
    expect(card.get_by_test_id("case-ended")).to_contain_text("您的满意度评价：5 分")


def test_staff_start_a_case_and_fix_a_start_form_error(journey: Journey, site: Site) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    journey.expect("POST", "/api/v1/process-definitions/key/utility_connection/start", 422)
    journey.sign_in("ops_center.staff1")
    page.get_by_role("link", name="发起办件").click()
    expect(page.get_by_role("heading", name="发起办件")).to_be_visible()
    page.get_by_role("button", name="utility_connection").click()

    choice = page.get_by_label("办件企业")
    expect(choice.locator("option", has_text=COMPANY)).to_have_count(1)
    choice.select_option(label=choice.locator("option", has_text=COMPANY).inner_text())
    page.get_by_label("业务编号（可选）").fill("UC-START-1")
    page.get_by_label("企业名称").fill(COMPANY)
    page.get_by_label("项目地址").fill("梧桐街道贾庄村南侧")
    page.get_by_label("联系电话").fill("call me")
    page.get_by_role("button", name="发起", exact=True).click()
    expect(page.get_by_test_id("start-message")).to_contain_text("表单有误")
    expect(page.locator("#root-utility_connection_contact_phone__error")).to_contain_text("does not match")
    expect(page.get_by_label("项目地址")).to_have_value("梧桐街道贾庄村南侧")  # entered data kept

    page.get_by_label("联系电话").fill("13800000001")
    page.get_by_role("button", name="发起", exact=True).click()
    expect(page.get_by_test_id("started")).to_contain_text("已发起办件 WT-")
    expect(page.get_by_role("link", name=re.compile("查看办件 WT-"))).to_have_attribute("href", re.compile("^/cases/"))

    cases = site.api("GET", "/process-instances?business_key=UC-START-1", "ops_center.staff1")
    company = site.api("GET", "/users/me", "jinggong.applicant")["id"]
    assert [(c["key"], c["applicant"], c["variables"]["contact_phone"]) for c in cases] == [
        ("utility_connection", company, "13800000001")
    ]


def test_the_company_page_says_in_english_which_department_has_the_problem(journey: Journey, site: Site) -> None:
    page = journey.page
    page.set_viewport_size({"width": 375, "height": 800})
    journey.expect("GET", "/api/v1/session", 401)
    case = site.api("POST", "/process-definitions/key/enterprise_problem/start", "jinggong.applicant",
                    json={"variables": {"company_name": COMPANY, "problem_description": "需要公交线路"}})
    journey.sign_in("jinggong.applicant")
    card = page.locator("[data-testid=company-case]", has_text=case["number"])
    expect(card).to_be_visible()  # signed in: the sign-in page's own switch is gone
    page.get_by_role("button", name="展开或收起导航").click()  # at 375 px the switch is folded away
    page.get_by_role("button", name="English").click()

    expect(card).to_contain_text("Park Operations Center is working on “Accept the problem” since")
    expect(card).to_contain_text("In progress")
    expect(page.get_by_role("button", name="Submit the problem")).to_be_visible()
