"""The expression sandbox, exercised through real SpiffWorkflow processes run in a worker thread.

Every attack is tried in a script task and in a gateway condition; every feature that must keep
working is shown the same way. Processes run outside the main thread because engine steps run in a
threaded server, where signal-based timeouts cannot work.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, Literal, TypeVar
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.spiff.sandbox import (
    ExpressionSyntaxError,
    SandboxLimits,
    SandboxViolation,
    compile_expression,
    create_script_engine,
)

Where = Literal["script", "gateway"]
WHERE: list[Where] = ["script", "gateway"]
FAST = SandboxLimits(max_seconds=0.5)
_T = TypeVar("_T")

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
    ' id="defs" targetNamespace="http://bpmn.io/schema/bpmn">\n'
    '<bpmn:process id="proc" isExecutable="true">\n'
    '<bpmn:startEvent id="start" />\n'
)
_TAIL = "</bpmn:process>\n</bpmn:definitions>\n"


def _flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}" />\n'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>\n"
    )


def _script_task(task_id: str, script: str) -> str:
    return f'<bpmn:scriptTask id="{task_id}"><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>\n'


def script_process(script: str) -> str:
    """start -> script task -> end."""
    return (
        _HEAD
        + _script_task("work", script)
        + '<bpmn:endEvent id="end" />\n'
        + _flow("f1", "start", "work")
        + _flow("f2", "work", "end")
        + _TAIL
    )


def gateway_process(condition: str) -> str:
    """start -> exclusive gateway; ``condition`` true sets branch='yes', the default sets 'no'."""
    return (
        _HEAD
        + '<bpmn:exclusiveGateway id="gw" default="f_no" />\n'
        + _script_task("yes", "branch = 'yes'")
        + _script_task("no", "branch = 'no'")
        + '<bpmn:endEvent id="end_yes" />\n<bpmn:endEvent id="end_no" />\n'
        + _flow("f1", "start", "gw")
        + _flow("f_yes", "gw", "yes", condition)
        + _flow("f_no", "gw", "no")
        + _flow("f2", "yes", "end_yes")
        + _flow("f3", "no", "end_no")
        + _TAIL
    )


def business_rule_process() -> str:
    """start -> business rule task calling decision ``size_decision`` -> end."""
    return (
        _HEAD + '<bpmn:businessRuleTask id="decide"><bpmn:extensionElements>'
        "<spiffworkflow:calledDecisionId>size_decision</spiffworkflow:calledDecisionId>"
        "</bpmn:extensionElements></bpmn:businessRuleTask>\n"
        + '<bpmn:endEvent id="end" />\n'
        + _flow("f1", "start", "decide")
        + _flow("f2", "decide", "end")
        + _TAIL
    )


SIZE_DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dmn_defs" name="Sizes"
    namespace="http://bpmn.io/schema/dmn">
  <decision id="size_decision" name="Size">
    <decisionTable id="size_table" hitPolicy="UNIQUE">
      <input id="in_amount" label="Amount">
        <inputExpression id="in_amount_expr" typeRef="integer"><text>amount</text></inputExpression>
      </input>
      <output id="out_size" label="Size" name="size" typeRef="string" />
      <output id="out_teams" label="Teams" name="teams" />
      <rule id="rule_small">
        <inputEntry id="rule_small_in"><text>&lt; 100</text></inputEntry>
        <outputEntry id="rule_small_size"><text>"small"</text></outputEntry>
        <outputEntry id="rule_small_teams"><text>["D1"]</text></outputEntry>
      </rule>
      <rule id="rule_large">
        <inputEntry id="rule_large_in"><text>&gt;= 100</text></inputEntry>
        <outputEntry id="rule_large_size"><text>"large"</text></outputEntry>
        <outputEntry id="rule_large_teams"><text>sorted({"D2", "D1"})</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


def in_worker_thread(work: Callable[[], _T]) -> _T:
    """Run ``work`` in a fresh non-main thread and return its result or raise its exception."""
    box: dict[str, Any] = {}

    def target() -> None:
        assert threading.current_thread() is not threading.main_thread()
        try:
            box["result"] = work()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="sandbox-test-worker")
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the sandboxed process did not stop"
    if "error" in box:
        raise box["error"]
    return box["result"]  # type: ignore[no-any-return]


def run_process(
    bpmn: str,
    data: Mapping[str, Any] | None = None,
    *,
    limits: SandboxLimits = FAST,
    helpers: Mapping[str, Callable[..., Any]] | None = None,
    dmn: str | None = None,
) -> dict[str, Any]:
    """Parse ``bpmn`` (and ``dmn``), run it to the end in a worker thread, return the final task data."""

    def work() -> dict[str, Any]:
        parser = SpiffBpmnParser(validator=VALIDATOR)
        parser.add_bpmn_str(bpmn.encode())
        if dmn is not None:
            parser.add_dmn_str(dmn.encode())
        workflow = BpmnWorkflow(
            parser.get_spec("proc"),
            parser.get_subprocess_specs("proc"),
            script_engine=create_script_engine(limits, helpers),
        )
        workflow.get_tasks(state=TaskState.READY)[0].data.update(data or {})
        workflow.do_engine_steps()
        assert workflow.is_completed()
        return dict(workflow.last_task.data)

    return in_worker_thread(work)


def run_expression(where: Where, code: str, data: Mapping[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    """Run ``code`` as a script task or as a gateway condition."""
    bpmn = script_process(code) if where == "script" else gateway_process(code)
    return run_process(bpmn, data, **kwargs)


def assert_refused(where: Where, code: str, *fragments: str, **kwargs: Any) -> WorkflowTaskException:
    """The process fails through SpiffWorkflow's normal path and the message says why."""
    started = time.monotonic()
    with pytest.raises(WorkflowTaskException) as caught:
        run_expression(where, code, **kwargs)
    assert time.monotonic() - started < 5
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    return caught.value


# -- refused or stopped ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", WHERE)
def test_dunder_import_is_refused(where: Where) -> None:
    code = "x = __import__('os').getcwd()" if where == "script" else "__import__('os').getcwd() != ''"
    assert_refused(where, code, "ExpressionSyntaxError", '"__import__" is an invalid variable name')


@pytest.mark.parametrize("where", WHERE)
def test_import_statement_is_refused(where: Where) -> None:
    fragment = "import statements are not allowed" if where == "script" else "invalid syntax"
    assert_refused(where, "import os", "ExpressionSyntaxError", fragment)


@pytest.mark.parametrize("where", WHERE)
def test_open_is_refused(where: Where) -> None:
    code = "x = open('/etc/passwd').read()" if where == "script" else "open('/etc/passwd').read() != ''"
    assert_refused(where, code, "NameError", "'open' is not defined")


@pytest.mark.parametrize("where", WHERE)
def test_subclasses_escape_is_refused(where: Where) -> None:
    walk = "().__class__.__base__.__subclasses__()"
    code = f"x = {walk}" if where == "script" else f"len({walk}) > 0"
    assert_refused(where, code, "ExpressionSyntaxError", '"__class__" is an invalid attribute name')


@pytest.mark.parametrize("where", WHERE)
def test_str_format_attribute_walk_is_refused(where: Where) -> None:
    walk = "'{0.__class__.__base__}'.format(1)"
    code = f"x = {walk}" if where == "script" else f"{walk} != ''"
    assert_refused(where, code, "SandboxViolation", "format*() methods of `str` is not safe")


@pytest.mark.parametrize("where", WHERE)
def test_str_format_reached_through_the_type_is_refused(where: Where) -> None:
    walk = "str.format('{0.__class__}', 1)"
    code = f"x = {walk}" if where == "script" else f"{walk} != ''"
    assert_refused(where, code, "SandboxViolation", "format*() methods of `str` is not safe")


# A gateway condition cannot hold ``while``; a comprehension that feeds its own input never ends either.
ENDLESS = {"script": "while True:\n    pass", "gateway": "any(False for x in loop if loop.append(x) is None)"}


@pytest.mark.parametrize("where", WHERE)
def test_endless_loop_is_stopped_by_the_step_budget(where: Where) -> None:
    limits = SandboxLimits(max_steps=50_000, max_seconds=30)
    assert_refused(where, ENDLESS[where], "step budget exceeded", data={"loop": [1]}, limits=limits)


@pytest.mark.parametrize("where", WHERE)
def test_endless_loop_is_stopped_by_the_time_budget(where: Where) -> None:
    limits = SandboxLimits(max_steps=10**12, max_seconds=0.3)
    started = time.monotonic()
    assert_refused(where, ENDLESS[where], "time budget exceeded", data={"loop": [1]}, limits=limits)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("where", WHERE)
def test_huge_power_is_refused(where: Where) -> None:
    code = "x = 10**10**8" if where == "script" else "10**10**8 > 0"
    assert_refused(where, code, "SandboxViolation", "** would produce an integer")


@pytest.mark.parametrize("where", WHERE)
def test_huge_pow_builtin_is_refused(where: Where) -> None:
    code = "x = pow(10, 10**8)" if where == "script" else "pow(10, 10**8) > 0"
    assert_refused(where, code, "SandboxViolation", "** would produce an integer")


@pytest.mark.parametrize("where", WHERE)
def test_huge_string_repetition_is_refused(where: Where) -> None:
    code = "x = 'x' * 10**10" if where == "script" else "len('x' * 10**10) > 0"
    assert_refused(where, code, "SandboxViolation", "sequence repetition would produce 10,000,000,000 items")


@pytest.mark.parametrize("where", WHERE)
def test_huge_list_repetition_is_refused(where: Where) -> None:
    code = "x = [0] * 10**10" if where == "script" else "len([0] * 10**10) > 0"
    assert_refused(where, code, "SandboxViolation", "sequence repetition")


@pytest.mark.parametrize("where", WHERE)
def test_huge_range_materialised_by_list_is_refused(where: Where) -> None:
    code = "x = list(range(10**12))" if where == "script" else "len(list(range(10**12))) > 0"
    assert_refused(where, code, "SandboxViolation", "range() would produce 1,000,000,000,000 items")


@pytest.mark.parametrize("where", WHERE)
def test_huge_string_padding_is_refused(where: Where) -> None:
    code = "x = 'a'.ljust(10**10)" if where == "script" else "len(f'{1:>{10**10}}') > 0"
    assert_refused(where, code, "SandboxViolation", "would produce 10,000,000,000 items")


def test_doubling_a_list_in_a_loop_is_refused() -> None:
    assert_refused("script", "x = [0]\nfor i in range(64):\n    x += x", "SandboxViolation", "concatenation")


def test_big_results_built_in_a_loop_run_out_of_budget() -> None:
    # 100,000 x 100,000 characters would be 10 GB; the items built are counted, so it stops near 10 MB.
    script = "kept = []\nfor i in range(100000):\n    kept.append('y' * 100000)\n"
    assert_refused("script", script, "memory budget exceeded")


def test_system_exit_is_not_available() -> None:
    assert_refused("script", "raise SystemExit(1)", "NameError", "'SystemExit' is not defined")


@pytest.mark.parametrize("where", WHERE)
def test_mro_walk_to_base_exception_is_refused(where: Where) -> None:
    code = "raise Exception.mro()[1]()" if where == "script" else "Exception.mro()[1] is None"
    assert_refused(where, code, "SandboxViolation", "attribute 'mro' is not available")


@pytest.mark.parametrize("where", WHERE)
def test_huge_translate_is_refused(where: Where) -> None:
    grow = "('a' * 100000).translate({97: 'b' * 100000})"
    code = f"x = {grow}" if where == "script" else f"len({grow}) > 0"
    assert_refused(where, code, "SandboxViolation", "str.translate() would produce")


def test_catching_the_budget_violation_does_not_let_the_script_continue() -> None:
    script = "try:\n    while True:\n        pass\nexcept Exception:\n    escaped = True\n"
    error = assert_refused("script", script, "step budget exceeded", limits=SandboxLimits(max_steps=10_000))
    assert error.line_number == 4  # the handler's first tick raises again


def test_violation_reports_the_script_line() -> None:
    script = "a = 1\nb = 2\nwhile True:\n    a += 1\n"
    error = assert_refused("script", script, "step budget exceeded", limits=SandboxLimits(max_steps=10_000))
    assert error.line_number == 3
    assert error.error_line == "while True:"


def test_budget_is_fresh_for_every_call() -> None:
    script = "total = 0\nfor i in range(800):\n    total += i\n"
    bpmn = (
        _HEAD
        + _script_task("one", script)
        + _script_task("two", script)
        + '<bpmn:endEvent id="end" />\n'
        + _flow("f1", "start", "one")
        + _flow("f2", "one", "two")
        + _flow("f3", "two", "end")
        + _TAIL
    )
    assert run_process(bpmn, limits=SandboxLimits(max_steps=1_000))["total"] == sum(range(800))


# -- still working --------------------------------------------------------------------------------


@pytest.mark.parametrize("where", WHERE)
def test_comprehensions_work(where: Where) -> None:
    data = {"items": [1, 2, 3]}
    if where == "script":
        script = (
            "doubled = [i * 2 for i in items]\n"
            "by_name = {str(i): i for i in items}\n"
            "odd = {i for i in items if i % 2}\n"
        )
        result = run_expression(where, script, data)
        assert result["doubled"] == [2, 4, 6]
        assert result["by_name"] == {"1": 1, "2": 2, "3": 3}
        assert result["odd"] == {1, 3}
    else:
        condition = (
            "[i * 2 for i in items] == [2, 4, 6]"
            " and {str(i): i for i in items}['3'] == 3"
            " and {i % 2 for i in items} == {0, 1}"
        )
        assert run_expression(where, condition, data)["branch"] == "yes"


@pytest.mark.parametrize("where", WHERE)
def test_dict_and_list_edits_work(where: Where) -> None:
    data = {"items": [1, 2], "counts": {"a": 1}}
    if where == "script":
        script = (
            "items.append(3)\nitems[0] = 10\nitems += [4]\ncounts['a'] += 5\ncounts['b'] = 1\n"
            "n = 1\nn += 1\nlabel = 'x'\nlabel *= 3\n"
        )
        result = run_expression(where, script, data)
        assert result["items"] == [10, 2, 3, 4]
        assert result["counts"] == {"a": 6, "b": 1}
        assert (result["n"], result["label"]) == (2, "xxx")
    else:
        condition = "items.append(3) is None and counts.update(b=2) is None and items == [1, 2, 3] and counts['b'] == 2"
        assert run_expression(where, condition, data)["branch"] == "yes"


@pytest.mark.parametrize("where", WHERE)
def test_datetime_arithmetic_works(where: Where) -> None:
    if where == "script":
        script = (
            "due = datetime(2025, 1, 1) + timedelta(days=3)\n"
            "day = date(2025, 1, 1) + timedelta(days=1)\n"
            "aware = datetime(2025, 1, 1, tzinfo=timezone.utc).isoformat()\n"
        )
        result = run_expression(where, script)
        assert result["due"] == datetime(2025, 1, 4)
        assert result["day"] == date(2025, 1, 2)
        assert result["aware"] == "2025-01-01T00:00:00+00:00"
    else:
        condition = "datetime(2025, 1, 1) + timedelta(days=3) == datetime(2025, 1, 4)"
        assert run_expression(where, condition)["branch"] == "yes"


@pytest.mark.parametrize("where", WHERE)
def test_datetime_formatting_and_parsing_work(where: Where) -> None:
    # datetime's C code imports ``time`` and ``_strptime`` through the builtins' __import__.
    if where == "script":
        script = (
            "text = datetime(2025, 1, 4).strftime('%Y-%m-%d %A')\n"
            "parsed = datetime.strptime('2025-01-04', '%Y-%m-%d')\n"
            "recent = date.today() > date(2024, 1, 1)\n"
        )
        result = run_expression(where, script)
        assert (result["text"], result["parsed"], result["recent"]) == (
            "2025-01-04 Saturday",
            datetime(2025, 1, 4),
            True,
        )
    else:
        condition = "datetime.strptime('2025-01-04', '%Y-%m-%d').strftime('%A') == 'Saturday'"
        assert run_expression(where, condition)["branch"] == "yes"


def add_working_days(start: date, days: int) -> date:
    """A stand-in helper: skips Saturdays and Sundays."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


@pytest.mark.parametrize("where", WHERE)
def test_helper_function_is_callable(where: Where) -> None:
    helpers = {"add_working_days": add_working_days}
    if where == "script":
        result = run_expression(where, "due = add_working_days(date(2025, 1, 3), 1)", helpers=helpers)
        assert result["due"] == date(2025, 1, 6)
    else:
        condition = "add_working_days(date(2025, 1, 3), 1) == date(2025, 1, 6)"
        assert run_expression(where, condition, helpers=helpers)["branch"] == "yes"


def test_helpers_and_functions_do_not_leak_into_task_data() -> None:
    script = (
        "def twice(x):\n    return x * 2\n"
        "double = lambda x: x * 2\n"
        "due = add_working_days(date(2025, 1, 3), 1)\n"
        "value = twice(double(1))\nprint(value)\n"
    )
    result = run_expression("script", script, {"given": 1}, helpers={"add_working_days": add_working_days})
    assert result == {"given": 1, "due": date(2025, 1, 6), "value": 4}


def test_task_data_may_use_the_names_of_builtins() -> None:
    data = {"date": "2025-01-01", "list": [1], "timezone": "UTC"}
    result = run_expression("script", "copied = date + ' ' + timezone\nsize = len(list)", data)
    assert result == {**data, "copied": "2025-01-01 UTC", "size": 1}


def test_dmn_business_rule_task_works() -> None:
    small = run_process(business_rule_process(), {"amount": 10}, dmn=SIZE_DMN)
    large = run_process(business_rule_process(), {"amount": 500}, dmn=SIZE_DMN)
    assert (small["size"], small["teams"]) == ("small", ["D1"])
    assert (large["size"], large["teams"]) == ("large", ["D1", "D2"])


def test_runtime_error_in_gateway_names_the_error() -> None:
    assert_refused("gateway", "1 / zero == 1", "ZeroDivisionError", data={"zero": 0})


# -- deploy-time linting --------------------------------------------------------------------------


def test_compile_expression_reports_line_of_syntax_error() -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_expression("a = 1\nb = 2\nc = = 3\n", "exec")
    assert caught.value.line == 3
    assert str(caught.value).startswith("line 3:")


def test_compile_expression_rejects_import_statement() -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_expression("x = 1\nimport os\n", "exec")
    assert caught.value.line == 2
    assert "import statements are not allowed" in caught.value.message


def test_compile_expression_accepts_condition_with_leading_blanks() -> None:
    compile_expression("  amount > 10 and category == 'hardware'", "eval")


def test_sandbox_violation_carries_message_and_line() -> None:
    violation = SandboxViolation("step budget exceeded", line=7)
    assert (violation.message, violation.line, str(violation)) == (
        "step budget exceeded",
        7,
        "step budget exceeded (line 7)",
    )
