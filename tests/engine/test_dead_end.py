"""The deploy check ``dead_end``: a flow node with no way out that is not an end event is named; what
legitimately has no outgoing flow is not."""

from __future__ import annotations

from engine.spiff.parsing_flow import dead_ends
from engine.spiff.parsing_xml import parse_xml

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" '
    'targetNamespace="http://wutong.example/test"><bpmn:process id="p" isExecutable="true">'
    '<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>'
    '<bpmn:userTask id="work"/><bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>'
    '<bpmn:endEvent id="end"/>'
)
TAIL = "</bpmn:process></bpmn:definitions>"


def ids(body: str) -> list[str | None]:
    doc, problems = parse_xml("p.bpmn", (HEAD + body + TAIL).encode(), "bpmn")
    assert doc is not None, problems
    found = dead_ends(doc)
    assert all(p.code == "dead_end" and p.file == "p.bpmn" for p in found)
    return sorted(p.element_id for p in found)


def test_a_complete_path_has_no_dead_end() -> None:
    assert ids("") == []


def test_a_gateway_and_a_task_without_outgoing_flow_are_named() -> None:
    assert ids('<bpmn:exclusiveGateway id="gw"/><bpmn:scriptTask id="calc"/>') == ["calc", "gw"]


def test_a_task_inside_a_sub_process_is_named() -> None:
    body = (
        '<bpmn:subProcess id="sub"><bpmn:startEvent id="s_start"/>'
        '<bpmn:sequenceFlow id="s1" sourceRef="s_start" targetRef="s_task"/><bpmn:task id="s_task"/>'
        '</bpmn:subProcess>'
    )
    assert ids(body) == ["s_task", "sub"]


def test_compensation_handlers_event_sub_processes_and_link_throws_are_exempt() -> None:
    body = (
        '<bpmn:task id="undo" isForCompensation="true"/>'
        '<bpmn:subProcess id="on_error" triggeredByEvent="true"><bpmn:startEvent id="e_start"/>'
        '<bpmn:sequenceFlow id="e1" sourceRef="e_start" targetRef="e_end"/><bpmn:endEvent id="e_end"/>'
        '</bpmn:subProcess>'
        '<bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition id="l1" name="next"/>'
        '</bpmn:intermediateThrowEvent>'
    )
    assert ids(body) == []


def test_tasks_of_an_ad_hoc_sub_process_are_exempt() -> None:
    body = '<bpmn:adHocSubProcess id="adhoc"><bpmn:task id="any_order"/></bpmn:adHocSubProcess>'
    assert ids(body) == ["adhoc"]
