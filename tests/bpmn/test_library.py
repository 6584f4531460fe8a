"""The shipped files themselves: what every process, form, routing table and the demo data declare.

These tests read the package data only (no database)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from lxml import etree

import bpmn
from engine.spiff.sandbox import compile_expression
from tests.bpmn.desk import NS, ModelIndex

PROCESS_KEYS = ("utility_connection", "enterprise_problem", "financing_request")
DEPARTMENTS = {
    "ops_center": ("园区运营中心", "Park Operations Center"),
    "water_supply": ("供水公司", "Water Supply Company"),
    "road_bridge": ("路桥公司", "Road & Bridge Company"),
    "municipal_works": ("市政公司", "Municipal Works Company"),
    "urban_mgmt": ("城市管理局", "Urban Management Bureau"),
    "innovation_dev": ("创新发展局", "Innovation & Development Bureau"),
    "subdistrict": ("梧桐街道办事处", "Wutong Sub-district Office"),
    "village": ("贾庄村委会", "Jiazhuang Village Committee"),
    "power_supply": ("供电公司", "Power Supply Company"),
    "planning": ("规划局", "Planning Bureau"),
    "natural_resources": ("自然资源局", "Natural Resources Bureau"),
    "finance_office": ("金融工作办公室", "Financial Affairs Office"),
    "hr_social": ("人力资源和社会保障局", "Human Resources & Social Security Bureau"),
    "education": ("教育局", "Education Bureau"),
    "housing": ("住房保障中心", "Housing Security Center"),
    "transport": ("交通运输局", "Transport Bureau"),
}
LEDGER_ATTRIBUTES = {"company", "category", "leadDepartment", "accepted", "closed"}
CHINESE = re.compile(r"[\u4e00-\u9fff]")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
WORKING_DAYS = re.compile(r"^P[1-9][0-9]*D$")
DI_NS = {
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def xml_of(key: str) -> etree._Element:
    return etree.fromstring(bpmn.process_files()[f"{key}.bpmn"])


def index_of(key: str) -> ModelIndex:
    return ModelIndex.read(bpmn.process_files()[f"{key}.bpmn"], key)


def properties(element: etree._Element) -> dict[str, str]:
    return {
        str(p.get("name")): str(p.get("value"))
        for p in element.iterfind("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)
    }


def forms() -> dict[str, dict[str, Any]]:
    return {name: json.loads(data) for name, data in bpmn.process_files().items() if name.endswith(".json")}


def process_element(key: str) -> etree._Element:
    found = xml_of(key).find(f"bpmn:process[@id='{key}']", NS)
    assert found is not None
    return found


# --- files -------------------------------------------------------------------------------------------


def test_process_files_are_the_shipped_models_without_the_demo_data() -> None:
    files = bpmn.process_files()
    assert {n for n in files if n.endswith(".bpmn")} == {f"{k}.bpmn" for k in PROCESS_KEYS}
    assert {n for n in files if n.endswith(".dmn")} == {"problem_routing.dmn"}
    assert "demo.json" not in files
    assert all(isinstance(content, bytes) and content for content in files.values())


def payload_forms() -> list[str]:
    """The message payload schemas the processes declare (``payloadJsonSchemaFilename`` on a bpmn:message)."""
    return [
        properties(message)["payloadJsonSchemaFilename"]
        for key in PROCESS_KEYS
        for message in xml_of(key).iterfind("bpmn:message", NS)
        if "payloadJsonSchemaFilename" in properties(message)
    ]


def test_every_form_file_belongs_to_exactly_one_user_task_start_or_message() -> None:
    used = [
        properties(task)["formJsonSchemaFilename"] for key in PROCESS_KEYS for task in index_of(key).user_tasks.values()
    ] + [properties(process_element(key))["startFormJsonSchemaFilename"] for key in PROCESS_KEYS] + payload_forms()
    assert sorted(used) == sorted(forms())
    assert payload_forms() == ["utility_connection.supply_connected.json"]


# --- processes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", PROCESS_KEYS)
def test_process_declares_starters_owner_english_name_and_case_deadline(key: str) -> None:
    declared = properties(process_element(key))
    assert set(declared["startableBy"].split(",")) <= set(DEPARTMENTS)
    assert declared["startableByApplicant"] in ("true", "false")
    assert declared["ownerDepartment"] == "ops_center"
    assert WORKING_DAYS.match(declared["deadline"])
    assert declared["nameEn"] and not CHINESE.search(declared["nameEn"])
    assert CHINESE.search(str(process_element(key).get("name")))


def test_companies_may_raise_problems_and_financing_requests_but_not_utility_connections() -> None:
    startable = {key: properties(process_element(key))["startableByApplicant"] for key in PROCESS_KEYS}
    assert startable == {"utility_connection": "false", "enterprise_problem": "true", "financing_request": "true"}


@pytest.mark.parametrize("key", PROCESS_KEYS)
def test_process_maps_the_ledger_attributes_to_case_variables(key: str) -> None:
    ledger = {
        name.removeprefix("ledger."): variable
        for name, variable in properties(process_element(key)).items()
        if name.startswith("ledger.")
    }
    assert set(ledger) >= LEDGER_ATTRIBUTES
    assert all(re.match(r"^[a-z][a-z0-9_]*$", variable) for variable in ledger.values())


@pytest.mark.parametrize("key", PROCESS_KEYS)
def test_every_lane_is_a_demo_department_or_the_applicant(key: str) -> None:
    lanes = [lane.get("name") for lane in process_element(key).iterfind(".//bpmn:lane", NS)]
    assert "applicant" in lanes
    assert set(lanes) - {"applicant"} <= set(DEPARTMENTS)


def test_utility_connection_has_at_least_seven_department_lanes() -> None:
    lanes = {lane.get("name") for lane in process_element("utility_connection").iterfind(".//bpmn:lane", NS)}
    assert len(lanes - {"applicant"}) >= 7


@pytest.mark.parametrize("key", PROCESS_KEYS)
def test_every_flow_node_has_a_chinese_name_and_an_english_documentation(key: str) -> None:
    index = index_of(key)
    for element in process_element(key).iter():
        if element.get("id") not in index.flow_nodes:
            continue
        assert CHINESE.search(element.get("name") or ""), element.get("id")
        documentation = element.findtext("bpmn:documentation", namespaces=NS) or ""
        assert documentation.strip() and not CHINESE.search(documentation.splitlines()[0]), element.get("id")


@pytest.mark.parametrize("key", PROCESS_KEYS)
def test_every_user_task_has_a_form_instructions_and_an_english_name(key: str) -> None:
    known_forms = forms()
    for activity, task in index_of(key).user_tasks.items():
        declared = properties(task)
        assert declared["formJsonSchemaFilename"] in known_forms, activity
        assert declared["nameEn"] and not CHINESE.search(declared["nameEn"]), activity
        instructions = task.findtext("bpmn:extensionElements/spiffworkflow:instructionsForEndUser", namespaces=NS)
        assert instructions and CHINESE.search(instructions), activity


@pytest.mark.parametrize("key", PROCESS_KEYS)
def test_every_user_task_has_a_deadline_in_working_days_or_an_expression(key: str) -> None:
    for activity, task in index_of(key).user_tasks.items():
        declared = properties(task)
        assert ("deadline" in declared) != ("deadlineExpression" in declared), activity
        if "deadline" in declared:
            assert WORKING_DAYS.match(declared["deadline"]), (activity, declared["deadline"])
        else:
            compile_expression(declared["deadlineExpression"], "eval")


@pytest.mark.parametrize("key", PROCESS_KEYS)
def test_assign_department_expressions_compile(key: str) -> None:
    for task in index_of(key).user_tasks.values():
        expression = properties(task).get("assignDepartment")
        if expression is not None:
            compile_expression(expression, "eval")


def test_progress_reports_carry_a_non_interrupting_weekly_reminder_cycle() -> None:
    reminder = process_element("utility_connection").find("bpmn:boundaryEvent[@id='weekly_progress_reminder']", NS)
    assert reminder is not None
    assert (reminder.get("attachedToRef"), reminder.get("cancelActivity")) == ("report_progress", "false")
    assert reminder.findtext("bpmn:timerEventDefinition/bpmn:timeCycle", namespaces=NS) == '"R52/P7D"'


def test_a_boundary_timer_counts_as_reached_only_through_the_work_it_alone_leads_to() -> None:
    index = index_of("utility_connection")
    assert "weekly_progress_reminder" not in index.reached({"site_meeting", "report_progress"})
    assert "weekly_progress_reminder" in index.reached({"report_progress", "acknowledge_progress_reminder"})


# --- diagrams ---------------------------------------------------------------------------------------


def _bounds(root: etree._Element) -> dict[str, tuple[float, float, float, float]]:
    found: dict[str, tuple[float, float, float, float]] = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", DI_NS):
        bounds = shape.find("dc:Bounds", DI_NS)
        assert bounds is not None, shape.get("id")
        found[str(shape.get("bpmnElement"))] = tuple(  # type: ignore[assignment]
            float(bounds.get(k) or "nan") for k in ("x", "y", "width", "height")
        )
    return found


def _touches(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    x, y, w, h = box
    return x - 1 <= point[0] <= x + w + 1 and y - 1 <= point[1] <= y + h + 1


@pytest.mark.parametrize("key", PROCESS_KEYS)
def test_every_shape_lane_and_flow_has_diagram_coordinates(key: str) -> None:
    root = xml_of(key)
    index = index_of(key)
    shapes = _bounds(root)
    lanes = {str(lane.get("id")) for lane in root.iterfind(".//bpmn:lane", NS)}
    participants = {str(p.get("id")) for p in root.iterfind(".//bpmn:participant", NS)}
    assert index.flow_nodes | lanes | participants <= set(shapes)
    edges = {str(e.get("bpmnElement")): e for e in root.iterfind(".//bpmndi:BPMNEdge", DI_NS)}
    assert set(index.flows) == set(edges)
    for flow, (source, target) in index.flows.items():
        points = [
            (float(p.get("x") or "nan"), float(p.get("y") or "nan")) for p in edges[flow].iterfind("di:waypoint", DI_NS)
        ]
        assert len(points) >= 2, flow
        assert _touches(points[0], shapes[source]) and _touches(points[-1], shapes[target]), flow


@pytest.mark.parametrize("key", PROCESS_KEYS)
def test_every_flow_node_is_drawn_inside_its_lane(key: str) -> None:
    root = xml_of(key)
    shapes = _bounds(root)
    for lane in root.iterfind(".//bpmn:lane", NS):
        lx, ly, lw, lh = shapes[str(lane.get("id"))]
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            x, y, w, h = shapes[str(ref.text)]
            assert lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh, (lane.get("name"), ref.text)


# --- forms ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(forms()))
def test_form_is_a_draft_2020_12_schema_with_a_required_field(name: str) -> None:
    schema = forms()[name]
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    if name.endswith(".start.json"):
        # a start form requires nothing: the first step collects and checks the case's data, and
        # the desk may open a case before it knows anything
        assert "required" not in schema
    else:
        assert schema["required"] and set(schema["required"]) <= set(schema["properties"])
    if name in payload_forms():
        # a department's own system sends the message: it may carry more (e.g. a designer's new correlation)
        assert "additionalProperties" not in schema
    else:
        assert schema["additionalProperties"] is False


@pytest.mark.parametrize("name", sorted(forms()))
def test_form_has_chinese_titles_and_english_field_names(name: str) -> None:
    schema = forms()[name]
    assert CHINESE.search(schema["title"]) and CHINESE.search(schema["description"])
    for field_name, field in schema["properties"].items():
        assert FIELD_NAME.match(field_name), field_name
        assert CHINESE.search(field["title"]), field_name
        for option in field.get("oneOf", []):
            assert CHINESE.search(option["title"]), (field_name, option)


# --- the routing table ------------------------------------------------------------------------------


def _routing_rules() -> list[dict[str, str]]:
    root = etree.fromstring(bpmn.process_files()["problem_routing.dmn"])
    ns = {"dmn": str(etree.QName(root).namespace)}
    outputs = [str(o.get("name")) for o in root.iterfind(".//dmn:output", ns)]
    rules = []
    for rule in root.iterfind(".//dmn:rule", ns):
        cells = [str(e.findtext("dmn:text", namespaces=ns)) for e in rule.iterfind("dmn:outputEntry", ns)]
        rules.append(dict(zip(outputs, cells, strict=True)))
    return rules


def test_routing_table_names_demo_departments_with_their_chinese_names() -> None:
    for rule in _routing_rules():
        lead = json.loads(rule["lead_department"])
        assisting = json.loads(rule["assist_departments"])
        assert lead in DEPARTMENTS and set(assisting) <= set(DEPARTMENTS) - {lead}
        assert json.loads(rule["lead_department_name"]) == DEPARTMENTS[lead][0]
        assert json.loads(rule["assist_department_names"]) == "、".join(DEPARTMENTS[a][0] for a in assisting)


def test_routing_table_reply_limits_are_working_days() -> None:
    assert all(WORKING_DAYS.match(json.loads(rule["reply_limit"])) for rule in _routing_rules())


def test_routing_table_has_a_row_for_every_category_of_the_acceptance_form() -> None:
    root = etree.fromstring(bpmn.process_files()["problem_routing.dmn"])
    ns = {"dmn": str(etree.QName(root).namespace)}
    cells = [str(e.findtext("dmn:text", namespaces=ns)) for e in root.iterfind(".//dmn:inputEntry", ns)]
    categories = [
        o["const"] for o in forms()["enterprise_problem.accept_problem.json"]["properties"]["category"]["oneOf"]
    ]
    assert [json.loads(c) for c in cells[:-1]] == categories
    assert cells[-1].startswith("? not in (")  # unknown categories land in the center


# --- demo data --------------------------------------------------------------------------------------


def test_demo_departments_are_the_story_units_with_chinese_and_english_names() -> None:
    departments = {d["code"]: (d["name"], d["name_en"]) for d in bpmn.demo_data()["departments"]}
    assert departments == DEPARTMENTS


def test_demo_has_one_supervisor_and_two_staff_in_every_department() -> None:
    for code in DEPARTMENTS:
        members = [u for u in bpmn.demo_data()["users"] if code in u.get("departments", [])]
        assert sorted(r for u in members for r in u["roles"]) == ["staff", "staff", "supervisor"], code


def test_demo_has_a_designer_an_auditor_a_leader_an_admin_and_applicants_of_two_companies() -> None:
    users = bpmn.demo_data()["users"]
    for role in ("designer", "auditor", "leader", "admin"):
        assert len([u for u in users if role in u["roles"]]) == 1, role
    applicants = [u for u in users if u["roles"] == ["applicant"]]
    assert len(applicants) == 2
    assert len({u["company"] for u in applicants}) == 2
    assert all(not u.get("departments") for u in applicants)


def test_demo_users_have_unique_usernames_and_chinese_display_names() -> None:
    users = bpmn.demo_data()["users"]
    assert len({u["username"] for u in users}) == len(users)
    assert all(CHINESE.search(u["display_name"]) for u in users)


def test_demo_companies_have_valid_unified_social_credit_codes() -> None:
    for user in bpmn.demo_data()["users"]:
        code = user.get("credit_code")
        if code is None:
            continue
        total = sum(USCC_CHARS.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS, strict=True))
        assert len(code) == 18 and code[17] == USCC_CHARS[(31 - total % 31) % 31], code
