"""Issue 14, test 4: the leader's figures and ledger pages show the API's numbers (GET /reports/*,
GET /ledger): totals, charts with their data tables, department and people rows linking to the filtered ledger,
the ledger's filters, sort and CSV / Excel exports."""

from __future__ import annotations

import csv
import io
import re
import time
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, Journey, Site

pytestmark = pytest.mark.only_db("sqlite")
CASES = 8  # demo seed: a year (2019) of enterprise problems, the last weeks' still open


@pytest.fixture(scope="module")
def site(shared_site: Site) -> Site:
    """The tests only read, so they share one seeded site."""
    shared_site.cli.run("demo", "seed", "--cases", str(CASES))
    return shared_site


@pytest.fixture
def seeded(site: Site) -> Site:
    return site


def open_as_leader(journey: Journey, path: str) -> Any:
    journey.expect("GET", "/api/v1/session", 401)
    journey.sign_in("leader")
    journey.page.get_by_role("link", name="统计").wait_for()
    journey.goto(path)
    return journey.page


def table_rows(page: Any, test_id: str) -> list[list[str]]:
    return page.get_by_test_id(test_id).locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")


def canvas_drawn(page: Any, test_id: str) -> bool:
    """Whether the chart's canvas has any pixel painted."""
    return bool(page.get_by_test_id(test_id).locator("canvas").evaluate(
        "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some(v => v !== 0)"))


def settled_page_width(page: Any, at_most: int, seconds: float = 3.0) -> int:
    """The document's width once it fits ``at_most`` pixels, or after ``seconds``: Chart.js resizes its
    canvases on a ResizeObserver callback a frame or more after the viewport changed (a string for
    ``wait_for_function`` would be eval'd, which the page's CSP forbids, so this polls)."""
    deadline = time.monotonic() + seconds
    while True:
        width = int(page.evaluate("document.documentElement.scrollWidth"))
        if width <= at_most or time.monotonic() > deadline:
            return width
        page.wait_for_timeout(50)


def ledger_numbers(site: Site, query: str) -> list[str]:
    return [row["number"] for row in site.api("GET", f"/ledger?{query}&page_size=200", "leader")]


def test_figures_show_the_summary_and_its_charts(journey: Journey, seeded: Site) -> None:
    summary = seeded.api("GET", "/reports/summary", "leader")
    assert summary["received"] == CASES
    page = open_as_leader(journey, "/figures")
    expect(page.get_by_test_id("total-received")).to_contain_text(str(summary["received"]))
    for name in ("accepted", "closed", "open"):
        expect(page.get_by_test_id(f"total-{name}")).to_contain_text(str(summary[name]))
    rate = summary["on_time_closure_rate"]
    expect(page.get_by_test_id("rate-on_time_closure_rate")).to_contain_text(
        f"{rate['numerator']} / {rate['denominator']}")
    expect(page.get_by_test_id("rate-on_time_closure_rate")).to_contain_text(f"{rate['percent']:.1f}%")
    months = [[m["month"], str(m["received"]), str(m["closed"])] for m in summary["by_month"]]
    assert table_rows(page, "table-months") == months
    assert canvas_drawn(page, "chart-months")

    page.get_by_label("起始月份").fill("2019-03")
    page.get_by_label("截止月份").fill("2019-06")
    page.get_by_role("button", name="查询").click()
    spring = seeded.api("GET", "/reports/summary?from=2019-03-01&to=2019-06-30", "leader")
    expect(page.get_by_test_id("total-received")).to_contain_text(str(spring["received"]))
    expect(page.get_by_test_id("figures")).to_have_attribute("data-period", re.compile("2019-06-30"))
    assert table_rows(page, "table-months") == [
        [m["month"], str(m["received"]), str(m["closed"])] for m in spring["by_month"]]
    assert "from=2019-03" in page.url

    page.set_viewport_size({"width": 375, "height": 800})
    expect(page.get_by_test_id("chart-months")).to_be_visible()
    assert settled_page_width(page, 375) <= 375  # the charts shrink with the viewport, nothing scrolls sideways


def test_a_department_row_opens_the_ledger_of_its_cases(journey: Journey, seeded: Site) -> None:
    summary = seeded.api("GET", "/reports/summary", "leader")
    busiest = max((d for d in summary["by_department"] if d["key"]), key=lambda d: d["received"])
    page = open_as_leader(journey, "/figures")
    page.get_by_test_id("department-figures").locator(f'tr[data-department="{busiest["key"]}"] a').click()
    expect(page).to_have_url(re.compile(rf"/ledger\?department={busiest['key']}$"))
    expected = ledger_numbers(seeded, f"department={busiest['key']}")
    assert len(expected) == busiest["received"]
    expect(page.get_by_test_id("ledger-total")).to_contain_text(f"共 {busiest['received']} 件")
    numbers = page.get_by_test_id("ledger-table").locator("tbody tr td:first-child")
    expect(numbers).to_have_count(len(expected))
    assert sorted(numbers.all_text_contents()) == sorted(expected)
    expect(page.get_by_label("承办部门", exact=True)).to_have_value(busiest["key"])


def test_the_ledger_filters_sorts_and_exports(journey: Journey, seeded: Site) -> None:
    page = open_as_leader(journey, "/ledger")
    numbers = page.get_by_test_id("ledger-table").locator("tbody tr td:first-child")
    expect(numbers).to_have_count(CASES)
    processes = page.get_by_test_id("ledger-table").locator("tbody tr td:nth-child(3)")
    expect(processes.first).to_have_text("企业问题一口受理")  # the process by its name, not its key

    page.get_by_label("已办结").select_option("true")
    page.get_by_role("button", name="筛选", exact=True).click()
    closed = ledger_numbers(seeded, "closed=true&sort=-started_at")
    assert 0 < len(closed) < CASES
    expect(numbers).to_have_count(len(closed))
    assert numbers.all_text_contents() == closed
    assert "closed=true" in page.url

    page.get_by_role("button", name=re.compile("^编号")).click()
    expect(page.get_by_role("columnheader", name=re.compile("^编号"))).to_have_attribute("aria-sort", "ascending")
    expect(numbers.first).to_have_text(sorted(closed)[0])
    assert numbers.all_text_contents() == sorted(closed)

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="导出 CSV").click()
    assert csv_download.value.suggested_filename == "ledger.csv"
    with open(csv_download.value.path(), encoding="utf-8-sig") as file:
        text = file.read()
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == len(closed) + 1
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="导出 Excel").click()
    assert xlsx_download.value.suggested_filename == "ledger.xlsx"
    with open(xlsx_download.value.path(), "rb") as book:
        sheet = openpyxl.load_workbook(book).active
    cells = list(sheet.iter_rows(values_only=True))
    assert len(cells) == len(closed) + 1
    assert [row[0] for row in cells[1:]] == sorted(closed)


def test_a_person_row_opens_the_ledger_of_the_cases_they_handled(journey: Journey, seeded: Site) -> None:
    people = seeded.api("GET", "/reports/people", "leader")["rows"]
    person = min((r for r in people if r["handled"]), key=lambda r: (r["handled"], r["name"]))
    name = person["name"]
    expected = ledger_numbers(seeded, f"handled_by={name}")
    assert 0 < len(expected) <= person["handled"]  # one case per step they completed, at most
    assert len(expected) < CASES
    page = open_as_leader(journey, "/figures")
    page.get_by_test_id("people").locator(f'tr[data-key="{name}"] a').click()
    expect(page).to_have_url(re.compile(rf"/ledger\?handled_by={re.escape(name)}$"))
    expect(page.get_by_test_id("ledger-total")).to_contain_text(f"共 {len(expected)} 件")
    numbers = page.get_by_test_id("ledger-table").locator("tbody tr td:first-child")
    expect(numbers).to_have_count(len(expected))
    assert sorted(numbers.all_text_contents()) == sorted(expected)
    expect(page.get_by_label("经办人（用户名）", exact=True)).to_have_value(name)
    active = page.get_by_test_id("ledger-active-filters")
    expect(active).to_contain_text(f"经办人（用户名）: {name}")
    page.screenshot(path=str(ARTIFACTS / "person_row_ledger_filtered.png"), full_page=True)

    page.get_by_role("button", name="清除筛选：经办人（用户名）").click()
    expect(numbers).to_have_count(CASES)
    expect(active).to_have_count(0)
    assert "handled_by" not in page.url


def test_a_departments_points_row_opens_the_ledger_of_the_cases_it_handled(journey: Journey, seeded: Site) -> None:
    rows = seeded.api("GET", "/reports/departments", "leader")["rows"]
    department = min((r for r in rows if r["handled"]), key=lambda r: (r["handled"], r["key"]))["key"]
    expected = ledger_numbers(seeded, f"handled_by_department={department}")
    assert 0 < len(expected) < CASES
    page = open_as_leader(journey, "/figures")
    page.get_by_test_id("departments").locator(f'tr[data-key="{department}"] a').click()
    expect(page).to_have_url(re.compile(rf"/ledger\?handled_by_department={department}$"))
    numbers = page.get_by_test_id("ledger-table").locator("tbody tr td:first-child")
    expect(numbers).to_have_count(len(expected))
    assert sorted(numbers.all_text_contents()) == sorted(expected)
    expect(page.get_by_label("经办部门", exact=True)).to_have_value(department)
