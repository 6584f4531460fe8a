"""Issue 14, the ledger and figures pages: a leader reads the figures (every number the API's, the
charts drawn), follows a department to the ledger filtered to exactly its cases, sorts it and
downloads it as CSV and Excel."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, Journey, Site
from tests.e2e.conftest import Wutong

pytestmark = pytest.mark.only_db("sqlite")


def rate_text(rate: dict[str, int]) -> str:
    return f"{rate['numerator']}/{rate['denominator']}"


def test_a_leader_reads_the_figures_and_follows_a_department_to_its_ledger(
    journey: Journey, site: Site, wutong: Wutong
) -> None:
    wutong.run("demo", "seed", "--cases", "10", "--year", "2025")
    summary = site.api("GET", "/reports/summary", "leader")
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    journey.sign_in("leader")
    page.get_by_role("link", name="数据统计").click()

    expect(page.get_by_test_id("figure-received")).to_have_text(str(summary["received"]))
    expect(page.get_by_test_id("figure-closed")).to_have_text(str(summary["closed"]))
    expect(page.get_by_test_id("rate-closure")).to_contain_text(rate_text(summary["closure_rate"]))
    expect(page.get_by_test_id("rate-acceptance")).to_contain_text(rate_text(summary["acceptance_rate"]))
    chart = page.get_by_test_id("chart-months")
    expect(chart).to_be_visible()
    assert chart.evaluate("c => c.width > 0 && c.toDataURL().length > 2000")  # bars drawn, not a blank canvas
    page.screenshot(path=ARTIFACTS / "figures-page.png", full_page=True)

    department = max(summary["by_department"], key=lambda row: row["received"])
    row = page.get_by_test_id("by-department").locator(f'tr[data-key="{department["key"]}"]')
    expect(row).to_contain_text(str(department["received"]))
    row.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/ledger\?department={department['key']}$"))
    expect(page.get_by_test_id("ledger-total")).to_contain_text(str(department["received"]))
    listed = site.api("GET", f"/ledger?department={department['key']}&page_size=100", "leader")
    numbers = sorted(item["number"] for item in listed)
    expect(page.get_by_test_id("ledger").locator("tbody tr")).to_have_count(min(len(numbers), 25))

    page.get_by_role("button", name="编号").click()  # sort by number, ascending
    expect(page.get_by_test_id("ledger").locator("tbody tr").first).to_contain_text(numbers[0])
    expect(page).to_have_url(re.compile(r"sort=number"))

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="导出 CSV").click()
    assert csv_download.value.suggested_filename == "ledger.csv"
    lines = Path(csv_download.value.path()).read_text(encoding="utf-8-sig").strip().splitlines()
    assert len(lines) == len(numbers) + 1  # the header and one line per case of the filter
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="导出 Excel").click()
    assert xlsx_download.value.suggested_filename == "ledger.xlsx"
    assert Path(xlsx_download.value.path()).read_bytes()[:2] == b"PK"  # an Office Open XML package
