"""Play the utility-connection (water) story from request to closure in the browser, as each demo user,
against a running Wutong with the demo organisation (`make run`): the operations centre starts the
case on the start page, every department claims and completes its step on the task page, the water
company records `supply_connected` on the case page, the company confirms and rates it on its page,
and the operations centre closes it. Nothing goes through the API except what the pages call.

    .venv/bin/python scripts/play_water_story_browser.py [http://127.0.0.1:5000]

Uses Debian's chromium through Playwright (no browser download); exits 1 on the first step that fails.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.browser.water_case import ACCOUNT_NO, AFTER_SUPPLY, REQUEST, TO_SUPPLY

PASSWORD = "wutong-demo"


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/")
    sign_out, name = page.get_by_role("button", name="退出登录"), page.get_by_label("用户名")
    expect(sign_out.or_(name)).to_be_visible()
    if sign_out.is_visible():
        sign_out.click()
    name.fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for()


def option_index(schema: dict[str, Any], value: Any) -> str | None:
    """rjsf's select options are numbered in the order of the field's ``enum`` or ``oneOf``."""
    choices = [c.get("const") for c in schema.get("oneOf", [])] or schema.get("enum", [])
    return str(choices.index(value)) if value in choices else None


def fill_form(page: Page, schema: dict[str, Any], data: dict[str, Any], prefix: str = "root") -> None:
    """Type ``data`` into the rjsf form rendered from ``schema`` (fields by their rjsf ids)."""
    for name, value in data.items():
        field = page.locator(f"#{prefix}_{name}")
        spec = schema.get("properties", {}).get(name, {})
        if isinstance(value, bool):
            if field.count() and field.get_attribute("type") == "checkbox":
                field.set_checked(value)
            else:  # radio buttons: rjsf numbers them -0 (true) and -1 (false) for a boolean
                page.locator(f"#{prefix}_{name}-{0 if value else 1}").check()
        elif field.evaluate("e => e.tagName") == "SELECT":
            index = option_index(spec, value)
            field.select_option(index if index is not None else str(value))
        else:
            field.fill(str(value))


def complete_step(page: Page, base: str, user: str, number: str, step: str, data: dict[str, Any]) -> str:
    """Complete ``step`` of case ``number`` as ``user`` on the task page; returns the case's id."""
    sign_in(page, base, user)
    if user.endswith(".applicant"):
        case = page.get_by_test_id("company-case").filter(has_text=number)
        case.get_by_role("link", name=re.compile("去处理")).click()
    else:
        row = page.locator("tr", has_text=number)
        row.get_by_role("link").nth(1).click()  # the step's name
    page.get_by_test_id("task-state").wait_for()
    task_id = page.url.rstrip("/").rsplit("/", 1)[1]
    task = page.request.get(f"{base}/api/v1/tasks/{task_id}").json()
    assert task["activity_id"] == step, (task["activity_id"], step)
    if page.get_by_role("button", name="认领").count():
        page.get_by_role("button", name="认领").click()
        expect(page.get_by_test_id("task-state")).to_have_text("已认领")
    fill_form(page, task.get("form") or {}, data)
    page.get_by_role("button", name="提交办结").click()
    expect(page.get_by_test_id("task-message")).to_contain_text("已提交")
    print(f"  {user:24} {step}")
    return str(task["instance_id"])


def main(base: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                             args=["--disable-background-networking", "--disable-component-update"])
        page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                   timezone_id="Asia/Shanghai").new_page()
        page.set_default_timeout(30_000)

        sign_in(page, base, "ops_center.staff1")
        page.goto(base + "/start")
        page.get_by_role("button", name=re.compile("utility_connection")).click()
        definitions = page.request.get(f"{base}/api/v1/process-definitions?startable=true").json()
        [definition] = [d for d in definitions if d["key"] == "utility_connection"]
        applicant = page.get_by_label("办件企业")
        company = applicant.locator("option", has_text="梧桐精工").first
        expect(company).to_be_attached()
        applicant.select_option(company.get_attribute("value"))
        request = {k: v for k, v in REQUEST.items() if k in definition["start_form"]["properties"]}
        fill_form(page, definition["start_form"], request, prefix="root-utility_connection")
        page.get_by_role("button", name="发起", exact=True).click()
        started = page.get_by_text(re.compile(r"已发起办件 WT-\d{4}-\d{6}"))
        number = re.search(r"WT-\d{4}-\d{6}", started.inner_text()).group(0)  # type: ignore[union-attr]
        print(f"started {number}")

        for user, step, data in TO_SUPPLY:
            case_id = complete_step(page, base, user, number, step, data)

        sign_in(page, base, "water_supply.staff1")
        page.goto(f"{base}/cases/{case_id}")
        messages = page.get_by_test_id("case-messages")
        expect(messages.get_by_label("用户编号*")).to_have_value(ACCOUNT_NO)  # the case's own value
        messages.get_by_label("通水（通电）时间*").fill("2019-06-25T09:30")  # the payload's own form
        messages.get_by_role("button", name="登记消息").click()
        expect(messages).to_have_count(0)  # the case no longer waits
        print("  water_supply.staff1       supply_connected recorded on the case page")

        for user, step, data in AFTER_SUPPLY:
            complete_step(page, base, user, number, step, data)
        final = page.request.get(f"{base}/api/v1/process-instances/{case_id}").json()
        assert final["state"] == "completed", final["state"]
        print(f"{number} completed")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
