"""Issue 14, test 3: the DMN editor (dmn-js, under the pages' Content-Security-Policy) changes a routing
rule in the decision table, deploys it with enterprise_problem as a new version, and a new case follows the
new rule while a case started earlier keeps the old one; a broken table is reported and deploys nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey, Site

pytestmark = pytest.mark.only_db("sqlite")

STAFF = "ops_center.staff1"
ACCEPT = {
    "company_name": "河南嵩岳新材料科技有限公司",
    "credit_code": "91410100MA45T3LW8N",
    "source": "reception_day",
    "category": "other",
    "problem_description": "厂区门前路灯损坏",
    "contact_person": "刘慧芳",
    "contact_phone": "0371-66880000",
    "acceptance": "accept",
}


def open_routing_table(journey: Journey) -> Any:
    """Sign in as the designer, open version 1 of enterprise_problem and its routing table in dmn-js."""
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    journey.sign_in("designer")
    page.get_by_role("link", name="流程设计").click()
    page.locator("tr[data-key=enterprise_problem]").get_by_role("link", name="第 1 版").click()
    expect(page.get_by_test_id("modeler-canvas").locator('[data-element-id="route_problem"]')).to_be_visible()
    page.get_by_role("button", name="决策表", exact=True).click()
    expect(page.get_by_label("决策表文件")).to_have_value("problem_routing.dmn")
    table = page.get_by_test_id("dmn-editor")
    expect(table.locator(".tjs-table")).to_be_visible()
    return table


def edit_cell(journey: Journey, table: Any, entry_id: str, text: str, state: str = "已修改") -> None:
    """Type ``text`` into the table cell of ``entry_id`` as a designer does: click, select all, type."""
    page = journey.page
    cell = table.locator(f'td[data-element-id="{entry_id}"]')
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Tab")  # on to the next cell: the edit is done
    expect(cell).to_have_text(text)
    expect(page.get_by_test_id("decision-state")).to_have_text(state)


def start_and_accept(site: Site) -> dict[str, Any]:
    """A case of enterprise_problem accepted as category "other": the routing table picks its lead."""
    company = site.api("GET", "/users/me", "songyue.applicant")["id"]
    case = site.api("POST", "/process-definitions/key/enterprise_problem/start", STAFF,
                    json={"variables": {}, "applicant_id": company})
    return case


def accept(site: Site, case: dict[str, Any]) -> str:
    """Accept the case (category "other") and answer the department its lead task went to."""
    [task] = [t for t in site.api("GET", f"/process-instances/{case['id']}", STAFF)["open_tasks"]
              if t["activity_id"] == "accept_problem"]
    site.api("POST", f"/tasks/{task['id']}/complete", STAFF, json={"data": ACCEPT})
    view = site.api("GET", f"/process-instances/{case['id']}", "admin")
    [lead] = [t for t in view["open_tasks"] if t["activity_id"] == "lead_handle"]
    return str(lead["department"])


def test_a_designer_changes_a_routing_rule_in_the_table_and_new_cases_follow_it(
    journey: Journey, site: Site
) -> None:
    page = journey.page
    earlier = start_and_accept(site)  # on version 1, before the change
    table = open_routing_table(journey)

    # the "other" category's lead department: the operations centre becomes innovation & development
    lead = table.locator('td[data-element-id="rule_other_lead"]')
    expect(lead).to_have_text('"ops_center"')
    edit_cell(journey, table, "rule_other_lead", '"innovation_dev"')

    page.get_by_role("button", name="检查").click()
    expect(page.get_by_test_id("modeler-message")).to_contain_text("检查通过")
    page.get_by_role("button", name="部署新版本").click()
    expect(page.get_by_test_id("modeler-message")).to_contain_text("已部署第 2 版")
    expect(page.get_by_test_id("modeler-version")).to_have_text("第 2 版")

    # the table was sent with the process and its forms, and is a new version of its decision
    [v2] = [d for d in site.api("GET", "/process-definitions?key=enterprise_problem", "designer")
            if d["version"] == 2]
    sent = site.api("GET", f"/deployments/{v2['deployment_id']}", "designer")["files"]
    assert {"enterprise_problem.bpmn", "problem_routing.dmn", "enterprise_problem.accept_problem.json"} <= set(sent)
    assert "utility_connection.bpmn" not in sent
    deployed = site.server.call("GET", f"/deployments/{v2['deployment_id']}/files/problem_routing.dmn",
                                site.tokens["designer"]).text
    assert '"innovation_dev"' in deployed

    later = start_and_accept(site)
    assert later["version"] == 2
    assert accept(site, later) == "innovation_dev"  # the new rule
    assert accept(site, earlier) == "ops_center"  # the case started on version 1 keeps the old table

    # the new version opens with the edited table
    page.get_by_role("button", name="决策表", exact=True).click()
    expect(page.get_by_test_id("dmn-editor").locator('td[data-element-id="rule_other_lead"]')).to_have_text(
        '"innovation_dev"'
    )
    expect(page.get_by_test_id("decision-state")).to_have_text("未修改")


def test_a_broken_table_is_reported_by_the_check_and_deploys_nothing(journey: Journey, site: Site) -> None:
    page = journey.page
    journey.expect("POST", "/api/v1/deployments", 422)
    table = open_routing_table(journey)
    edit_cell(journey, table, "rule_other_limit", '= "P5D"')  # no expression

    page.get_by_role("button", name="检查").click()
    expect(page.get_by_test_id("modeler-message")).to_contain_text("发现 1 个问题")
    problem = page.get_by_test_id("check-problems").locator("li[data-code=expression_syntax]")
    expect(problem).to_contain_text("problem_routing.dmn")
    # the cell is marked in the table, with the message as its title
    marked = table.locator('td[data-element-id="rule_other_limit"].wt-cell-problem')
    expect(marked).to_be_visible()
    expect(marked).to_have_attribute("title", re.compile("does not compile"))

    page.get_by_role("button", name="部署新版本").click()
    expect(page.get_by_test_id("modeler-message")).to_contain_text("发现 1 个问题")
    assert [v["version"] for v in site.api("GET", "/process-definitions?key=enterprise_problem", "designer")] == [1]


def test_a_new_decision_table_is_made_in_the_editor_and_passes_the_check(journey: Journey, site: Site) -> None:
    page = journey.page
    table = open_routing_table(journey)
    page.get_by_label("新决策表名称").fill("site_visit_days")
    page.get_by_role("button", name="新建决策表").click()
    expect(page.get_by_label("决策表文件")).to_have_value("site_visit_days.dmn")
    expect(page.get_by_test_id("decision-state")).to_have_text("新建")
    expect(table).to_contain_text("site_visit_days")
    edit_cell(journey, table, "site_visit_days_rule_1_output", '"P3D"', state="新建")

    page.get_by_role("button", name="检查").click()
    expect(page.get_by_test_id("modeler-message")).to_contain_text("检查通过")
    versions = site.api("GET", "/process-definitions?key=enterprise_problem", "designer")
    assert [v["version"] for v in versions] == [1]  # a check stores nothing
