"""Deploy check ``dead_end``: a gateway, activity or event with no way out that is not an end event.

BPMN lets a path end at any element without outgoing flow, and SpiffWorkflow builds such a model
happily; but in a designer's drawing it is nearly always a forgotten flow (a gateway whose branches
were never drawn), and a case reaching it would stop there silently. So the deploy names the element.
"""

from __future__ import annotations

from typing import Any

from engine.errors import Problem
from engine.spiff.parsing_xml import NS, XmlDoc, problem_at, short_tag

_GATEWAYS = ("exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway")
_ACTIVITIES = (
    "task",
    "userTask",
    "manualTask",
    "scriptTask",
    "businessRuleTask",
    "sendTask",
    "receiveTask",
    "serviceTask",
    "callActivity",
    "subProcess",
    "transaction",
    "adHocSubProcess",
)
_EVENTS = ("startEvent", "intermediateCatchEvent", "intermediateThrowEvent")
_FLOW_CONTAINERS = ("process", "subProcess", "transaction")


def _exempt(element: Any) -> bool:
    """Elements that legitimately have no outgoing flow."""
    if element.get("isForCompensation") == "true":  # compensation handlers are reached by association
        return True
    if element.get("triggeredByEvent") == "true":  # an event sub-process is entered by its start event
        return True
    # a link throw event continues at its catch event
    return bool(element.xpath("./bpmn:linkEventDefinition", namespaces=NS))


def dead_ends(doc: XmlDoc) -> list[Problem]:
    """Every flow node of ``doc`` (outside ad hoc sub-processes) without outgoing sequence flow."""
    problems: list[Problem] = []
    for tag in _FLOW_CONTAINERS:
        for container in doc.root.xpath(f"//bpmn:{tag}", namespaces=NS):
            sources = {
                str(flow.get("sourceRef"))
                for flow in container.xpath("./bpmn:sequenceFlow[@sourceRef]", namespaces=NS)
            }
            for name in _GATEWAYS + _ACTIVITIES + _EVENTS:
                for node in container.xpath(f"./bpmn:{name}[@id]", namespaces=NS):
                    if node.get("id") in sources or _exempt(node):
                        continue
                    problems.append(
                        problem_at(
                            "dead_end",
                            f"{doc.name}: {short_tag(str(node.tag))} {node.get('id')!r} has no outgoing sequence "
                            "flow and is no end event: a case reaching it would stop there (draw its flow on, "
                            "or end the path with an end event)",
                            doc.name,
                            node,
                        )
                    )
    return problems
