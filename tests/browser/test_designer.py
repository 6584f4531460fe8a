"""Issue 14, tests 1 and 2: the designer draws with the palette and the properties panel, checks against
the server and deploys; a broken diagram shows each problem at its element and deploys nothing; and
message correlation is edited with the panel only."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest
from lxml import etree
from playwright.sync_api import expect

from engine.working_calendar import WorkdayPolicy, WorkingCalendar
from tests.browser.conftest import ARTIFACTS, Journey, Site
from tests.browser.test_inbox_and_task import REQUEST
from tests.browser.water_case import ACCOUNT_NO, waiting_for_supply
from tests.browser.water_case import REQUEST as WATER_REQUEST

pytestmark = pytest.mark.only_db("sqlite")

FORM = "utility_connection.check_documents.json"  # made in the form editor
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "核对接入资料",
    "type": "object",
    "required": ["opinion"],
    "properties": {"opinion": {"type": "string", "title": "核对意见", "maxLength": 500}},
}


def open_modeler(journey: Journey) -> Any:
    """Sign in as the designer and open version 1 of utility_connection; the canvas, at scale 1."""
    page = journey.page
    journey.expect("GET", "/api/v1/session", 401)
    journey.sign_in("designer")
    page.get_by_role("link", name="流程设计").click()
    row = page.locator("tr[data-key=utility_connection]")
    expect(row).to_contain_text("用水/用电接入协调")
    expect(row).to_contain_text("Utility connection coordination")
    row.get_by_role("link", name="第 1 版").click()
    canvas = page.get_by_test_id("modeler-canvas")
    expect(canvas.locator('[data-element-id="accept_request"]')).to_be_visible()
    return canvas


def at(canvas: Any, x: float, y: float) -> tuple[float, float]:
    """Screen coordinates of diagram point (x, y): the diagram opens unscrolled at scale 1."""
    box = canvas.bounding_box()
    return box["x"] + x, box["y"] + y


def drop_from_palette(journey: Journey, canvas: Any, action: str, x: float, y: float) -> None:
    page = journey.page
    page.locator(f'.djs-palette [data-action="{action}"]').click()
    sx, sy = at(canvas, x, y)
    page.mouse.move(sx - 30, sy - 30)
    page.mouse.move(sx, sy, steps=5)
    page.mouse.down()
    page.mouse.up()
    page.keyboard.press("Escape")  # leave the label editing bpmn-js opens on a new shape


def panel_group(page: Any, title: str) -> Any:
    header = page.locator(".bio-properties-panel-group-header", has_text=re.compile(f"^{title}$"))
    if "open" not in (header.get_attribute("class") or ""):
        header.click()
    return page.locator(".bio-properties-panel-group", has=header)


def test_a_designer_adds_a_user_task_with_palette_and_panel_and_deploys_version_2(
    journey: Journey, site: Site
) -> None:
    page = journey.page
    canvas = open_modeler(journey)

    # a new form, written beside its live preview
    page.get_by_role("button", name="表单", exact=True).click()
    page.get_by_label("新表单名称").fill("check_documents")
    page.get_by_role("button", name="新建表单").click()
    expect(page.get_by_label("表单文件")).to_have_value(FORM)
    page.get_by_label("JSON Schema（2020-12）").fill(json.dumps(SCHEMA, ensure_ascii=False, indent=2))
    expect(page.get_by_test_id("form-preview").get_by_label(re.compile("^核对意见"))).to_be_visible()
    page.get_by_role("button", name="流程图", exact=True).click()

    # the lane's department, as the panel shows it
    lane_x, lane_y = at(canvas, 165, 330)
    page.mouse.click(lane_x, lane_y)
    expect(panel_group(page, "梧桐").get_by_label("泳道部门")).to_have_value("ops_center")

    # a task from the palette, dropped on the flow from the start event to the first task
    drop_from_palette(journey, canvas, "create.task", 279, 250)
    page.locator('.djs-context-pad [data-action="replace"]').click()
    page.locator('.djs-popup [data-id="replace-with-user-task"]').click()
    general = panel_group(page, "General")
    general.get_by_label("Name").fill("核对接入资料")
    wutong = panel_group(page, "梧桐")
    wutong.get_by_label("表单").select_option(FORM)
    wutong.get_by_label("办理时限（ISO 8601，如 P2D）").fill("P2D")
    wutong.get_by_label("时限日历").select_option("working")
    expect(canvas.locator(".djs-element.djs-shape", has_text="核对接入资料")).to_be_visible()

    page.get_by_role("button", name="检查").click()
    expect(page.get_by_test_id("modeler-message")).to_contain_text("检查通过")
    changes = page.get_by_test_id("check-changes")
    expect(changes.locator("[data-kind=added]")).to_contain_text("userTask · 核对接入资料")
    expect(changes.locator("[data-kind=changed]")).to_contain_text("lane_ops_center")

    page.get_by_role("button", name="部署新版本").click()
    expect(page.get_by_test_id("modeler-message")).to_contain_text("已部署第 2 版")
    expect(page.get_by_test_id("modeler-version")).to_have_text("第 2 版")

    # only the process, the processes it calls and the forms were sent: the other processes and tables
    # of the demo's deployment keep their versions
    [v2] = [d for d in site.api("GET", "/process-definitions?key=utility_connection", "designer") if d["version"] == 2]
    sent = site.api("GET", f"/deployments/{v2['deployment_id']}", "designer")["files"]
    assert "utility_connection.bpmn" in sent and FORM in sent
    assert not [name for name in sent if name.endswith(".dmn") or name == "enterprise_problem.bpmn"]

    company = site.api("GET", "/users/me", "jinggong.applicant")["id"]
    case = site.api("POST", "/process-definitions/key/utility_connection/start", "ops_center.staff1",
                    json={"business_key": "UC-DESIGNER-1", "variables": REQUEST, "applicant_id": company})
    assert case["version"] == 2
    [task] = case["open_tasks"]
    assert (task["name"], task["department"]) == ("核对接入资料", "ops_center")
    detail = site.api("GET", f"/tasks/{task['id']}", "ops_center.staff1")
    assert detail["form"] == SCHEMA
    policy = WorkdayPolicy()
    created = datetime.fromisoformat(detail["created_at"]).astimezone(policy.zone)
    due = datetime.fromisoformat(detail["due_at"]).astimezone(policy.zone)
    assert due.date() == WorkingCalendar().add_working_days(created.date(), 2)
    assert due.time() == policy.close_of_business

    page.get_by_role("link", name="流程设计").click()  # the processes page: the new version, its case, who
    row = page.locator("tr[data-key=utility_connection]")
    expect(row.locator("li[data-version='2'] [data-testid=running-cases]")).to_have_text("1 件在办")
    expect(row).to_contain_text("林思源")

    journey.sign_out()
    journey.sign_in("ops_center.staff1")
    row = page.locator("tr", has_text=case["number"])
    expect(row).to_contain_text("核对接入资料")
    row.get_by_role("link", name=case["number"]).click()
    expect(page.locator("#task-title")).to_contain_text("核对接入资料")
    expect(page.get_by_label(re.compile("^核对意见"))).to_be_visible()  # the form the panel chose


def test_a_broken_diagram_shows_each_problem_at_its_element_and_deploys_nothing(
    journey: Journey, site: Site
) -> None:
    page = journey.page
    journey.expect("POST", "/api/v1/deployments", 422)
    canvas = open_modeler(journey)

    # a gateway from the palette with no outgoing flow, in the empty part of the first lane
    drop_from_palette(journey, canvas, "create.exclusive-gateway", 280, 350)
    # a script that does not compile, written in the panel
    page.mouse.click(*at(canvas, 520, 270))
    script = panel_group(page, "梧桐").get_by_label("脚本（Python）")
    script.fill("cost_round = = 1")
    script.blur()

    page.get_by_role("button", name="检查").click()
    expect(page.get_by_test_id("modeler-message")).to_contain_text("发现 2 个问题")
    problems = page.get_by_test_id("check-problems")
    gateway = problems.locator("li[data-code=dead_end]")
    expect(gateway).to_contain_text("exclusiveGateway")
    gateway_id = gateway.get_attribute("data-element-id")
    assert gateway_id
    expect(problems.locator("li[data-code=expression_syntax][data-element-id=init_case]")).to_be_visible()
    # each problem is marked at its element on the diagram
    expect(canvas.locator(f'.wt-problem-badge[data-element-id="{gateway_id}"]')).to_be_visible()
    expect(canvas.locator('.wt-problem-badge[data-element-id="init_case"][data-code=expression_syntax]')).to_be_visible()

    page.get_by_role("button", name="部署新版本").click()
    expect(page.get_by_test_id("modeler-message")).to_contain_text("发现 2 个问题")
    versions = site.api("GET", "/process-definitions?key=utility_connection", "designer")
    assert [v["version"] for v in versions] == [1]


def list_group(page: Any, title: str) -> Any:
    """A properties-panel list group by its exact title, opened."""
    name = page.locator(".bio-properties-panel-group-header-title", has_text=re.compile(f"^{title}$"))
    header = page.locator(".bio-properties-panel-group-header", has=name)
    if "open" not in (header.get_attribute("class") or ""):
        header.locator(".bio-properties-panel-group-header-title").click()
    return page.locator(".bio-properties-panel-group", has=header)


def list_item(group: Any, title: str) -> Any:
    """An item of a list group by its title, opened."""
    title_ = group.page.locator(".bio-properties-panel-collapsible-entry-header-title",
                                has_text=re.compile(f"^{re.escape(title)}$"))
    item = group.locator(".bio-properties-panel-collapsible-entry", has=title_)
    if not item.locator(".bio-properties-panel-collapsible-entry-entries.open").count():
        item.locator(".bio-properties-panel-collapsible-entry-header-title").click()
    return item


def test_a_designer_adds_a_correlation_property_with_the_panel_and_the_engine_applies_it(
    journey: Journey, site: Site
) -> None:
    page = journey.page
    canvas = open_modeler(journey)
    event = canvas.locator('.djs-element[data-element-id="wait_supply_connected"]')
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(40):  # scroll the diagram (mouse wheel, as a designer does) until the event shows
        shown = event.bounding_box()
        if shown and shown["x"] + shown["width"] < box["x"] + box["width"] - 20:
            break
        page.mouse.wheel(200, 0)
    event.click()

    # the message, chosen in bpmn-js-properties-panel's own group, and the catch's correlation
    expect(panel_group(page, "Message").get_by_label("Global message reference")).to_have_value(
        re.compile("supply_connected"))
    correlations = list_group(page, "消息关联")
    account = list_item(correlations, "account_no")
    expect(account.get_by_label("关联属性", exact=True)).to_have_value("account_no")
    expect(account.get_by_label("流程变量表达式")).to_have_value("account_no")

    # a second correlation property with its message path, made with the panel only
    properties = list_group(page, "关联属性（全流程）")
    expect(list_item(properties, "用户编号 (account_no)").get_by_label("在消息 supply_connected 中的路径")
           ).to_have_value("account_no")
    properties.get_by_title("Create new list item").click()
    added = list_item(properties, "correlation_property_1")
    added.get_by_label("属性标识").fill("credit_code")
    added.get_by_label("属性名称").fill("统一社会信用代码")
    path = properties.get_by_label("在消息 supply_connected 中的路径").last
    path.fill("credit_code")
    path.blur()
    correlations = list_group(page, "消息关联")
    correlations.get_by_title("Create new list item").click()
    new = list_item(correlations, "（未选属性）")
    new.get_by_label("关联属性", exact=True).select_option("credit_code")
    expression = list_item(correlations, "credit_code").get_by_label("流程变量表达式")
    expression.fill("credit_code")
    expression.blur()
    page.screenshot(path=str(ARTIFACTS / "designer-correlation-panel.png"), full_page=True)

    page.get_by_role("button", name="检查").click()
    expect(page.get_by_test_id("modeler-message")).to_contain_text("检查通过")
    page.get_by_role("button", name="部署新版本").click()
    expect(page.get_by_test_id("modeler-message")).to_contain_text("已部署第 2 版")

    # the deployed XML carries exactly what the engine reads
    [v2] = [d for d in site.api("GET", "/process-definitions?key=utility_connection", "designer") if d["version"] == 2]
    response = site.server.call("GET", f"/deployments/{v2['deployment_id']}/files/utility_connection.bpmn",
                                site.tokens["designer"])
    assert response.status_code == 200
    tree = etree.fromstring(response.content)
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
          "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
    [prop] = tree.xpath("/bpmn:definitions/bpmn:correlationProperty[@id='credit_code']", namespaces=ns)
    assert prop.get("name") == "统一社会信用代码"
    # bpmn-moddle writes the message path as <bpmn:formalExpression>; SpiffWorkflow's BpmnParser reads
    # that element as <bpmn:messagePath> (as it does for the account_no the library file spells out)
    [path_el] = prop.xpath("bpmn:correlationPropertyRetrievalExpression[@messageRef='supply_connected']"
                           "/*[self::bpmn:messagePath or self::bpmn:formalExpression]", namespaces=ns)
    assert path_el.text == "credit_code"
    pairs = [(c.findtext("spiffworkflow:propertyId", namespaces=ns),
              c.findtext("spiffworkflow:expression", namespaces=ns))
             for c in tree.xpath("//bpmn:intermediateCatchEvent[@id='wait_supply_connected']//"
                                 "spiffworkflow:processVariableCorrelation", namespaces=ns)]
    assert pairs == [("account_no", "account_no"), ("credit_code", "credit_code")]

    # a case of version 2 waits with both values, and a message carrying both reaches it
    case_id = waiting_for_supply(site, "UC-CORR-1")
    [waiting] = site.api("GET", f"/process-instances/{case_id}/messages", "water_supply.staff1")
    assert waiting["correlation"] == {"account_no": ACCOUNT_NO, "credit_code": WATER_REQUEST["credit_code"]}
    site.api("POST", "/messages", "water_supply.staff1", json={
        "name": "supply_connected",
        "correlation": {"account_no": ACCOUNT_NO, "credit_code": WATER_REQUEST["credit_code"]},
        "payload": {"account_no": ACCOUNT_NO, "credit_code": WATER_REQUEST["credit_code"],
                    "connected_at": "2019-06-25T09:30:00+08:00", "meter_no": "M-0625"}})
    tasks = site.api("GET", f"/tasks?instance_id={case_id}&state=open", "jinggong.applicant")
    assert [t["activity_id"] for t in tasks] == ["confirm_supply"]
