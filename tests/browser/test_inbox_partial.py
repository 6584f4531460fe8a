"""An inbox with more open tasks than it fetches (the 200 due first) says how many it left out, instead
of listing and counting only the ones it has as if they were all."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, Journey, Site

pytestmark = pytest.mark.only_db("sqlite")
OPEN_LIMIT = 200  # webapi/ui/src/pages/inboxTasks.js


def test_the_inbox_says_when_it_lists_only_the_open_tasks_due_first(journey: Journey, site: Site) -> None:
    company = site.api("GET", "/users/me", "jinggong.applicant")["id"]
    open_before = int(site.server.call("GET", "/tasks?state=open&page_size=1", site.tokens["ops_center.staff1"])
                      .headers["X-Total-Count"])
    for n in range(OPEN_LIMIT + 1 - open_before):  # one more open task than the inbox fetches
        site.api("POST", "/process-definitions/key/utility_connection/start", "ops_center.staff1",
                 json={"business_key": f"MANY-{n}", "applicant_id": company})
    journey.expect("GET", "/api/v1/session", 401)
    journey.sign_in("ops_center.staff1")
    page = journey.page
    expect(page.get_by_test_id("inbox-partial")).to_have_text(
        f"待认领任务较多：这里只列出最早到期的 {OPEN_LIMIT} 件（共 {OPEN_LIMIT + 1} 件），上面的计数也只算这些。")
    expect(page.get_by_test_id("inbox").locator("tbody tr")).to_have_count(OPEN_LIMIT)
    page.screenshot(path=str(ARTIFACTS / "inbox_partial.png"))


def test_an_inbox_with_every_open_task_fetched_says_nothing_of_the_kind(journey: Journey, site: Site) -> None:
    journey.expect("GET", "/api/v1/session", 401)
    journey.sign_in("ops_center.staff1")
    expect(journey.page.get_by_role("heading", name="待办事项")).to_be_visible()
    journey.page.wait_for_selector("[data-testid=inbox], [data-testid=inbox-empty]")
    expect(journey.page.get_by_test_id("inbox-partial")).to_have_count(0)
