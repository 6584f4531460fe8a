"""A list whose count stopped at the server's cap (``X-Total-Count-Capped``) says "more than N" on the
page, never "N" as if it were exact, and the ledger's pager claims no last page it never counted."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, DemoTemplate, Journey, Site
from tests.e2e.conftest import Wutong

pytestmark = pytest.mark.only_db("sqlite")
CAP = 3
SEEDED = 25  # more than a page of 20


@pytest.fixture
def wutong(demo_template: DemoTemplate, tmp_path: Path) -> Wutong:
    """The demo with more cases in the ledger than the server counts (WUTONG_COUNT_CAP=3)."""
    cli = demo_template.copy_into(tmp_path)
    cli.env["WUTONG_COUNT_CAP"] = str(CAP)
    cli.run("demo", "seed", "--cases", str(SEEDED))
    return cli


def test_the_ledger_says_more_than_the_cap_when_the_count_stopped_there(journey: Journey, site: Site) -> None:
    every = site.api("GET", "/ledger?page_size=200", "leader")
    assert len(every) > 20 > CAP  # more cases than one page of 20, and than the server counts
    journey.expect("GET", "/api/v1/session", 401)
    journey.sign_in("leader")
    journey.page.get_by_role("link", name="统计").wait_for()
    journey.goto("/ledger?page_size=20")
    page = journey.page
    expect(page.get_by_test_id("ledger-table").locator("tbody tr")).to_have_count(20)
    expect(page.get_by_test_id("ledger-total")).to_have_text(f"超过 {CAP} 件")
    expect(page.get_by_test_id("ledger-page")).to_have_text("第 1 页（总页数未统计）")
    page.screenshot(path=str(ARTIFACTS / "ledger_capped_total.png"), full_page=True)
    next_page = page.get_by_role("button", name="下一页")
    expect(next_page).to_be_enabled()  # the uncounted rest is reachable
    next_page.click()
    expect(page.get_by_test_id("ledger-table").locator("tbody tr")).to_have_count(len(every) - 20)
    expect(page.get_by_test_id("ledger-page")).to_have_text("第 2 / 2 页")  # a short page is the last one
    expect(next_page).to_be_disabled()

