"""Building SpiffWorkflow specs from the already-safe element trees, with every failure converted.

SpiffWorkflow parses lazily: most semantic errors only appear in ``get_spec`` and
``get_subprocess_specs``, as ``ValidationException`` (tag, id, file; its line is empty for lxml
elements), as bare ``Exception`` or as anything a task parser happened to raise. Each becomes a
:class:`Problem` with the file, the element id and the element's line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.errors import Problem
from engine.spiff.parsing_xml import XmlDoc, line_of

# Substrings of SpiffWorkflow messages -> our codes (everything else is bpmn_invalid / dmn_invalid).
_CODES: tuple[tuple[str, str], ...] = (
    ("No start event found", "missing_start_event"),
    ("Exactly one start event is required in a SubWorkflow Task; found 0", "missing_start_event"),
    ("When looking for a task spec, we found two items", "flow_target_missing"),
    ("was not found. Did you mean one of the following", "call_activity_target_missing"),
    ('No "calledElement" attribute', "call_activity_target_missing"),
    ("No DMN Diagram available", "decision_missing"),
    ("Time Specification Error", "bad_timer_expression"),
    ("Malformed Output Expression", "expression_syntax"),
)


def new_parser() -> Any:
    """A SpiffBpmnParser without its own validator: the caller already validated every tree
    against the same schemas (with the full error log, under a lock)."""
    return SpiffBpmnParser(validator=None)


def _message(error: BaseException) -> str:
    if error.args and isinstance(error.args[0], str):
        return error.args[0]
    return str(error)


def convert(error: Exception, docs: Mapping[str, XmlDoc], default_file: str | None) -> Problem:
    """One SpiffWorkflow (or other) parse failure as a Problem."""
    if isinstance(error, ValidationException):
        message = _message(error)
        file = error.file_name or default_file
        element_id = error.id or None
        line = error.line_number if isinstance(error.line_number, int) and error.line_number > 0 else None
        doc = docs.get(file) if file else None
        if line is None and doc is not None and element_id and element_id in doc.ids:
            line = line_of(doc.ids[element_id])
        kind = doc.kind if doc is not None else "bpmn"
        code = next((code for marker, code in _CODES if marker in message), f"{kind}_invalid")
        where = f" ({error.tag} {element_id!r})" if error.tag and element_id else ""
        return Problem(
            code=code,
            message=f"{file or 'upload'}{where}: {message.strip()}",
            file=file,
            line=line,
            element_id=element_id,
        )
    return Problem(
        code="bpmn_invalid",
        message=f"{default_file or 'upload'}: {type(error).__name__}: {_message(error)}",
        file=default_file,
    )


def add_documents(parser: Any, bpmn: list[XmlDoc], dmn: list[XmlDoc], docs: Mapping[str, XmlDoc]) -> list[Problem]:
    """Hand the trees to SpiffWorkflow; parse every decision table now (it would otherwise wait
    until a business rule task needs it)."""
    problems: list[Problem] = []
    for doc in dmn:
        try:
            parser.add_dmn_xml(doc.root, filename=doc.name)
        except Exception as error:
            problems.append(convert(error, docs, doc.name))
    for dmn_parser in list(parser.dmn_parsers.values()):
        try:
            dmn_parser.parse()
        except Exception as error:
            problems.append(convert(error, docs, dmn_parser.filename))
    for doc in bpmn:
        try:
            parser.add_bpmn_xml(doc.root, filename=doc.name)
        except Exception as error:
            problems.append(convert(error, docs, doc.name))
    return problems


def build(parser: Any, key: str, file: str, docs: Mapping[str, XmlDoc]) -> tuple[Any, dict[str, Any], list[Problem]]:
    """(spec, subprocess specs, problems) of one process; both specs are None on failure."""
    try:
        spec = parser.get_spec(key)
        subprocess_specs: dict[str, Any] = parser.get_subprocess_specs(key)
    except Exception as error:
        return None, {}, [convert(error, docs, file)]
    return spec, subprocess_specs, []
