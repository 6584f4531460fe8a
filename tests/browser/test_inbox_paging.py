"""The inbox pages, filters and counts on the server: a department with more open steps than a page holds
reaches the last of them, and the counts are the true ones, not those of what one page fetched."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, Journey, Site

pytestmark = pytest.mark.only_db("sqlite")
PAGE_SIZE = 50  # webapi/ui/src/pages/Inbox.jsx
STAFF = "ops_center.staff1"


def _open_total(site: Site) -> int:
    answer = site.server.call("GET", "/tasks?inbox=true&state=open&page_size=1", site.tokens[STAFF])
    return int(answer.headers["X-Total-Count"])


def test_a_department_with_many_open_steps_pages_to_the_last_of_them(journey: Journey, site: Site) -> None:
    company = site.api("GET", "/users/me", "jinggong.applicant")["id"]
    for n in range(2 * PAGE_SIZE + 1 - _open_total(site)):  # three pages, the last with one step
        site.api("POST", "/process-definitions/key/utility_connection/start", STAFF,
                 json={"business_key": f"MANY-{n}", "applicant_id": company})
    total = _open_total(site)
    assert total == 2 * PAGE_SIZE + 1
    journey.expect("GET", "/api/v1/session", 401)
    journey.sign_in(STAFF)
    page = journey.page
    expect(page.locator("[data-count=open]")).to_have_text(str(total))
    expect(page.get_by_test_id("nav-inbox-count")).to_have_text(str(total))
    expect(page.get_by_test_id("inbox").locator("tbody tr")).to_have_count(PAGE_SIZE)
    expect(page.get_by_test_id("inbox-page")).to_have_text(f"第 1 / 3 页，共 {total} 件")
    page.get_by_role("button", name="下一页").click()
    page.get_by_role("button", name="下一页").click()
    expect(page.get_by_test_id("inbox-page")).to_have_text(f"第 3 / 3 页，共 {total} 件")
    expect(page.get_by_test_id("inbox").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_role("button", name="下一页")).to_be_disabled()
    page.screenshot(path=str(ARTIFACTS / "inbox_paging.png"))


def test_a_status_filter_asks_the_server_and_starts_at_its_first_page(journey: Journey, site: Site) -> None:
    journey.expect("GET", "/api/v1/session", 401)
    journey.sign_in(STAFF)
    page = journey.page
    page.wait_for_selector("[data-testid=inbox], [data-testid=inbox-empty]")
    with page.expect_request(lambda r: "/api/v1/tasks?inbox=true" in r.url and "state=claimed" in r.url):
        page.locator("[data-status=mine]").click()
    expect(page.locator("[data-status=mine]")).to_have_attribute("aria-pressed", "true")
    mine = page.locator("[data-count=mine]").inner_text()
    if mine == "0":
        expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    else:
        expect(page.get_by_test_id("inbox").locator("tbody tr")).to_have_count(min(int(mine), PAGE_SIZE))
    expect(page.get_by_test_id("inbox-page")).to_have_count(0 if int(mine) <= PAGE_SIZE else 1)
