"""Deploy-time lint of everything in a model that runs as code or as a template.

SpiffWorkflow only notices a broken script, condition or timer when an instance reaches it.
Here every expression is compiled with the engine's sandbox compiler, constant timer values are
parsed as ISO 8601, and end-user instructions are parsed as Jinja2 templates.
"""

from __future__ import annotations

import ast
import re
from datetime import datetime
from typing import Any, Literal

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.errors import Problem
from engine.spiff import timer_limits
from engine.spiff.parsing_xml import NS, XmlDoc, line_of, problem_at
from engine.spiff.sandbox import ExpressionSyntaxError, compile_expression

Mode = Literal["eval", "exec"]
TimerKind = Literal["timeDuration", "timeDate", "timeCycle"]

# (xpath, mode, what) for expressions in BPMN files; element text is the expression.
_TEXT_EXPRESSIONS: tuple[tuple[str, Mode, str], ...] = (
    ("//bpmn:scriptTask/bpmn:script", "exec", "script"),
    ("//spiffworkflow:preScript", "exec", "pre-script"),
    ("//spiffworkflow:postScript", "exec", "post-script"),
    ("//bpmn:sequenceFlow/bpmn:conditionExpression", "eval", "condition"),
    ("//bpmn:conditionalEventDefinition/bpmn:condition", "eval", "event condition"),
    ("//bpmn:multiInstanceLoopCharacteristics/bpmn:loopCardinality", "eval", "loop cardinality"),
    ("//bpmn:multiInstanceLoopCharacteristics/bpmn:completionCondition", "eval", "completion condition"),
    ("//bpmn:standardLoopCharacteristics/bpmn:loopCondition", "eval", "loop condition"),
    ("//bpmn:adHocSubProcess/bpmn:completionCondition", "eval", "completion condition"),
    ("//spiffworkflow:messagePayload", "eval", "message payload"),
    ("//bpmn:correlationPropertyRetrievalExpression/*", "eval", "correlation retrieval expression"),
    ("//spiffworkflow:processVariableCorrelation/spiffworkflow:expression", "eval", "correlation expression"),
)
_TIMERS: tuple[TimerKind, ...] = ("timeDuration", "timeDate", "timeCycle")
_EXPRESSION_PROPERTIES = ("assignDepartment", "deadlineExpression")

_templates = SandboxedEnvironment(autoescape=True)


def _text(element: Any) -> str | None:
    text = element.text
    if text is None or not text.strip():
        return None
    return str(text)


def _compile(source: str, mode: Mode) -> ExpressionSyntaxError | None:
    try:
        compile_expression(source, mode)
    except ExpressionSyntaxError as error:
        return error
    return None


def _line_in(element: Any, inner_line: int | None) -> int | None:
    base = line_of(element)
    if base is None:
        return None
    return base + inner_line - 1 if inner_line and inner_line > 0 else base


def _syntax_problem(
    doc: XmlDoc, element: Any, what: str, error: ExpressionSyntaxError, in_text: bool = True
) -> Problem:
    inner = error.line if in_text else None
    where = f" (line {error.line} of the {what})" if in_text and error.line else ""
    return problem_at(
        "expression_syntax",
        f"{doc.name}: the {what}{where} does not compile: {error.message}",
        doc.name,
        element,
        line=_line_in(element, inner),
    )


def lint_bpmn(doc: XmlDoc) -> list[Problem]:
    """Every expression, timer and end-user template of one BPMN file."""
    problems: list[Problem] = []
    root = doc.root
    for xpath, mode, what in _TEXT_EXPRESSIONS:
        for element in root.xpath(xpath, namespaces=NS):
            source = _text(element)
            if source is None:
                continue
            error = _compile(source, mode)
            if error is not None:
                problems.append(_syntax_problem(doc, element, what, error))

    for kind in _TIMERS:
        for element in root.xpath(f"//bpmn:timerEventDefinition/bpmn:{kind}", namespaces=NS):
            problem = _lint_timer(doc, element, kind)
            if problem is not None:
                problems.append(problem)

    for element in root.xpath("//spiffworkflow:property", namespaces=NS):
        name = element.get("name")
        value = element.get("value")
        if name in _EXPRESSION_PROPERTIES and value and value.strip():
            error = _compile(value, "eval")
            if error is not None:
                problems.append(_syntax_problem(doc, element, f"{name} property", error, in_text=False))

    for element in root.xpath("//spiffworkflow:serviceTaskOperator//spiffworkflow:parameter", namespaces=NS):
        value = element.get("value")
        if value and value.strip():
            error = _compile(value, "eval")
            if error is not None:
                what = f"service parameter {element.get('id')!r}"
                problems.append(_syntax_problem(doc, element, what, error, in_text=False))

    for element in root.xpath("//spiffworkflow:instructionsForEndUser", namespaces=NS):
        source = element.text
        if not source:
            continue
        try:
            _templates.parse(source)
        except TemplateSyntaxError as error:
            problems.append(
                problem_at(
                    "template_syntax",
                    f"{doc.name}: the instructions template (line {error.lineno}) does not parse: {error.message}",
                    doc.name,
                    element,
                    line=_line_in(element, error.lineno),
                )
            )
    return problems


# ---------------------------------------------------------------- timers


def _iso_error(value: str, kind: TimerKind) -> str | None:
    """Why ``value`` is not what SpiffWorkflow's timer of ``kind`` accepts (None if it is)."""
    try:
        if kind == "timeDuration":
            parsed = TimerEventDefinition.parse_iso_duration(value)
            if not value.upper().startswith("P") or not parsed:
                return "not an ISO 8601 duration such as P3D or PT4H"
        elif kind == "timeDate":
            if not isinstance(TimerEventDefinition.parse_time_or_duration(value), datetime):
                return "not an ISO 8601 date-time such as 2025-10-08T09:00:00+08:00"
        else:
            TimerEventDefinition.parse_iso_recurring_interval(value)
            if not value.upper().startswith("R"):
                return "not an ISO 8601 repeating interval such as R3/PT1H"
    except Exception as error:  # SpiffWorkflow raises bare Exception, ValueError, AttributeError...
        return f"not a valid ISO 8601 value ({error})"
    return None


def _lint_timer(doc: XmlDoc, element: Any, kind: TimerKind) -> Problem | None:
    source = _text(element)
    where = f"{doc.name}: timer {kind} {source!r}"
    if source is None:
        return problem_at("bad_timer_expression", f"{doc.name}: timer {kind} is empty", doc.name, element)
    error = _compile(source, "eval")
    if error is not None:
        if _iso_error(source.strip(), kind) is None:
            return problem_at(
                "bad_timer_expression",
                f"{where} is an unquoted ISO 8601 value; timer expressions are Python, "
                f'write "{source.strip()}" with quotes',
                doc.name,
                element,
            )
        return _syntax_problem(doc, element, "timer expression", error)
    try:
        body = ast.parse(source.strip(), mode="eval").body
    except SyntaxError:
        return None  # the sandbox accepted it; leave the rest to run time
    if isinstance(body, ast.Constant):
        if not isinstance(body.value, str):
            return problem_at(
                "bad_timer_expression",
                f"{where} is a constant {type(body.value).__name__}, not an ISO 8601 string",
                doc.name,
                element,
            )
        reason = _iso_error(body.value, kind)
        if reason is not None:
            return problem_at("bad_timer_expression", f"{where}: {reason}", doc.name, element)
        return _timer_bounds(doc, element, kind, body.value)
    elif isinstance(body, ast.Name) and _iso_error(body.id, kind) is None:
        return problem_at(
            "bad_timer_expression",
            f'{where} reads a variable named {body.id}; to mean the ISO value write "{body.id}" with quotes',
            doc.name,
            element,
        )
    return None


def _timer_bounds(doc: XmlDoc, element: Any, kind: TimerKind, value: str) -> Problem | None:
    """A literal cycle that would flood its case (see ``timer_limits``)."""
    reason = timer_limits.cycle_problem(value) if kind == "timeCycle" else None
    if reason is None:
        return None
    return problem_at("timer_out_of_bounds", f"{doc.name}: timer {kind} {value!r} is refused: {reason}",
                      doc.name, element)


# ---------------------------------------------------------------- DMN

_QUESTION_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def _python_parses(source: str) -> bool:
    """SpiffWorkflow's ``PythonScriptEngine.validate`` (plain ``ast.parse``), used by the DMN engine."""
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _unary_test_expression(input_expression: str, cell: str) -> str:
    """The Python expression SpiffWorkflow's ``DMNEngine.evaluate`` builds for an input cell."""
    cell = _QUESTION_MARK.sub("dmninputexpr", cell)
    if "dmninputexpr" in cell:
        return cell
    if _python_parses(cell):
        return f"({input_expression}) == ({cell})"
    return input_expression + cell


def lint_dmn(doc: XmlDoc) -> list[Problem]:
    """Input expressions, input entries (as the DMN engine evaluates them) and output entries."""
    problems: list[Problem] = []
    namespace = etree.QName(doc.root).namespace
    if not namespace:
        return problems  # not a DMN document at all (reported as wrong_document_type)
    ns = {"dmn": str(namespace)}
    for table in doc.root.xpath("//dmn:decisionTable", namespaces=ns):
        inputs: list[str | None] = []
        for input_element in table.xpath("./dmn:input", namespaces=ns):
            texts = input_element.xpath("./dmn:inputExpression/dmn:text", namespaces=ns)
            source = _text(texts[0]) if texts else None
            inputs.append(source)
            if source is not None:
                error = _compile(source, "eval")
                if error is not None:
                    problems.append(_syntax_problem(doc, texts[0], "input expression", error))
        outputs = table.xpath("./dmn:output", namespaces=ns)
        for rule in table.xpath("./dmn:rule", namespaces=ns):
            entries = rule.xpath("./dmn:inputEntry", namespaces=ns)
            results = rule.xpath("./dmn:outputEntry", namespaces=ns)
            if len(entries) != len(inputs) or len(results) != len(outputs):
                problems.append(
                    problem_at(
                        "dmn_invalid",
                        f"{doc.name}: rule has {len(entries)} input and {len(results)} output entries; "
                        f"the table has {len(inputs)} inputs and {len(outputs)} outputs",
                        doc.name,
                        rule,
                    )
                )
                continue
            for entry, input_expression in zip(entries, inputs, strict=True):
                problems.extend(_lint_input_entry(doc, entry, input_expression, ns))
            for entry in results:
                texts = entry.xpath("./dmn:text", namespaces=ns)
                source = _text(texts[0]) if texts else None
                if source is not None:
                    error = _compile(source, "eval")
                    if error is not None:
                        problems.append(_syntax_problem(doc, texts[0], "output entry", error))
    return problems


def _lint_input_entry(
    doc: XmlDoc,
    entry: Any,
    input_expression: str | None,
    ns: dict[str, str],
) -> list[Problem]:
    texts = entry.xpath("./dmn:text", namespaces=ns)
    if not texts or texts[0].text is None or texts[0].text == "-":
        return []  # no text or '-' means "any"
    cell = str(texts[0].text)
    if input_expression is None:
        # SpiffWorkflow then falls back to the input's label read from the data: check the cell alone.
        error = _compile(cell, "eval")
        if error is not None and _compile(f"v {cell}", "eval") is not None:
            return [_syntax_problem(doc, texts[0], "input entry", error)]
        return []
    expression = _unary_test_expression(input_expression, cell)
    error = _compile(expression, "eval")
    if error is None:
        return []
    return [
        problem_at(
            "expression_syntax",
            f"{doc.name}: the input entry {cell!r} does not make a valid test of {input_expression!r} "
            f"(evaluated as {expression!r}): {error.message}",
            doc.name,
            texts[0],
        )
    ]
