"""The case page's data reads in the words of the process's forms (GET /process-instances/{id}/data-labels):
titles instead of variable names, coded values by their titles, dates per locale, and the variables no
form names after them under their raw names. The shipped forms carry Chinese titles only, so the
English page shows those same titles with English yes/no and dates."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, expect

from tests.browser.conftest import Journey, Site
from tests.browser.water_case import finished, open_case_page

pytestmark = pytest.mark.only_db("sqlite")  # one database is enough for the pages


def _row(data: Locator, title: str) -> Locator:
    """The row of the case data whose term is exactly ``title``."""
    return data.locator("div", has=data.page.locator("dt", has_text=re.compile(f"^{re.escape(title)}$")))


def test_an_auditor_reads_the_case_data_by_its_form_titles_in_chinese(journey: Journey, site: Site) -> None:
    page = journey.page
    open_case_page(journey, "auditor", finished(site, "UC-DATA-LABELS-1"))
    data = page.get_by_test_id("case-variables")
    expect(_row(data, "企业名称")).to_contain_text("郑州梧桐精工机械有限公司")
    expect(_row(data, "接入类型")).to_contain_text("用水接入")  # the coded value "water" by its title
    expect(_row(data, "窗口期开始")).to_contain_text("2019年3月20日")  # a form's date, per locale
    expect(_row(data, "已正常用水（用电）")).to_contain_text("是")
    expect(data).not_to_contain_text("company_name")
    unnamed = page.get_by_test_id("case-variables-unnamed")  # what no form names: after, by its raw name
    expect(unnamed).to_contain_text("supply_connected_message")
    expect(page.get_by_text("其他数据（未在表单中命名）")).to_be_visible()


def test_the_english_page_shows_the_forms_titles_with_english_values(journey: Journey, site: Site) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    case_id = finished(site, "UC-DATA-LABELS-2")

    journey.goto("/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    journey.sign_in("water_supply.staff1")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    journey.goto(f"/cases/{case_id}")
    data = page.get_by_test_id("case-variables")
    expect(_row(data, "企业名称")).to_contain_text("郑州梧桐精工机械有限公司")  # the forms have Chinese titles only
    expect(_row(data, "接入类型")).to_contain_text("用水接入")
    expect(_row(data, "窗口期开始")).to_contain_text("Mar 20, 2019")
    expect(_row(data, "已正常用水（用电）")).to_contain_text("yes")
    expect(page.get_by_text("Other data (named by no form)")).to_be_visible()
