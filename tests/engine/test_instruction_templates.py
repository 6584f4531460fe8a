"""Red-team regressions for instructions templates (issue 8, item 5), through the real engine.

A template that fails in any way renders a marked fallback, records one non-blocking
``template_failed`` incident per task and error, leaves the case running and never blocks reading,
claiming or completing; templates run under the expression limits (0.5 s here).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

import pytest

from engine import EngineConfig, FrozenClock, ProcessEngine
from engine.spiff.sandbox import SandboxLimits
from tests.engine.conftest import Org

LIMITS = SandboxLimits(max_seconds=0.5, max_command_seconds=1.0)


@pytest.fixture
def engine(database_url: str, clock: FrozenClock) -> Iterator[ProcessEngine]:
    process_engine = ProcessEngine(EngineConfig(database_url=database_url, sandbox=LIMITS), clock=clock)
    process_engine.upgrade_schema()
    yield process_engine
    process_engine.close()


def instructions_process(template: str) -> bytes:
    """start -> user task ``read`` (with the template) -> user task ``next`` -> end."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" '
        'targetNamespace="http://wutong.example/test">'
        '<bpmn:process id="templated" name="Templated" isExecutable="true">'
        '<bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="read" />'
        '<bpmn:userTask id="read" name="Read"><bpmn:extensionElements>'
        f"<spiffworkflow:instructionsForEndUser>{escape(template)}</spiffworkflow:instructionsForEndUser>"
        "</bpmn:extensionElements></bpmn:userTask>"
        '<bpmn:sequenceFlow id="f2" sourceRef="read" targetRef="next" />'
        '<bpmn:userTask id="next" name="Next" /><bpmn:sequenceFlow id="f3" sourceRef="next" targetRef="end" />'
        '<bpmn:endEvent id="end" /></bpmn:process></bpmn:definitions>'
    ).encode()


def open_task(engine: ProcessEngine, org: Org, template: str, variables: dict[str, Any] | None = None) -> str:
    engine.repository.deploy(org["designer"], {"templated.bpmn": instructions_process(template)})
    case = engine.runtime.start(org["staff_D1"], "templated", variables=variables or {})
    return case.open_tasks[0].id


def case_of(engine: ProcessEngine, org: Org, task_id: str) -> Any:
    return engine.runtime.get(org["admin"], engine.tasks.get(org["admin"], task_id).instance_id)


FAILING = {
    "division": ("{{ 1/0 }}", {}, "ZeroDivisionError"),
    "string_plus_number": ("{{ amount + 1 }}", {"amount": "12"}, "TypeError"),
    "huge_repetition": ("{{ 'a' * 300000000 }}", {}, "sequence repetition would produce"),
    "nested_loops": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}done",
        {},
        "budget exceeded",  # time, or steps on a fast machine: 10**10 iterations either way
    ),
}


@pytest.mark.parametrize("name", sorted(FAILING))
def test_a_failing_template_renders_a_marked_fallback_and_blocks_nothing(
    engine: ProcessEngine, org: Org, name: str
) -> None:
    template, variables, error = FAILING[name]
    task = open_task(engine, org, template, variables)
    started = time.monotonic()
    view = engine.tasks.get(org["staff_D1"], task)
    assert time.monotonic() - started < LIMITS.max_seconds + 0.5
    assert view.instructions is not None and "(instructions could not be rendered:" in view.instructions
    assert error in view.instructions
    claimed = engine.tasks.claim(org["staff_D1"], task)
    done = engine.tasks.complete(org["staff_D1"], task, {})
    assert done.case_state == "running"
    # each read renders afresh and fails the same way (a budget may end by time or by steps, by load)
    for again in (claimed.instructions, done.task.instructions):
        assert again is not None and "(instructions could not be rendered:" in again and error in again


def test_a_failing_template_is_one_non_blocking_incident_resolved_when_the_task_ends(
    engine: ProcessEngine, org: Org
) -> None:
    task = open_task(engine, org, "{{ amount + 1 }}", {"amount": "12"})
    for _ in range(3):
        engine.tasks.get(org["staff_D1"], task)
    case = case_of(engine, org, task)
    assert case.state == "running"
    assert [(i.code, i.blocking, i.task_id, i.resolved_at) for i in case.incidents] == [
        ("template_failed", False, task, None)
    ]
    assert "TypeError" in case.incidents[0].message
    engine.tasks.complete(org["staff_D1"], task, {})
    case = case_of(engine, org, task)
    assert case.state == "running"
    assert case.incidents[0].resolved_at is not None
    assert [t.activity_id for t in case.open_tasks] == ["next"]


def test_a_huge_rendered_text_is_refused(engine: ProcessEngine, org: Org) -> None:
    template = "{% for i in range(100000) %}{{ text }}{% endfor %}"  # 100,000 x 1,000 characters
    view = engine.tasks.get(org["staff_D1"], open_task(engine, org, template, {"text": "x" * 1000}))
    assert view.instructions is not None and "the rendered text is longer than" in view.instructions


def test_a_good_template_still_renders_with_autoescape(engine: ProcessEngine, org: Org) -> None:
    template = "{% for item in items %}{{ item }};{% endfor %} total {{ amount * 2 }}"
    task = open_task(engine, org, template, {"items": ["<b>", "c"], "amount": 21})
    assert engine.tasks.get(org["staff_D1"], task).instructions == "&lt;b&gt;;c; total 42"
    assert case_of(engine, org, task).incidents == ()
