"""Every corpus scenario runs in plain SpiffWorkflow 3.2.0 (no Wutong code).

This proves the fixtures in tests/fixtures/corpus and their scenarios are right before the engine's
reload check relies on them. The driver below is the reference for how the engine must deliver
messages between cases and drive timers (see tests/fixtures/corpus/README.md).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from tests.fixtures.corpus.scenarios import (
    CORPUS_DIR,
    FILES,
    SCENARIOS,
    AdvanceClock,
    Complete,
    ExpectEnded,
    ExpectOpen,
    Start,
    Step,
)

EPOCH = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NSMAP = {
    "bpmn": BPMN_NS,
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
}

# Final data each scenario must leave behind (case -> key -> value), read from the data of the
# case's last completed task. Covers what ExpectOpen cannot see: payloads and data flow.
DATA_CHECKS: dict[str, dict[str, dict[str, Any]]] = {
    "multi_instance": {"c1": {"results": ["ok", "ok", "needs work"], "items": ["alpha", "beta", "gamma"]}},
    "business_rule_hardware": {"c1": {"department": "D1", "notify": ["D1", "D2"]}},
    "business_rule_software": {"c1": {"department": "D2", "notify": ["D2"]}},
    "business_rule_facilities": {"c1": {"department": "D3", "notify": ["D3", "D1"]}},
    "business_rule_other": {"c1": {"department": "D1", "notify": ["D1"]}},
    "call_activity_small_amount": {"c1": {"amount": 250, "approved": True}},
    "call_activity_large_amount": {"c1": {"amount": 5000, "approved": False}},
    "message": {
        "receiver_a": {"order_id": "A-1", "order_ready_message": {"order_id": "A-1", "status": "packed"}},
        "receiver_b": {"order_id": "B-2", "order_ready_message": {"order_id": "B-2", "status": "late"}},
    },
    "error_boundary_error_path": {"c1": {"error_details": {"reason": "supplier unavailable"}}},
    "timers_interrupting": {"c1": {"escalated_to": "D2"}},
}


# --------------------------------------------------------------------------------------------
# Controlled clock
# --------------------------------------------------------------------------------------------
class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Patch the `datetime` the timer event definitions read (datetime.now(timezone.utc))."""
    controlled = Clock(EPOCH)

    class ControlledDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return controlled.now.astimezone(tz) if tz is not None else controlled.now.replace(tzinfo=None)

    monkeypatch.setattr(timer_module, "datetime", ControlledDatetime)
    return controlled


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------
def load_specs(process: str) -> tuple[Any, dict[str, Any]]:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    for name in FILES[process]:
        path = str(CORPUS_DIR / name)
        if name.endswith(".dmn"):
            parser.add_dmn_file(path)
        else:
            parser.add_bpmn_file(path)
    return parser.get_spec(process), parser.get_subprocess_specs(process)


def all_tasks(workflow: BpmnWorkflow) -> Iterator[Task]:
    """Every task of the case, subprocesses included, without the depth-limited iterator."""
    yield from workflow.tasks.values()
    for subprocess in workflow.subprocesses.values():
        yield from subprocess.tasks.values()


def ready_user_tasks(workflow: BpmnWorkflow) -> list[Task]:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def is_ended(workflow: BpmnWorkflow) -> bool:
    # is_completed() alone is not trusted (depth limit): also scan every task for unfinished work.
    unfinished = [t for t in all_tasks(workflow) if t.has_state(TaskState.NOT_FINISHED_MASK)]
    return workflow.is_completed() and not unfinished


class Runner:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.cases: dict[str, BpmnWorkflow] = {}
        self.delivered: list[tuple[str, str, str]] = []  # (from case, to case, message name)

    def run(self, step: Step) -> None:
        if isinstance(step, Start):
            self.start(step)
        elif isinstance(step, Complete):
            for _ in range(step.repeat):
                self.complete(step)
        elif isinstance(step, AdvanceClock):
            self.clock.advance(step.seconds)
            for case in list(self.cases):
                workflow = self.cases[case]
                workflow.refresh_timers()
                workflow.do_engine_steps()
                self.deliver_messages(case)
        elif isinstance(step, ExpectOpen):
            workflow = self.cases[step.case]
            open_ids = tuple(sorted({t.task_spec.bpmn_id for t in ready_user_tasks(workflow)}))
            assert open_ids == step.activities, f"{step.case}: open {open_ids}, expected {step.activities}"
        elif isinstance(step, ExpectEnded):
            workflow = self.cases[step.case]
            assert is_ended(workflow), f"{step.case} has not ended; open: {self.describe(workflow)}"
        else:  # pragma: no cover
            raise TypeError(step)

    def start(self, step: Start) -> None:
        assert step.case not in self.cases
        spec, subprocess_specs = load_specs(step.process)
        workflow = BpmnWorkflow(spec, subprocess_specs)
        first = workflow.get_tasks(state=TaskState.READY)[0]
        first.data.update(copy.deepcopy(step.variables))
        workflow.do_engine_steps()
        self.cases[step.case] = workflow
        self.deliver_messages(step.case)

    def complete(self, step: Complete) -> None:
        workflow = self.cases[step.case]
        candidates = [t for t in ready_user_tasks(workflow) if t.task_spec.bpmn_id == step.activity]
        assert candidates, f"{step.case}: no READY {step.activity}; open: {self.describe(workflow)}"
        task = candidates[0]
        task.data.update(copy.deepcopy(step.data))
        task.run()
        workflow.do_engine_steps()
        self.deliver_messages(step.case)

    def deliver_messages(self, source: str) -> None:
        """Route what `source` threw and nobody inside it caught to the waiting case of another process.

        A throw event's message that no task of the same workflow catches is queued by
        `catch()` in `workflow.bpmn_events`; `get_events()` drains that queue. The receiver is
        the first other case with a WAITING task that catches the event (name and correlation);
        `send_event()` delivers it (and raises if nothing there waits for it).
        """
        for event in self.cases[source].get_events():
            assert isinstance(event.event_definition, MessageEventDefinition), (
                f"{source} threw an event nobody handles: {event.event_definition!r}"
            )
            target = None
            for case, workflow in self.cases.items():
                if case == source:
                    continue
                if workflow.get_tasks(state=TaskState.WAITING, catches_event=event):
                    target = case
                    break
            assert target is not None, (
                f"message {event.event_definition.name} from {source} ({event.correlations}) reaches no case"
            )
            receiver = self.cases[target]
            receiver.send_event(event)
            receiver.do_engine_steps()
            self.delivered.append((source, target, event.event_definition.name))
            self.deliver_messages(target)

    @staticmethod
    def describe(workflow: BpmnWorkflow) -> list[str]:
        return sorted(
            f"{t.task_spec.bpmn_id or t.task_spec.name}:{TaskState.get_name(t.state)}"
            for t in all_tasks(workflow)
            if t.has_state(TaskState.READY | TaskState.WAITING | TaskState.STARTED)
        )


def completed_counts(workflow: BpmnWorkflow) -> dict[str, int]:
    counts: dict[str, int] = {}
    for task in all_tasks(workflow):
        if task.task_spec.manual and task.state == TaskState.COMPLETED:
            counts[task.task_spec.bpmn_id] = counts.get(task.task_spec.bpmn_id, 0) + 1
    return counts


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_runs_in_spiff(name: str, clock: Clock) -> None:
    steps = SCENARIOS[name]
    runner = Runner(clock)
    for index, step in enumerate(steps):
        try:
            runner.run(step)
        except AssertionError as error:
            raise AssertionError(f"{name} step {index} {step!r}: {error}") from error

    # Every case ended, for real (no READY or WAITING task anywhere).
    for case, workflow in runner.cases.items():
        assert is_ended(workflow), f"{case} did not end: {runner.describe(workflow)}"

    # Each Complete step completed exactly that many tasks of that activity, and nothing else
    # completed a user task (e.g. the 1,000 passes of the standard loop really ran).
    expected: dict[str, dict[str, int]] = {case: {} for case in runner.cases}
    for step in steps:
        if isinstance(step, Complete):
            per_case = expected[step.case]
            per_case[step.activity] = per_case.get(step.activity, 0) + step.repeat
    for case, workflow in runner.cases.items():
        assert completed_counts(workflow) == expected[case], case

    for case, values in DATA_CHECKS.get(name, {}).items():
        data = runner.cases[case].last_task.data
        for key, value in values.items():
            assert data.get(key) == value, f"{case}: data[{key!r}] = {data.get(key)!r}, expected {value!r}"

    if name == "message":
        assert runner.delivered == [
            ("sender_a", "receiver_a", "order_ready"),
            ("sender_b", "receiver_b", "order_ready"),
        ]


def test_standard_loop_runs_1000_passes(clock: Clock) -> None:
    runner = Runner(clock)
    for step in SCENARIOS["standard_loop_1000"]:
        runner.run(step)
    workflow = runner.cases["c1"]
    passes = [t for t in all_tasks(workflow) if t.task_spec.bpmn_id == "collect" and t.task_spec.manual]
    assert len(passes) == 1000
    assert all(t.state == TaskState.COMPLETED for t in passes)
    assert not [t for t in all_tasks(workflow) if t.has_state(TaskState.READY | TaskState.WAITING)]


def test_correlation_rejects_a_message_for_another_order(clock: Clock) -> None:
    """A receiver waiting for order A-1 refuses order B-2: send_event raises."""
    from SpiffWorkflow.exceptions import WorkflowException

    runner = Runner(clock)
    runner.run(Start("receiver", "message_receiver", {"order_id": "A-1"}))
    runner.run(Complete("receiver", "prepare_order"))
    runner.run(Start("sender", "message_sender", {"order_id": "B-2"}))
    sender = runner.cases["sender"]
    task = ready_user_tasks(sender)[0]
    task.data["status"] = "packed"
    task.run()
    sender.do_engine_steps()
    (event,) = sender.get_events()
    receiver = runner.cases["receiver"]
    assert receiver.get_tasks(state=TaskState.WAITING, catches_event=event) == []
    with pytest.raises(WorkflowException):
        receiver.send_event(event)
    assert [e.name for e in receiver.waiting_events()] == ["order_ready"]


def corpus_files() -> list[str]:
    return sorted(p.name for p in CORPUS_DIR.iterdir() if p.suffix in (".bpmn", ".dmn"))


def test_files_cover_every_process_and_file() -> None:
    process_ids: set[str] = set()
    for name in corpus_files():
        if name.endswith(".bpmn"):
            root = etree.parse(str(CORPUS_DIR / name)).getroot()
            for process in root.iterfind("bpmn:process", NSMAP):
                assert process.get("isExecutable") == "true", (name, process.get("id"))
                process_ids.add(process.get("id"))
                assert name in FILES[process.get("id")]
    assert set(FILES) == process_ids
    assert {f for files in FILES.values() for f in files} == set(corpus_files())
    for steps in SCENARIOS.values():
        for step in steps:
            if isinstance(step, Start):
                assert step.process in FILES


@pytest.mark.parametrize("name", [n for n in corpus_files() if n.endswith(".bpmn")])
def test_bpmn_file_has_diagram_for_every_element(name: str) -> None:
    root = etree.parse(str(CORPUS_DIR / name)).getroot()
    shapes = {s.get("bpmnElement") for s in root.iterfind(".//bpmndi:BPMNShape", NSMAP)}
    edges = {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNEdge", NSMAP)}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NSMAP):
        assert shape.find("dc:Bounds", NSMAP) is not None
    for element in root.iter():
        if not isinstance(element.tag, str) or etree.QName(element).namespace != BPMN_NS:
            continue
        local = etree.QName(element).localname
        if local == "sequenceFlow":
            assert element.get("id") in edges, (name, element.get("id"))
        elif local.endswith(("Task", "Event", "Gateway")) or local in ("subProcess", "callActivity", "lane"):
            assert element.get("id") in shapes, (name, element.get("id"))


@pytest.mark.parametrize("process", sorted(FILES))
def test_every_process_parses_with_the_validator(process: str) -> None:
    spec, subprocess_specs = load_specs(process)
    assert spec.name == process
    expected = {"call_activity": {"call_activity_child"}, "error_boundary": {"work_package"}}
    assert set(subprocess_specs) == expected.get(process, set())


def test_parallel_lanes_are_department_codes() -> None:
    spec, _ = load_specs("parallel")
    lanes = {name: spec.task_specs[name].lane for name in ("task_d1", "task_d2", "task_d3", "final")}
    assert lanes == {"task_d1": "D1", "task_d2": "D2", "task_d3": "D3", "final": "D1"}
