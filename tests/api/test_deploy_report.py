"""A bad upload is refused with every problem it has in one answer: parse, structure, lanes and
deadlines together; a file that is not well-formed (or has a DOCTYPE) reports only that for itself."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'id="defs" targetNamespace="http://wutong.example/test">\n'
)
# Three mistakes found by three different stages: a flow to nowhere (structure), a lane naming no
# department (the lane check) and a deadline that is no duration (the deadline check).
MANY_MISTAKES = (
    HEADER
    + """<bpmn:process id="many" isExecutable="true">
  <bpmn:laneSet id="lanes">
    <bpmn:lane id="lane_x" name="城市管理"><bpmn:flowNodeRef>first</bpmn:flowNodeRef></bpmn:lane>
  </bpmn:laneSet>
  <bpmn:startEvent id="start"/>
  <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="first"/>
  <bpmn:userTask id="first">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="deadline" value="P2X"/>
    </spiffworkflow:properties></bpmn:extensionElements>
  </bpmn:userTask>
  <bpmn:sequenceFlow id="flow_lost" sourceRef="first" targetRef="nowhere"/>
</bpmn:process>
</bpmn:definitions>
"""
).encode()
DOCTYPE = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n<x>&a;</x>\n'


def codes(response: Any) -> list[tuple[str | None, str]]:
    assert response.status_code == 422, response.get_json()
    return sorted((p["file"], p["code"]) for p in response.get_json()["errors"])


def test_one_answer_lists_structure_lane_and_deadline_problems_together(api: Api) -> None:
    found = codes(api.deploy({"many.bpmn": MANY_MISTAKES}))
    assert {code for _, code in found} >= {"flow_target_missing", "lane_unmapped"}
    assert any(code.startswith("deadline") for _, code in found), found


def test_a_file_that_is_not_well_formed_does_not_hide_the_other_files_problems(api: Api) -> None:
    found = codes(api.deploy({"broken.bpmn": b"<bpmn:definitions", "many.bpmn": MANY_MISTAKES}))
    assert [code for file, code in found if file == "broken.bpmn"] == ["xml_syntax"]
    assert {code for file, code in found if file == "many.bpmn"} >= {"flow_target_missing", "lane_unmapped"}


def test_a_doctype_refusal_reports_only_that(api: Api) -> None:
    response = api.deploy({"evil.bpmn": DOCTYPE})
    assert [p["code"] for p in response.get_json()["errors"]] == ["doctype_forbidden"], response.get_json()


def test_a_lane_naming_no_department_suggests_the_closest_department(api: Api) -> None:
    assert api.post("/departments", json={"code": "urban_mgmt", "name": "城市管理局",
                                          "name_en": "Urban Management"}).status_code == 201
    response = api.deploy({"many.bpmn": MANY_MISTAKES})
    lane = [p for p in response.get_json()["errors"] if p["code"] == "lane_unmapped"]
    assert len(lane) == 1 and lane[0]["message"].endswith("did you mean 城市管理局 (urban_mgmt)?"), lane


def test_an_unknown_send_back_target_is_caught_at_deploy(api: Api) -> None:
    data = MANY_MISTAKES.replace(b'name="deadline" value="P2X"', b'name="sendBackTo" value="nowhere_step"')
    response = api.deploy({"many.bpmn": data})
    found = [p for p in response.get_json()["errors"] if p["code"] == "send_back_target_unknown"]
    assert [(p["element_id"], p["file"]) for p in found] == [("first", "many.bpmn")]
