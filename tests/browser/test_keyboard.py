"""Issue 12, "keyboard-usable": a member of staff signs in, opens a task from the inbox, claims it, fills
its form and completes it with the keyboard alone (Tab, Shift+Tab, Enter, typing); every control the
journey reaches shows where the focus is."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey, Site
from tests.browser.test_inbox_and_task import REQUEST

pytestmark = pytest.mark.only_db("sqlite")
MAX_TABS = 60  # more Tab presses than any page here needs to reach its controls

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  return {tag: el.tagName.toLowerCase(), text: (el.innerText || "").trim(), label: label.trim(),
          visible: el.matches(":focus-visible")};
}"""


def tab_to(journey: Journey, what: str, *, field: bool = False) -> None:
    """Press Tab until the focused control's text (or, with ``field``, its label) starts with ``what``;
    the control must show its focus."""
    page = journey.page
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        name = focused["label"] if field else focused["text"]
        seen.append(name[:20])
        if name.startswith(what):
            assert focused["visible"], f"{what!r} has the focus but does not show it"
            return
    raise AssertionError(f"Tab never reached {what!r}; it went through {seen}")


def test_staff_claim_fill_and_complete_a_task_with_the_keyboard_alone(journey: Journey, site: Site) -> None:
    page = journey.page
    keyboard = page.keyboard
    journey.expect("GET", "/api/v1/session", 401)
    company = site.api("GET", "/users/me", "jinggong.applicant")["id"]
    case = site.api("POST", "/process-definitions/key/utility_connection/start", "ops_center.staff1",
                    json={"business_key": "UC-KEYS-1", "variables": REQUEST, "applicant_id": company})

    journey.goto("/")
    tab_to(journey, "用户名", field=True)
    keyboard.type("ops_center.staff1")
    tab_to(journey, "密码", field=True)
    keyboard.type("wutong-demo")
    keyboard.press("Enter")
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    expect(page.locator("tr", has_text=case["number"])).to_be_visible()

    tab_to(journey, case["number"])
    keyboard.press("Enter")
    tab_to(journey, "认领")
    keyboard.press("Enter")
    expect(page.get_by_test_id("task-state")).to_have_text("已认领")

    tab_to(journey, "联系电话", field=True)
    keyboard.type("13800000003")
    tab_to(journey, "提交办结")
    keyboard.press("Enter")
    expect(page.get_by_test_id("task-message")).to_contain_text("已提交")
    expect(page.get_by_test_id("task-state")).to_have_text("已办结")
    expect(page.get_by_text("用水/用电接入协调")).to_be_visible()  # the process by its name, not its key
    expect(page.get_by_text("无期限")).to_have_count(0)  # it had a due date: finished, it is not "no limit"
    history = site.api("GET", f"/process-instances/{case['id']}/history", "ops_center.staff1")
    assert "13800000003" in str(history), "the number typed with the keyboard reached the case's history"
