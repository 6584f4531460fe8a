"""Events for what the engine does on its own: tasks it withdraws (with the cause), activities it
starts, completes and cancels, how a case ended, and case data it changes (old and new values)."""

from __future__ import annotations

from typing import Any

from engine import FrozenClock, ProcessEngine
from engine.audit_values import MAX_EVENT_VALUE_BYTES
from engine.results import AuditEventView
from tests.engine.conftest import Org, corpus_files, process_files


def _events(engine: ProcessEngine, org: Org, case: str, action: str) -> list[AuditEventView]:
    return [e for e in engine.history.case_events(org["auditor"], case) if e.action == action]


def _details(events: list[AuditEventView], *keys: str) -> list[tuple[Any, ...]]:
    return [tuple((e.details or {}).get(k) for k in keys) for e in events]


def _open(engine: ProcessEngine, org: Org, case: str, activity: str) -> str:
    return next(t.id for t in engine.runtime.get(org["admin"], case).open_tasks if t.activity_id == activity)


def test_an_interrupting_boundary_timer_cancels_the_task_with_its_cause(
    engine: ProcessEngine, org: Org, clock: FrozenClock
) -> None:
    engine.repository.deploy(org["designer"], corpus_files("boundary_timers.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "boundary_timers").id
    review = _open(engine, org, case, "review")
    clock.advance(3601)
    engine.runtime.fire_due_timers()
    [cancelled] = _events(engine, org, case, "task.cancelled")
    assert (cancelled.task_id, cancelled.actor, cancelled.details) == (
        review, "system", {"activity_id": "review", "cause": "boundary_event"}
    )
    activity = _details(_events(engine, org, case, "activity.cancelled"), "element_id", "element_type")
    assert activity == [("review", "userTask")]
    assert [e.task_id for e in _events(engine, org, case, "activity.cancelled")] == [review]


def test_cancelling_a_case_cancels_its_open_tasks_with_that_cause(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], process_files("deadlines.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "deadlines", variables={"reply_limit": "P3D"}).id
    engine.runtime.cancel(org["supervisor_D1"], case, "duplicate")
    assert _details(_events(engine, org, case, "task.cancelled"), "activity_id", "cause") == [
        ("accept", "case_cancelled")
    ]
    assert _details(_events(engine, org, case, "case.cancelled"), "ended_how") == [("cancelled",)]
    assert engine.runtime.get(org["admin"], case).state == "cancelled"


def test_a_terminate_end_event_ends_the_case_as_terminated(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], process_files("terminate.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "terminate", department="D1").id
    engine.tasks.complete(org["staff_D1"], _open(engine, org, case, "stop"))
    assert _details(_events(engine, org, case, "task.cancelled"), "activity_id", "cause") == [("work", "case_ended")]
    assert _details(_events(engine, org, case, "case.terminated"), "ended_how") == [("terminated",)]
    assert _events(engine, org, case, "case.completed") == []
    assert ("stopped",) in _details(_events(engine, org, case, "activity.completed"), "element_id")


def test_a_case_that_runs_to_its_end_is_completed(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], process_files("terminate.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "terminate", department="D1").id
    engine.tasks.complete(org["staff_D1"], _open(engine, org, case, "work"))
    assert _events(engine, org, case, "case.completed") == []
    # the terminate end event still ends it, so "work" finishing first changes nothing about how
    engine.tasks.complete(org["staff_D1"], _open(engine, org, case, "stop"))
    assert len(_events(engine, org, case, "case.terminated")) == 1


def test_each_activity_the_engine_passes_is_started_and_completed_in_order(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], process_files("terminate.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "terminate", department="D1").id
    timeline = [
        (e.action, (e.details or {}).get("element_id"))
        for e in engine.history.case_events(org["auditor"], case)
        if e.action.startswith("activity.")
    ]
    assert timeline[:4] == [
        ("activity.started", "start"),
        ("activity.completed", "start"),
        ("activity.started", "split"),
        ("activity.completed", "split"),
    ]
    assert {("activity.started", "work"), ("activity.started", "stop")} <= set(timeline)


def test_a_data_fix_records_each_fields_old_and_new_value(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], process_files("deadlines.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "deadlines", variables={"reply_limit": "P3D", "x": 1}).id
    engine.runtime.update_variables(
        org["supervisor_D1"], case, set_values={"reply_limit": "P5D", "y": [1, 2]}, reason="typo"
    )
    [_, fixed] = _events(engine, org, case, "variables.changed")
    assert fixed.details == {
        "changes": {
            "reply_limit": {"old": "P3D", "new": "P5D"},
            "y": {"old": None, "new": [1, 2]},
        }
    }
    assert fixed.actor == "supervisor_D1"


def test_a_huge_value_is_recorded_by_size_and_digest(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], process_files("deadlines.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "deadlines", variables={"reply_limit": "P3D"}).id
    engine.runtime.update_variables(
        org["supervisor_D1"], case, set_values={"notes": "字" * MAX_EVENT_VALUE_BYTES}, reason="pasted"
    )
    new = _events(engine, org, case, "variables.changed")[-1].details["changes"]["notes"]["new"]  # type: ignore[index]
    assert new["truncated"] is True and new["bytes"] > MAX_EVENT_VALUE_BYTES and len(new["sha256"]) == 64
