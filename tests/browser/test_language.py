"""Issue 12, test 5: the language switch turns a page to English and back, remembered across a reload;
and a journey at 375 px wide: the folded navigation, the inbox and a task's form are usable and the
page never scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey, Site
from tests.browser.test_inbox_and_task import REQUEST

pytestmark = pytest.mark.only_db("sqlite")
PHONE = {"width": 375, "height": 800}


@pytest.fixture(scope="module")
def site(shared_site: Site) -> Site:
    """One site for the module: the language test changes nothing on the server."""
    return shared_site


def no_sideways_scroll(journey: Journey) -> None:
    width = journey.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide at {PHONE['width']} px"


def test_the_language_switch_turns_the_page_to_english_and_back_and_is_remembered(journey: Journey) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    journey.sign_in("ops_center.staff1")
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()  # remembered
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_at_375_px_the_navigation_inbox_and_task_form_are_usable(journey: Journey, site: Site) -> None:
    page = journey.page
    page.set_viewport_size(PHONE)
    journey.expect("GET", "/api/v1/session", 401)
    company = site.api("GET", "/users/me", "jinggong.applicant")["id"]
    case = site.api("POST", "/process-definitions/key/utility_connection/start", "ops_center.staff2",
                    json={"business_key": "UC-PHONE-1", "variables": REQUEST, "applicant_id": company})

    journey.sign_in("ops_center.staff2")
    toggler = page.get_by_role("button", name="展开或收起导航")
    expect(toggler).to_be_visible()
    expect(page.get_by_role("button", name="退出登录")).to_be_hidden()  # folded away
    no_sideways_scroll(journey)
    toggler.click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    expect(page.get_by_test_id("nav-inbox-count")).to_have_text("1")
    page.get_by_role("link", name="待办").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_hidden()  # folds again after a link

    row = page.locator("tr", has_text=case["number"])
    expect(row).to_contain_text("UC-PHONE-1")
    no_sideways_scroll(journey)
    row.get_by_role("link", name=case["number"]).click()
    page.get_by_role("button", name="认领").click()
    expect(page.get_by_test_id("task-state")).to_have_text("已认领")
    phone = page.get_by_label("联系电话*")
    phone.fill("13800000002")
    box = phone.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    no_sideways_scroll(journey)
    page.get_by_role("button", name="提交办结").click()
    expect(page.get_by_test_id("task-message")).to_contain_text("已提交")
    no_sideways_scroll(journey)
