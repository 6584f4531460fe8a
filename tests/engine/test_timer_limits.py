"""Repeating timers cannot flood a case: literal cycles out of bounds are refused at deploy, computed
ones raise an incident at their timer before any path starts."""

from __future__ import annotations

from datetime import timedelta
from xml.sax.saxutils import escape

import pytest

from engine import FrozenClock, InvalidModel, ProcessEngine
from engine.spiff.parsing import parse_bundle
from tests.engine.conftest import Org

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'id="defs" targetNamespace="http://wutong.example/test">\n'
)


def reminder_model(cycle_expression: str) -> dict[str, bytes]:
    """A user task with a non-interrupting boundary timer cycle that opens a reminder task."""
    xml = (
        HEADER
        + '<bpmn:process id="reminders" isExecutable="true">\n'
        '  <bpmn:startEvent id="start"/>\n'
        '  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>\n'
        '  <bpmn:userTask id="work"/>\n'
        '  <bpmn:boundaryEvent id="nudge" cancelActivity="false" attachedToRef="work">\n'
        f"    <bpmn:timerEventDefinition><bpmn:timeCycle>{escape(cycle_expression)}</bpmn:timeCycle>"
        "</bpmn:timerEventDefinition>\n"
        "  </bpmn:boundaryEvent>\n"
        '  <bpmn:sequenceFlow id="f2" sourceRef="nudge" targetRef="remind"/>\n'
        '  <bpmn:userTask id="remind"/>\n'
        '  <bpmn:sequenceFlow id="f3" sourceRef="remind" targetRef="remind_end"/>\n'
        '  <bpmn:endEvent id="remind_end"/>\n'
        '  <bpmn:sequenceFlow id="f4" sourceRef="work" targetRef="end"/>\n'
        '  <bpmn:endEvent id="end"/>\n'
        "</bpmn:process>\n</bpmn:definitions>\n"
    )
    return {"reminders.bpmn": xml.encode()}


@pytest.mark.parametrize(
    ("cycle", "reason"),
    [
        ("R100000/PT0S", "period (0 s) is under 1 s"),
        ("R10/PT0.5S", "period (0.5 s) is under 1 s"),
        ("R1001/PT1H", "repeats 1001 times, more than 1000"),
        ("R/PT30S", "without end"),
    ],
)
def test_a_literal_cycle_out_of_bounds_is_refused_at_deploy(cycle: str, reason: str) -> None:
    with pytest.raises(InvalidModel) as caught:
        parse_bundle(reminder_model(f'"{cycle}"'))
    problems = [p for p in caught.value.problems if p.code == "timer_out_of_bounds"]
    assert [(p.element_id, p.file, p.line) for p in problems] == [("nudge", "reminders.bpmn", 8)]
    assert reason in problems[0].message


@pytest.mark.parametrize("cycle", ["R1000/PT1S", "R/PT1M", "R52/P7D"])
def test_a_cycle_within_bounds_deploys(cycle: str) -> None:
    assert "reminders" in parse_bundle(reminder_model(f'"{cycle}"')).processes


def test_a_computed_cycle_out_of_bounds_is_an_incident_at_its_timer(
    engine: ProcessEngine, org: Org, clock: FrozenClock
) -> None:
    engine.repository.deploy(org["designer"], reminder_model('"R" + str(times) + "/PT" + str(seconds) + "S"'))
    case = engine.runtime.start(org["staff_D1"], "reminders", variables={"times": 100000, "seconds": 0})
    view = engine.runtime.get(org["admin"], case.id)
    assert view.state == "error"
    assert [(i.element_id, i.code) for i in view.incidents] == [("nudge", "script_failed")]
    assert "period (0 s) is under 1 s" in view.incidents[0].message
    clock.advance(timedelta(seconds=5))
    engine.runtime.fire_due_timers()
    tasks = engine.tasks.list(org["admin"], instance_id=case.id).items
    assert [(t.activity_id, t.state) for t in tasks] == [("work", "open")]  # no reminder flood


def test_a_computed_cycle_within_bounds_runs(engine: ProcessEngine, org: Org, clock: FrozenClock) -> None:
    engine.repository.deploy(org["designer"], reminder_model('"R" + str(times) + "/PT" + str(seconds) + "S"'))
    case = engine.runtime.start(org["staff_D1"], "reminders", variables={"times": 2, "seconds": 60})
    assert engine.runtime.get(org["admin"], case.id).state == "running"
    clock.advance(timedelta(minutes=5))
    engine.runtime.fire_due_timers()
    reminders = [t for t in engine.tasks.list(org["admin"], instance_id=case.id).items if t.activity_id == "remind"]
    assert len(reminders) == 2
