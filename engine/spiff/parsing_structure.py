"""Structural checks SpiffWorkflow makes late, badly worded, or not at all.

They run on the XML before any spec is built, so each problem names the element a designer has
to fix (the sequence flow, the call activity, the task) instead of the library's guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.errors import Problem
from engine.spiff.parsing_xml import NS, XmlDoc, problem_at, short_tag

_CONTAINERS = ("process", "subProcess", "transaction", "adHocSubProcess")
_NEEDS_START = ("process", "subProcess", "transaction")


@dataclass
class ProcessDecl:
    """A top-level ``bpmn:process`` of an uploaded file."""

    key: str
    doc: XmlDoc
    element: Any
    executable: bool
    calls: set[str] = field(default_factory=set)  # calledElement of every call activity inside
    blocked: bool = False  # a structural problem makes building its spec pointless


# properties that name a JSON Schema file of the upload (a task form, a message payload, a start form)
FORM_PROPERTIES = ("formJsonSchemaFilename", "payloadJsonSchemaFilename", "startFormJsonSchemaFilename")


def find_processes(docs: Iterable[XmlDoc]) -> tuple[dict[str, ProcessDecl], list[Problem]]:
    """Every top-level process by id (SpiffWorkflow semantics: executable unless isExecutable='false')."""
    processes: dict[str, ProcessDecl] = {}
    problems: list[Problem] = []
    for doc in docs:
        for element in doc.root.xpath("./bpmn:process", namespaces=NS):
            key = element.get("id")
            if not key:
                continue  # the XSD reports the missing id
            if key in processes:
                other = processes[key]
                problems.append(
                    problem_at(
                        "duplicate_process_id",
                        f"{doc.name}: process id {key!r} is already defined in {other.doc.name}",
                        doc.name,
                        element,
                    )
                )
                continue
            calls = {
                str(call.get("calledElement"))
                for call in element.xpath(".//bpmn:callActivity[@calledElement]", namespaces=NS)
            }
            executable = element.get("isExecutable", "true") == "true"
            processes[key] = ProcessDecl(key=key, doc=doc, element=element, executable=executable, calls=calls)
    return processes, problems


def _container(element: Any) -> Any:
    """The process or sub-process whose parser resolves the references of ``element``."""
    current = element.getparent()
    while current is not None:
        tag = current.tag
        if isinstance(tag, str) and tag.startswith("{" + NS["bpmn"] + "}") and tag.split("}")[1] in _CONTAINERS:
            return current
        current = current.getparent()
    return None


def _top_process(element: Any) -> Any:
    found = element.xpath("ancestor-or-self::bpmn:process[1]", namespaces=NS)
    return found[0] if found else None


def check_structure(
    doc: XmlDoc,
    processes: dict[str, ProcessDecl],
    decision_ids: Mapping[str, bool],
    form_names: set[str],
) -> tuple[list[Problem], set[str]]:
    """Structural problems of one BPMN file, and the ids of the processes they make unbuildable.

    ``decision_ids`` maps every decision id of the upload to whether its DMN file is valid.
    """
    problems: list[Problem] = []
    blocked: set[str] = set()

    def add(problem: Problem, element: Any) -> None:
        problems.append(problem)
        process = _top_process(element)
        if process is not None and process.get("id"):
            blocked.add(str(process.get("id")))

    # Sequence flows must connect elements of their own process or sub-process.
    known_ids: dict[Any, set[str]] = {}  # keyed by the element: keeps its lxml proxy alive
    for flow in doc.root.xpath("//bpmn:sequenceFlow", namespaces=NS):
        container = _container(flow)
        if container is None:
            continue
        known = known_ids.get(container)
        if known is None:
            known = {str(e.get("id")) for e in container.iter() if e.get("id") is not None}
            known_ids[container] = known
        for attribute, code in (("targetRef", "flow_target_missing"), ("sourceRef", "flow_source_missing")):
            ref = flow.get(attribute)
            if ref is None or ref in known:
                continue
            add(
                problem_at(
                    code,
                    f"{doc.name}: sequence flow {flow.get('id')!r} has {attribute}={ref!r}, "
                    f"but no element with that id is in {short_tag(str(container.tag))} "
                    f"{container.get('id')!r}",
                    doc.name,
                    flow,
                ),
                flow,
            )

    # Start events: SpiffWorkflow needs one in every executable process and (exactly one) sub-process.
    for tag in _NEEDS_START:
        for container in doc.root.xpath(f"//bpmn:{tag}", namespaces=NS):
            if tag == "process" and container.get("isExecutable", "true") != "true":
                continue
            if not container.xpath("./bpmn:startEvent", namespaces=NS):
                add(
                    problem_at(
                        "missing_start_event",
                        f"{doc.name}: {short_tag(str(container.tag))} {container.get('id')!r} has no start event",
                        doc.name,
                        container,
                    ),
                    container,
                )

    # Call activities must call an executable process of the same upload.
    for call in doc.root.xpath("//bpmn:callActivity", namespaces=NS):
        target = call.get("calledElement")
        declared = processes.get(target) if target else None
        if declared is None:
            detail = "names no process" if not target else f"calls {target!r}, which is not in this upload"
            add(
                problem_at(
                    "call_activity_target_missing",
                    f"{doc.name}: call activity {call.get('id')!r} {detail}",
                    doc.name,
                    call,
                ),
                call,
            )
        elif not declared.executable:
            add(
                problem_at(
                    "call_activity_target_not_executable",
                    f"{doc.name}: call activity {call.get('id')!r} calls {target!r}, "
                    f"which is marked isExecutable=false in {declared.doc.name}",
                    doc.name,
                    call,
                ),
                call,
            )

    # Business rule tasks must name a decision of a DMN file of the upload.
    for task in doc.root.xpath("//bpmn:businessRuleTask", namespaces=NS):
        refs = task.xpath("./bpmn:extensionElements/spiffworkflow:calledDecisionId", namespaces=NS)
        ref = (refs[0].text or "") if refs else ""
        if decision_ids.get(ref) is False:
            process = _top_process(task)  # its DMN file has problems of its own
            if process is not None and process.get("id"):
                blocked.add(str(process.get("id")))
        elif ref not in decision_ids:
            detail = (
                f"calls decision {ref!r}, which no DMN file of this upload defines"
                if ref
                else "has no spiffworkflow:calledDecisionId"
            )
            add(
                problem_at(
                    "decision_missing",
                    f"{doc.name}: business rule task {task.get('id')!r} {detail}",
                    doc.name,
                    task,
                ),
                task,
            )

    # Service tasks: Wutong has no connector or external-task worker to run one yet, so it would only
    # fail at run time ("name 'script' is not defined"); refuse it here, naming the element.
    for task in doc.root.xpath("//bpmn:serviceTask", namespaces=NS):
        add(
            problem_at(
                "service_task_unsupported",
                f"{doc.name}: service task {task.get('id')!r} has no implementation Wutong can run "
                "(use a script task, or a user task for work done by people)",
                doc.name,
                task,
            ),
            task,
        )

    # Properties: SpiffWorkflow needs name and value; forms must be part of the upload.
    for prop in doc.root.xpath("//spiffworkflow:property", namespaces=NS):
        name, value = prop.get("name"), prop.get("value")
        if not name or value is None:
            add(
                problem_at(
                    "property_invalid",
                    f"{doc.name}: every spiffworkflow:property needs a name and a value attribute",
                    doc.name,
                    prop,
                ),
                prop,
            )
        elif name in FORM_PROPERTIES and value not in form_names:
            problems.append(
                problem_at(
                    "form_missing",
                    f"{doc.name}: form {value!r} is not a .json file of this upload",
                    doc.name,
                    prop,
                )
            )
    return problems, blocked


def unbuildable(processes: dict[str, ProcessDecl], available: set[str]) -> set[str]:
    """Processes that are blocked, or call (transitively) a process that is blocked or not available."""
    bad: set[str] = {key for key, decl in processes.items() if decl.blocked or key not in available}
    changed = True
    while changed:
        changed = False
        for key, decl in processes.items():
            if key not in bad and any(target in bad or target not in processes for target in decl.calls):
                bad.add(key)
                changed = True
    return bad
