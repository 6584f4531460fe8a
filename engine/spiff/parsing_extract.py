"""What the rest of the engine needs to know about a model besides its spec.

Lanes, user tasks (with their spiffworkflow properties and instructions) and the properties of
the process element itself are read from the XML, which keeps their line numbers. Forms are
JSON Schemas (draft 2020-12) checked here as well.
"""

from __future__ import annotations

import json
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin

from engine.errors import Problem
from engine.form_schemas import schema_problems
from engine.spiff.parsing_xml import NS, XmlDoc, line_of

_MAX_SCHEMA_PROBLEMS = 20


def properties_of(element: Any) -> dict[str, str]:
    """spiffworkflow:properties directly in ``element``'s extension elements."""
    props: dict[str, str] = {}
    for prop in element.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS
    ):
        name, value = prop.get("name"), prop.get("value")
        if name and value is not None:
            props[str(name)] = str(value)
    return props


def instructions_of(element: Any) -> str | None:
    found = element.xpath("./bpmn:extensionElements/spiffworkflow:instructionsForEndUser", namespaces=NS)
    return str(found[0].text) if found and found[0].text is not None else None


def lanes_of(process: Any) -> list[tuple[str, str | None, int | None]]:
    """(id, name, line) of every lane inside a process, nested lanes included."""
    return [
        (str(lane.get("id")), lane.get("name"), line_of(lane))
        for lane in process.xpath(".//bpmn:lane", namespaces=NS)
        if lane.get("id")
    ]


def lane_index(doc: XmlDoc) -> dict[str, Any]:
    """Flow node id -> lane element listing it (document wide, as SpiffWorkflow indexes it)."""
    index: dict[str, Any] = {}
    for ref in doc.root.xpath("//bpmn:lane/bpmn:flowNodeRef", namespaces=NS):
        if ref.text:
            index[ref.text.strip()] = ref.getparent()
    return index


def lane_of(element: Any, process: Any, lanes: dict[str, Any]) -> Any:
    """The lane SpiffWorkflow gives ``element``: an enclosing sub-process's named lane wins."""
    chain: list[Any] = []
    current = element
    while current is not None and current is not process:
        chain.append(current)
        current = current.getparent()
    own_lane = None
    for node in reversed(chain):  # outermost first
        lane = lanes.get(str(node.get("id"))) if node.get("id") else None
        if lane is None:
            continue
        if lane.get("name"):
            return lane
        if node is element:
            own_lane = lane
    return own_lane


def task_specs_by_id(spec: Any, subprocess_specs: dict[str, Any], embedded: set[str]) -> dict[str, Any]:
    """bpmn_id -> task spec over a process spec and its embedded sub-process specs (user tasks win)."""
    found: dict[str, Any] = {}
    specs = [spec, *(subprocess_specs[key] for key in embedded if key in subprocess_specs)]
    for one_spec in specs:
        for task_spec in one_spec.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            if bpmn_id is None:
                continue
            if bpmn_id not in found or isinstance(task_spec, UserTaskMixin):
                found[bpmn_id] = task_spec
    return found


# ---------------------------------------------------------------- forms


def _pointer(path: Any) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def parse_form(name: str, data: bytes) -> tuple[dict[str, Any] | None, list[Problem]]:
    """A form file: valid JSON holding a valid JSON Schema (draft 2020-12) object."""
    try:
        schema = json.loads(data)
    except json.JSONDecodeError as error:
        return None, [
            Problem(
                code="form_invalid",
                message=f"{name}: not valid JSON: {error.msg}",
                file=name,
                line=error.lineno,
            )
        ]
    except (ValueError, RecursionError) as error:  # bad encoding, huge integers, deep nesting
        return None, [Problem(code="form_invalid", message=f"{name}: not valid JSON: {error}", file=name)]
    if not isinstance(schema, dict):
        return None, [Problem(code="form_invalid", message=f"{name}: a form must be a JSON Schema object", file=name)]
    try:
        errors = sorted(
            _meta_validator().iter_errors(schema),
            key=lambda e: list(map(str, e.absolute_path)),
        )
    except RecursionError:
        return None, [Problem(code="form_invalid", message=f"{name}: the schema is nested too deeply", file=name)]
    if errors:
        return None, [
            Problem(
                code="form_invalid",
                message=f"{name}: not a valid JSON Schema (draft 2020-12) at "
                f"{_pointer(error.absolute_path) or '/'}: {error.message}",
                file=name,
                field=_pointer(error.absolute_path) or "",
            )
            for error in errors[:_MAX_SCHEMA_PROBLEMS]
        ]
    unsafe = schema_problems(name, schema)
    if unsafe:
        return None, unsafe[:_MAX_SCHEMA_PROBLEMS]
    return schema, []


def _meta_validator() -> Any:
    """Imported on first use: jsonschema's format checkers take most of a second to import, which
    every command-line call would otherwise pay."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(Draft202012Validator.META_SCHEMA)


# ---------------------------------------------------------------- message payload schemas


def message_schemas(docs: list[XmlDoc]) -> dict[str, str]:
    """``bpmn:message`` name -> the ``payloadJsonSchemaFilename`` property it names, across the upload."""
    found: dict[str, str] = {}
    for doc in docs:
        for message in doc.root.xpath("//bpmn:message", namespaces=NS):
            name = message.get("name") or message.get("id")
            value = properties_of(message).get("payloadJsonSchemaFilename")
            if name and value:
                found[name] = value
    return found
