"""The README's screenshots, in Chinese, from a running Wutong with the demo organisation (`make run`).

Starts one utility-connection case through the API as the operations centre, then saves with
Debian's chromium (Playwright, no browser download): the inbox, the claimed task's form, the case
page, and the figures page (as the leader). Usage:

    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:5000] [docs/screenshots]
"""

from __future__ import annotations

import secrets
import shutil
import sys
from pathlib import Path

import requests
from playwright.sync_api import expect, sync_playwright

PASSWORD = "wutong-demo"
REQUEST = {
    "company_name": "郑州梧桐精工机械有限公司", "credit_code": "91410100MA44R7QK24", "utility_type": "water",
    "site_address": "郑州高新区梧桐街与贾庄路交叉口东北角",
    "problem_description": "门前道路和供水管网多年未建成，企业只能自备井取水",
    "demand": "日用水量约 30 立方米", "source": "visit", "contact_person": "马志成", "contact_phone": "0371-6789 1234",
    "working_group": "运营中心牵头，供水、路桥、市政、城管、街道、村委会各派联络人",
}


def api_session(base: str, username: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    answer = session.post(f"{base}/api/v1/session", json={"username": username, "password": PASSWORD}, timeout=30)
    answer.raise_for_status()
    return session, answer.json()["csrf_token"]


def start_case(base: str) -> dict[str, str]:
    company, _ = api_session(base, "jinggong.applicant")
    applicant = company.get(f"{base}/api/v1/users/me", timeout=30).json()["id"]
    staff, csrf = api_session(base, "ops_center.staff1")
    answer = staff.post(f"{base}/api/v1/process-definitions/key/utility_connection/start", timeout=60,
                        headers={"X-CSRF-Token": csrf},
                        json={"business_key": f"UC-README-{secrets.token_hex(3)}", "variables": REQUEST,
                              "applicant_id": applicant})
    answer.raise_for_status()
    case: dict[str, str] = answer.json()
    return case


def main(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    case = start_case(base)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                             args=["--disable-background-networking", "--disable-component-update"])
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        page = context.new_page()

        def sign_in(username: str) -> None:
            page.goto(base + "/")
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()

        sign_in("ops_center.staff1")
        row = page.locator("tr", has_text=case["number"])
        expect(row).to_be_visible()
        page.screenshot(path=out / "inbox.zh-CN.png")
        row.get_by_role("link", name=case["number"]).click()
        page.get_by_role("button", name="认领").click()
        expect(page.get_by_test_id("task-state")).to_have_text("已认领")
        page.screenshot(path=out / "task-form.zh-CN.png", full_page=True)
        page.goto(f"{base}/cases/{case['id']}")
        page.locator(".djs-container").wait_for()
        page.screenshot(path=out / "case-page-open.zh-CN.png", full_page=True)
        page.get_by_role("button", name="退出登录").click()
        sign_in("leader")
        page.get_by_role("link", name="统计", exact=True).click()
        page.get_by_test_id("total-received").wait_for()
        page.screenshot(path=out / "figures.zh-CN.png", full_page=True)
        browser.close()
    print(f"saved to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000",
         Path(sys.argv[2] if len(sys.argv) > 2 else "docs/screenshots"))
