"""One case that cannot be restored never stops the others (issue 8 item 2b, 2c).

Red-team regression: a case whose stored data carried a ``typename`` key could no longer be restored
(``KeyError: 'spec'``); with a timer due on it the worker busy-looped and every other case's timers
waited, and even an admin's cancel answered 500. Here the case's state rows are poisoned the same
way; 100 healthy timers still fire in the same worker run, the broken case gets one incident and is
put off with back-off, and a supervisor can still cancel it.
"""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa

from engine import SYSTEM, FrozenClock, ProcessEngine
from engine.persistence.tables import case_state_rows, process_instances, timers
from engine.services.case_repair import timer_backoff
from engine.worker import Worker
from tests.engine.conftest import Org, process_files

HEALTHY = 100


def _waiting_case(engine: ProcessEngine, clock: FrozenClock) -> str:
    due = (clock.now() + timedelta(hours=1)).isoformat()
    return engine.runtime.start(SYSTEM, "timer_wait", department="D1", variables={"due_at": due}).id


def _poison(engine: ProcessEngine, instance_id: str) -> None:
    """What the red team stored: task data whose dict carries ``typename`` (the serializer's marker)."""
    with engine.db.transaction() as connection:
        connection.execute(
            sa.update(case_state_rows)
            .where(case_state_rows.c.instance_id == instance_id)
            .values(content='{"typename": "BpmnWorkflow", "data": {"x": {"typename": "Nope"}}}')
        )
        connection.execute(  # as after a restart: no cached copy of the case is trusted
            sa.update(process_instances)
            .where(process_instances.c.id == instance_id)
            .values(row_version=process_instances.c.row_version + 1)
        )


def _timer_due(engine: ProcessEngine, instance_id: str) -> object:
    with engine.db.transaction(write=False) as connection:
        return connection.execute(sa.select(timers.c.due_at).where(timers.c.instance_id == instance_id)).scalar()


def test_a_case_that_cannot_be_restored_never_holds_up_the_other_cases_timers(
    engine: ProcessEngine, org: Org, clock: FrozenClock
) -> None:
    engine.repository.deploy(org["designer"], process_files("timer_wait.bpmn"))
    poisoned = _waiting_case(engine, clock)
    clock.advance(1)  # the poisoned timer is the first due
    healthy = [_waiting_case(engine, clock) for _ in range(HEALTHY)]
    _poison(engine, poisoned)
    clock.advance(timedelta(hours=2))
    worker = Worker(engine, batch=40)

    started = time.monotonic()
    run = worker.run_once()
    assert time.monotonic() - started < 10
    assert run.fired == HEALTHY
    assert all(engine.runtime.get(org["admin"], case).state == "completed" for case in healthy[:: HEALTHY // 10])
    broken = engine.runtime.get(org["admin"], poisoned)
    assert broken.state == "error"
    assert [i.code for i in broken.incidents] == ["timer_failed"]
    assert "could not fire" in broken.incidents[0].message

    # put off: the next run does not touch it, and the worker would sleep, not spin
    assert worker.run_once().fired == 0
    next_due = worker.next_due()
    assert next_due is not None and next_due > clock.now()
    assert len(engine.runtime.get(org["admin"], poisoned).incidents) == 1


def test_back_off_grows_with_the_time_a_case_has_been_failing(clock: FrozenClock) -> None:
    now = clock.now()
    assert timer_backoff(None, now) == timedelta(minutes=1)
    assert timer_backoff(now - timedelta(minutes=5), now) == timedelta(minutes=10)
    assert timer_backoff(now - timedelta(days=1), now) == timedelta(hours=1)


def test_a_case_that_cannot_be_restored_can_still_be_cancelled(
    engine: ProcessEngine, org: Org, clock: FrozenClock
) -> None:
    engine.repository.deploy(org["designer"], process_files("timer_wait.bpmn"))
    poisoned = _waiting_case(engine, clock)
    _poison(engine, poisoned)
    cancelled = engine.runtime.cancel(org["admin"], poisoned, reason="cannot be restored")
    assert cancelled.state == "cancelled"
    assert _timer_due(engine, poisoned) is None
    events = [e for e in engine.history.case_events(org["auditor"], poisoned) if e.action == "case.cancelled"]
    assert events and events[0].details is not None and "unrestorable" in events[0].details
