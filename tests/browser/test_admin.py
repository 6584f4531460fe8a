"""Issue 12, the admin pages: an admin adds a department and a user with a password, and that user
signs in and sees the department's inbox (with its counts in the navigation); an admin adds a closed
day to the working-day calendar, sees it listed, and removes it after confirming; an admin sees a
locked-out user and lifts the lock."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey, Site
from tests.e2e.conftest import E2E_MODELS

pytestmark = pytest.mark.only_db("sqlite")


@pytest.fixture(scope="module")
def site(shared_site: Site) -> Site:
    """One site for the module: each test works on its own department, user and day."""
    return shared_site


def deploy_into(site: Site, department: str) -> None:
    """The e2e approval model with its approval step in ``department`` (started by the ops centre), due
    one second after it opens."""
    model = (E2E_MODELS / "approval.bpmn").read_text(encoding="utf-8")
    model = model.replace('name="D1"', 'name="ops_center"').replace('name="D2"', f'name="{department}"')
    form = '<spiffworkflow:property name="formJsonSchemaFilename" value="approval_form.json" />'
    assert form in model
    model = model.replace(form, form + '<spiffworkflow:property name="deadline" value="PT1S" />'
                          '<spiffworkflow:property name="deadlineCalendar" value="calendar" />')
    files = [("files", ("approval.bpmn", model.encode(), "application/xml")),
             ("files", ("approval_form.json", (E2E_MODELS / "approval_form.json").read_bytes(), "application/json"))]
    site.api("POST", "/deployments", "designer", files=files)


def test_an_admin_adds_a_department_and_a_user_who_then_works_its_inbox(journey: Journey, site: Site) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    journey.expect("POST", "/api/v1/departments", 422)  # the name left empty on purpose
    journey.sign_in("admin")
    page.get_by_role("link", name="系统管理").click()
    expect(page.get_by_role("heading", name="全部部门")).to_be_visible()

    page.get_by_label("部门代码").fill("quality")
    page.get_by_role("button", name="创建部门").click()
    expect(page.get_by_test_id("field-error")).to_have_count(1)  # next to the name, nothing created
    expect(page.get_by_label("中文名称")).to_have_attribute("aria-describedby", re.compile(".+-error"))
    page.get_by_label("中文名称").fill("质量监督科")
    page.get_by_label("英文名称").fill("Quality Office")
    page.get_by_role("button", name="创建部门").click()
    expect(page.get_by_test_id("departments")).to_contain_text("质量监督科")

    page.get_by_role("link", name="用户", exact=True).click()
    page.get_by_label("用户名").fill("quality.staff1")
    page.get_by_label("姓名").fill("严质检")
    page.get_by_label("密码", exact=True).fill("quality-pass-1")
    page.get_by_label("所属部门").select_option("quality")
    page.get_by_role("button", name="创建用户").click()
    expect(page.locator("tr[data-username='quality.staff1']")).to_contain_text("质量监督科")
    journey.sign_out()

    deploy_into(site, "quality")
    case = site.api("POST", "/process-definitions/key/approval/start", "ops_center.staff1",
                    json={"business_key": "QA-ADMIN-1", "variables": {"item": "扭矩扳手"}})
    journey.sign_in("quality.staff1", "quality-pass-1")
    expect(page.get_by_test_id("user-name")).to_have_text("严质检")
    row = page.locator("tr", has_text=case["number"])
    expect(row).to_contain_text("QA-ADMIN-1")
    expect(row).to_contain_text("质量监督科")
    expect(page.get_by_test_id("nav-inbox-count")).to_have_text("1")  # the count in the navigation
    expect(page.get_by_test_id("nav-inbox-overdue")).to_have_text("1 项逾期")  # in words, not only red


def test_an_admin_adds_a_closed_day_sees_it_listed_and_removes_it(journey: Journey, site: Site) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    journey.sign_in("admin")
    page.get_by_role("link", name="系统管理").click()
    page.get_by_role("link", name="工作日历").click()
    page.get_by_label("日期").fill("2030-10-14")
    page.get_by_label("休息日（如园区停电检修）").check()
    page.get_by_label("说明").fill("园区停电检修")
    page.get_by_role("button", name="添加", exact=True).click()
    row = page.locator("tr[data-day='2030-10-14']")
    expect(row).to_contain_text("休息日")
    expect(row).to_contain_text("园区停电检修")
    assert site.api("GET", "/calendar/overrides", "admin")[0]["working"] is False

    row.get_by_role("button", name="删除").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("确定吗")
    dialog.get_by_role("button", name="删除").click()
    expect(page.get_by_test_id("calendar-empty")).to_be_visible()


def test_an_admin_sees_a_locked_out_user_and_lifts_the_lock(journey: Journey, site: Site) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    wrong = {"username": "village.staff2", "password": "not the password"}
    for _ in range(5):
        assert site.server.call("POST", "/session", json=wrong).status_code == 401
    journey.sign_in("admin")
    page.get_by_role("link", name="系统管理").click()
    page.get_by_role("link", name="用户", exact=True).click()
    row = page.locator("tr[data-username='village.staff2']")
    expect(row.get_by_test_id("locked")).to_contain_text("登录锁定至")  # in words, not only a colour
    row.get_by_role("button", name="编辑").click()
    editor = page.get_by_test_id("user-editor")
    expect(editor.get_by_test_id("lock-state")).to_contain_text("登录锁定至")
    editor.get_by_role("button", name="解除登录锁定").click()
    expect(editor).to_contain_text("已解除锁定")
    expect(row.get_by_test_id("locked")).to_have_count(0)
    response = site.server.call("POST", "/session", json={"username": "village.staff2", "password": "wutong-demo"})
    assert response.status_code == 201


def test_an_admin_issues_a_token_shown_once_and_revokes_it_after_confirming(journey: Journey, site: Site) -> None:
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    journey.sign_in("admin")
    page.get_by_role("link", name="系统管理").click()
    page.get_by_role("link", name="令牌").click()
    page.get_by_label("用户", exact=True).select_option(label="leader (周振华)")
    page.get_by_label("令牌名称").fill("大屏看板")
    page.get_by_role("button", name="签发", exact=True).click()
    secret = page.get_by_test_id("token-secret").inner_text()
    assert secret.startswith("wt_")
    assert site.server.call("GET", "/ledger", secret).status_code == 200  # the token works
    row = page.get_by_test_id("tokens").locator("tr", has_text="大屏看板")
    expect(row).to_contain_text("有效")
    expect(row).not_to_contain_text(secret)  # the list never shows the secret

    row.get_by_role("button", name="吊销").click()
    page.get_by_role("dialog").get_by_role("button", name="吊销").click()
    expect(row).to_contain_text("已吊销")
    assert site.server.call("GET", "/ledger", secret).status_code == 401
