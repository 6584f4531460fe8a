"""Issue 12, "Language, look and access": every page the demo users can reach, shown in English, has no
Chinese text outside case data and process names (marked ``data-case-data`` in the pages, or
``lang="zh-CN"`` like the language switch's 中文), and no raw catalogue key (what i18next shows for a
missing message). The pages are found by following the application's own links from the inbox."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey, Site
from tests.browser.test_catalogues import catalogue
from tests.browser.test_inbox_and_task import REQUEST

pytestmark = pytest.mark.only_db("sqlite")

# one demo user per kind of account (roles differ in the pages they reach)
DEMO_USERS = ("ops_center.staff1", "ops_center.supervisor", "designer", "auditor", "leader", "admin",
              "jinggong.applicant")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
KEYISH = re.compile(r"[A-Za-z][\w-]*(?:\.[\w-]+)+")
ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PAGES_PER_USER = 25

# Every text node and labelling attribute on the page that is interface text: not inside case data
# (data-case-data), text marked as Chinese (lang="zh-CN", e.g. 中文 in the language switch), a diagram
# (svg: the model's own names) or a script.
INTERFACE_TEXT = """() => {
  const skip = (el) => !el || el.closest('[data-case-data], [lang|="zh"], svg, script, style, noscript');
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.nodeValue.trim();
    if (text && !skip(walker.currentNode.parentElement)) found.push(text);
  }
  for (const el of document.body.querySelectorAll('[aria-label], [placeholder], [title], [alt]')) {
    if (skip(el)) continue;
    for (const name of ['aria-label', 'placeholder', 'title', 'alt']) {
      const value = el.getAttribute(name);
      if (value) found.push(value);
    }
  }
  return found;
}"""


def catalogue_keys() -> tuple[set[str], set[str]]:
    """Every key and key prefix of the merged catalogues, and their top-level names."""
    keys: set[str] = set()
    for key in catalogue("en") | catalogue("zh-CN"):
        parts = key.split(".")
        keys |= {".".join(parts[:n]) for n in range(2, len(parts) + 1)}
    return keys, {key.split(".")[0] for key in keys}


def problems_on(page: Any, path: str, keys: set[str], tops: set[str]) -> list[str]:
    found = []
    for text in page.evaluate(INTERFACE_TEXT):
        if CJK.search(text):
            found.append(f"{path}: Chinese text on an English page: {text!r}")
        for token in KEYISH.findall(text):
            if token in keys or token.split(".")[0] in tops:
                found.append(f"{path}: a raw catalogue key: {token!r} in {text!r}")
    return found


def crawl(journey: Journey, username: str) -> list[str]:
    """Visit every page reachable by links from ``username``'s inbox (one per path shape) in English."""
    page = journey.page
    keys, tops = catalogue_keys()
    journey.goto("/")
    page.get_by_role("button", name="English").click()
    found = problems_on(page, "/signin", keys, tops)
    journey.sign_in(username)
    expect(page.get_by_test_id("user-name")).to_be_visible()
    seen: set[str] = set()
    queue = ["/"]
    while queue and len(seen) < PAGES_PER_USER:
        path = queue.pop(0)
        shape = ID.sub("{id}", path)
        if shape in seen:
            continue
        seen.add(shape)
        journey.goto(path)
        expect(page.get_by_test_id("user-name")).to_be_visible()
        page.wait_for_load_state("networkidle")
        expect(page.get_by_text(re.compile("^Loading…$"))).to_have_count(0)
        found += problems_on(page, f"{username} {path}", keys, tops)
        for href in page.eval_on_selector_all("a[href^='/']", "links => links.map((a) => a.getAttribute('href'))"):
            target = href.split("?")[0].split("#")[0]
            if not target.startswith(("/api/", "/ui/")):
                queue.append(target)
    journey.sign_out()
    return found


@pytest.fixture(scope="module")
def site(shared_site: Site) -> Site:
    """One site for the module: visiting pages changes nothing but the case started once below."""
    company = shared_site.api("GET", "/users/me", "jinggong.applicant")["id"]
    shared_site.api("POST", "/process-definitions/key/utility_connection/start", "ops_center.staff1",
                    json={"business_key": "UC-ENGLISH-1", "variables": REQUEST, "applicant_id": company})
    return shared_site


def test_the_admin_forms_behind_buttons_are_english_too(journey: Journey, site: Site) -> None:
    """The user editor and a user's tokens open by buttons and choices, which the crawl does not press."""
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    keys, tops = catalogue_keys()
    journey.goto("/")
    page.get_by_role("button", name="English").click()
    journey.sign_in("admin")
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Users").click()
    page.locator("tr[data-username='leader']").get_by_role("button", name="Edit").click()
    expect(page.get_by_test_id("user-editor")).to_be_visible()
    found = problems_on(page, "user editor", keys, tops)
    page.get_by_role("link", name="Tokens").click()
    page.get_by_label("User", exact=True).select_option(label="leader (周振华)")
    expect(page.get_by_test_id("tokens")).to_be_visible()  # the demo token
    found += problems_on(page, "tokens", keys, tops)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("username", DEMO_USERS)
def test_every_page_in_english_has_no_chinese_interface_text_and_no_raw_key(
    journey: Journey, site: Site, username: str
) -> None:
    journey.expect("GET", "/api/v1/session", 401)
    found = crawl(journey, username)
    assert found == [], "\n".join(found)
