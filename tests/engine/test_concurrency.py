"""Two commands on the same task at once: exactly one wins, the other gets a conflict, and none of the
loser's writes exist. PostgreSQL catches it with the case's row_version; on SQLite a command on a case
reads without the write lock, finds at the lock that the case changed, and runs again against the
winner's result, where it finds the task already done."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from psycopg.errors import DeadlockDetected
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from engine import Conflict, ProcessEngine
from engine.persistence.tables import audit_events, process_instances, tasks
from tests.engine.conftest import Org, corpus_files


def _one_open_task(engine: ProcessEngine, org: Org) -> tuple[str, str]:
    engine.repository.deploy(org["designer"], corpus_files("standard_loop.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "standard_loop")
    return case.id, case.open_tasks[0].id


def _run(results: dict[str, Any], name: str, action: Any) -> None:
    try:
        results[name] = action()
    except Exception as exc:
        results[name] = exc



def _completion_outcome(engine: ProcessEngine, case_id: str, task_id: str) -> tuple[str | None, int, int]:
    """Who completed the task, how many task.completed events exist, and the case's row_version."""
    with engine.db.transaction(write=False) as connection:
        completed_by = connection.execute(select(tasks.c.completed_by).where(tasks.c.id == task_id)).scalar_one()
        completions = connection.execute(
            select(func.count()).select_from(audit_events).where(audit_events.c.action == "task.completed")
        ).scalar_one()
        version = connection.execute(
            select(process_instances.c.row_version).where(process_instances.c.id == case_id)
        ).scalar_one()
    return completed_by, completions, version

def test_two_completions_held_after_loading_one_task_have_exactly_one_winner(engine: ProcessEngine, org: Org) -> None:
    case_id, task_id = _one_open_task(engine, org)
    barrier = threading.Barrier(2, timeout=20)
    engine.executor.test_hooks.after_load = lambda _instance: barrier.wait()
    results: dict[str, Any] = {}
    threads = [
        threading.Thread(
            target=_run, args=(results, who, lambda who=who: engine.tasks.complete(org[who], task_id, {"done": True}))
        )
        for who in ("staff_D1", "supervisor_D1")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    engine.executor.test_hooks.after_load = None
    winners = [name for name, outcome in results.items() if not isinstance(outcome, Exception)]
    losers = [outcome for outcome in results.values() if isinstance(outcome, Exception)]
    assert len(winners) == 1, results
    assert len(losers) == 1 and isinstance(losers[0], Conflict), results
    completed_by, completions, version = _completion_outcome(engine, case_id, task_id)
    assert completed_by == org[winners[0]].user_id
    assert completions == 1
    assert version == 2  # started (1) + the winner's completion (2); the loser wrote nothing


@pytest.mark.only_db("sqlite")  # PostgreSQL has no read snapshot to rerun from
def test_sqlite_command_held_in_its_read_snapshot_reruns_and_sees_the_other_completion(
    engine: ProcessEngine, org: Org
) -> None:
    case_id, task_id = _one_open_task(engine, org)
    first_loaded = threading.Event()
    hold = 1.0

    def slow_first_load(_instance: str) -> None:
        if threading.current_thread().name == "first" and not first_loaded.is_set():
            first_loaded.set()
            time.sleep(hold)  # the first command sits in its read snapshot, holding no lock

    engine.executor.test_hooks.after_load = slow_first_load
    reruns = engine.executor.transactions.reruns
    results: dict[str, Any] = {}
    first = threading.Thread(
        name="first",
        target=_run,
        args=(results, "first", lambda: engine.tasks.complete(org["staff_D1"], task_id, {"done": True})),
    )
    first.start()
    assert first_loaded.wait(10)
    started = time.monotonic()
    _run(results, "second", lambda: engine.tasks.complete(org["supervisor_D1"], task_id, {"done": True}))
    waited = time.monotonic() - started
    first.join(10)
    engine.executor.test_hooks.after_load = None
    assert not isinstance(results["second"], Exception), results
    assert waited < hold  # the second committed while the first still held its snapshot
    assert isinstance(results["first"], Conflict) and results["first"].code == "task_not_open", results
    assert engine.executor.transactions.reruns == reruns + 1  # the first ran again and saw the completion
    assert _completion_outcome(engine, case_id, task_id) == (org["supervisor_D1"].user_id, 1, 2)


def test_first_cases_of_a_year_started_at_once_get_distinct_numbers(engine: ProcessEngine, org: Org) -> None:
    # no counter row for the year yet: every starter finds none and creates it (a unique-key error on
    # PostgreSQL before the counter became one upsert)
    engine.repository.deploy(org["designer"], corpus_files("standard_loop.bpmn"))
    starters = 6
    barrier = threading.Barrier(starters, timeout=20)
    results: dict[str, Any] = {}

    def start() -> Any:
        barrier.wait()
        return engine.runtime.start(org["staff_D1"], "standard_loop")

    threads = [threading.Thread(target=_run, args=(results, f"s{i}", start)) for i in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    failures = [outcome for outcome in results.values() if isinstance(outcome, Exception)]
    assert failures == []
    numbers = sorted(case.number.rsplit("-", 1)[1] for case in results.values())
    assert numbers == [f"{n:06d}" for n in range(1, starters + 1)]


def _deadlock() -> OperationalError:
    """What SQLAlchemy raises when PostgreSQL aborts a transaction to break a deadlock."""
    return OperationalError("DELETE FROM timers ...", {}, DeadlockDetected("deadlock detected"))


def test_a_command_aborted_by_a_deadlock_runs_again_and_commits_once(engine: ProcessEngine, org: Org) -> None:
    case_id, task_id = _one_open_task(engine, org)
    attempts: list[str] = []

    def deadlock_once(_instance: str) -> None:
        attempts.append(_instance)
        if len(attempts) == 1:
            raise _deadlock()

    engine.executor.test_hooks.after_load = deadlock_once
    try:
        engine.tasks.complete(org["staff_D1"], task_id, {"done": True})
    finally:
        engine.executor.test_hooks.after_load = None
    assert len(attempts) == 2
    with engine.db.transaction(write=False) as connection:
        completions = connection.execute(
            select(func.count()).select_from(audit_events).where(audit_events.c.action == "task.completed")
        ).scalar_one()
        version = connection.execute(
            select(process_instances.c.row_version).where(process_instances.c.id == case_id)
        ).scalar_one()
    assert (completions, version) == (1, 2)


def test_a_command_deadlocked_every_time_is_a_conflict_that_writes_nothing(engine: ProcessEngine, org: Org) -> None:
    case_id, task_id = _one_open_task(engine, org)

    def always(_instance: str) -> None:
        raise _deadlock()

    engine.executor.test_hooks.after_load = always
    try:
        with pytest.raises(Conflict) as raised:
            engine.tasks.complete(org["staff_D1"], task_id, {"done": True})
    finally:
        engine.executor.test_hooks.after_load = None
    assert raised.value.code == "stale_case"
    with engine.db.transaction(write=False) as connection:
        version = connection.execute(
            select(process_instances.c.row_version).where(process_instances.c.id == case_id)
        ).scalar_one()
    assert version == 1
