"""Issue 12, test 6: sign-in with a wrong password, lock-out after repeated failures, sign-out, and a
state-changing request without the CSRF token refused; on the way, the language switch (part of test 5)."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, Journey, Site

pytestmark = pytest.mark.only_db("sqlite")  # one database is enough for the pages

FAILED = re.compile("用户名或密码不正确")


def test_wrong_password_lock_out_csrf_and_sign_out(journey: Journey, site: Site) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)  # nobody signed in yet, and after signing out
    journey.expect("POST", "/api/v1/session", 401)  # the wrong passwords and the locked username
    journey.expect("POST", "/api/v1/users/me/password", 403)  # the request without the CSRF token

    journey.goto("/")  # the language switch turns the page to English, is remembered, and turns it back
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    page.reload()
    expect(page.get_by_label("Password")).to_be_visible()
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="登录", exact=True)).to_be_visible()

    journey.sign_in("village.staff1", "not the password")
    expect(page.get_by_role("alert")).to_have_text(FAILED)
    for _ in range(4):
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page.get_by_role("alert")).to_have_text(FAILED)
    page.get_by_label("密码").fill(DEMO_PASSWORD)  # the right password, but the username is locked now
    with page.expect_response(lambda r: r.url.endswith("/api/v1/session")) as locked:
        page.get_by_role("button", name="登录", exact=True).click()
    assert locked.value.status == 401 and int(locked.value.headers["retry-after"]) > 0
    expect(page.get_by_role("alert")).to_have_text(FAILED)

    journey.sign_in("ops_center.staff1")
    expect(page.get_by_test_id("user-name")).to_have_text("钱晓燕")
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()

    refused = page.evaluate("""async () => {
        const r = await fetch("/api/v1/users/me/password", {method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json"},
            body: JSON.stringify({current_password: "wutong-demo", new_password: "changed-by-an-attacker"})});
        return [r.status, (await r.json()).code];
    }""")
    assert refused == [403, "csrf_failed"]

    cookie = next(c for c in page.context.cookies() if c["name"] == "wutong_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    journey.sign_out()
    replayed = requests.get(f"{site.base}/api/v1/tasks", cookies={"wutong_session": cookie["value"]}, timeout=10)
    assert replayed.status_code == 401  # the session ended on the server, not just in the browser
    page.reload()
    expect(page.get_by_role("heading", name="登录", exact=True)).to_be_visible()


# The inbox's requests leave the browser 1.5 s late, so one is still on its way when the user signs out.
LATE_TASK_REQUESTS = """
const realFetch = window.fetch;
window.fetch = (url, options) => String(url).startsWith("/api/v1/tasks")
  ? new Promise((resolve) => setTimeout(resolve, 1500)).then(() => realFetch(url, options))
  : realFetch(url, options);
"""


def test_signing_out_while_the_inbox_loads_ends_the_session_after_its_requests(journey: Journey) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    page.add_init_script(LATE_TASK_REQUESTS)
    journey.sign_in("ops_center.staff1")
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    journey.sign_out()  # the inbox's first load is still on its way
    page.wait_for_timeout(2500)  # one sent after the session ended would have come back 401 by now
    expect(page.get_by_role("heading", name="登录", exact=True)).to_be_visible()
