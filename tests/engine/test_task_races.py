"""Two commands on one task at once, for every pair that can collide: exactly one commits, the other
gets a 409 and changes nothing, and the stored case passes the reload check.

On PostgreSQL both commands are held after they read the task (the engine's after-load hook) and
then let go together. On SQLite a command on a task reads without the write lock: the first command is
held in its read snapshot while the second commits; at its write lock the first finds the case changed
and runs again against the second's result, so the outcome is exactly the serial order "second, then
first" (which for some pairs means both succeed), never a lost update or a resurrected task.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import Conflict, FrozenClock, ProcessEngine
from engine.consistency import live_document, stored_document
from engine.persistence.tables import audit_events, process_instances, tasks
from tests.engine.conftest import Org, corpus_files

HOLD = 3.0  # how long one command waits for the other at the after-load hook


@dataclass
class Race:
    engine: ProcessEngine
    case_id: str
    task_id: str


@dataclass
class Move:
    """One side of a race: who runs it, what it does and the audit action it records."""

    name: str
    action: str
    run: Callable[[Race], Any]


def _complete(who: str) -> Callable[[Org], Move]:
    return lambda org: Move(
        f"complete by {who}", "task.completed", lambda r: r.engine.tasks.complete(org[who], r.task_id, {"done": True})
    )


def _claim(who: str) -> Callable[[Org], Move]:
    return lambda org: Move(f"claim by {who}", "task.claimed", lambda r: r.engine.tasks.claim(org[who], r.task_id))


def _reassign(department: str) -> Callable[[Org], Move]:
    return lambda org: Move(
        f"reassign to {department}",
        "task.reassigned",
        lambda r: r.engine.supervision.reassign(org["supervisor_D1"], r.task_id, department=department, reason="busy"),
    )


def _extend(org: Org) -> Move:
    return Move(
        "extend",
        "task.deadline_extended",
        lambda r: r.engine.supervision.extend_deadline(
            org["supervisor_D1"], r.task_id, r.engine.clock.now() + timedelta(days=3), "waiting for papers"
        ),
    )


def _unclaim(org: Org) -> Move:
    return Move("unclaim", "task.unclaimed", lambda r: r.engine.tasks.unclaim(org["supervisor_D1"], r.task_id))


# (first, second, claimed by staff_D1 beforehand)
PAIRS = {
    "complete/reassign": (_complete("staff_D1"), _reassign("D2"), False),
    "complete/extend": (_complete("staff_D1"), _extend, False),
    "complete/unclaim": (_complete("staff_D1"), _unclaim, True),
    "complete/complete": (_complete("staff_D1"), _complete("supervisor_D1"), False),
    "claim/claim": (_claim("staff_D1"), _claim("supervisor_D1"), False),
    "reassign/reassign": (_reassign("D2"), _reassign("D3"), False),
}


def _setup(engine: ProcessEngine, org: Org, claimed: bool) -> Race:
    engine.repository.deploy(org["designer"], corpus_files("standard_loop.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "standard_loop")
    race = Race(engine, case.id, case.open_tasks[0].id)
    if claimed:
        engine.tasks.claim(org["staff_D1"], race.task_id)
    return race


def _snapshot(race: Race) -> tuple[int, dict[str, int], dict[str, Any]]:
    with race.engine.db.transaction(write=False) as connection:
        version = connection.execute(
            select(process_instances.c.row_version).where(process_instances.c.id == race.case_id)
        ).scalar_one()
        actions = dict(
            connection.execute(
                select(audit_events.c.action, func.count())
                .where(audit_events.c.instance_id == race.case_id)
                .group_by(audit_events.c.action)
            ).all()
        )
        row = connection.execute(select(tasks).where(tasks.c.id == race.task_id)).mappings().one()
    return version, actions, dict(row)


def _hold_each_command_once(engine: ProcessEngine, wait: Callable[[], None]) -> None:
    """Run ``wait`` at the first after-load point of every command thread."""
    held: set[int] = set()

    def hook(_instance_id: str) -> None:
        me = threading.get_ident()
        if me not in held:
            held.add(me)
            wait()

    engine.executor.test_hooks.after_load = hook


def _attempt(results: dict[str, Any], key: str, move: Move, race: Race) -> None:
    try:
        results[key] = move.run(race)
    except Exception as exc:  # the outcome is what the test checks
        results[key] = exc


def _check_reload(race: Race) -> None:
    stored = stored_document(race.engine, race.case_id)
    live = live_document(race.engine, race.case_id)
    if live is not None:
        assert stored == live


@pytest.mark.only_db("postgres")
@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_postgres_two_commands_held_after_loading_one_task_have_exactly_one_winner(
    engine: ProcessEngine, org: Org, pair: str
) -> None:
    make_first, make_second, claimed = PAIRS[pair]
    race = _setup(engine, org, claimed)
    moves = {"first": make_first(org), "second": make_second(org)}
    version, actions, _ = _snapshot(race)
    barrier = threading.Barrier(2)

    def wait() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):  # the other never reached its load: go on alone
            barrier.wait(timeout=HOLD)

    _hold_each_command_once(engine, wait)
    results: dict[str, Any] = {}
    threads = [threading.Thread(target=_attempt, args=(results, key, move, race)) for key, move in moves.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    engine.executor.test_hooks.after_load = None

    winners = [key for key, outcome in results.items() if not isinstance(outcome, Exception)]
    losers = [key for key, outcome in results.items() if isinstance(outcome, Exception)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert isinstance(results[losers[0]], Conflict), results
    after_version, after_actions, row = _snapshot(race)
    assert after_version == version + 1  # only the winner moved the case on
    winner, loser = moves[winners[0]], moves[losers[0]]
    added = {action: after_actions.get(action, 0) - actions.get(action, 0) for action in {winner.action, loser.action}}
    assert added[winner.action] == 1 and (loser.action == winner.action or added[loser.action] == 0), added
    if winner.action == "task.completed":  # never brought back to life by the loser
        assert row["state"] == "completed"
    _check_reload(race)


def _outcome(result: Any) -> str:
    return type(result).__name__ + ":" + getattr(result, "code", "") if isinstance(result, Exception) else "ok"


def _state_after(race: Race, before: tuple[int, dict[str, int], dict[str, Any]]) -> dict[str, Any]:
    """What the moves changed: versions added, events added, and the task's resulting fields."""
    version, actions, _ = before
    after_version, after_actions, row = _snapshot(race)
    added = {a: n - actions.get(a, 0) for a, n in after_actions.items() if n != actions.get(a, 0)}
    fields = ("state", "assignee_user_id", "department_code", "completed_by", "due_at", "escalated_at")
    return {"versions": after_version - version, "events": added, **{f: row[f] for f in fields}}


@pytest.mark.only_db("sqlite")
@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_sqlite_command_held_in_its_read_snapshot_reruns_to_the_serial_outcome(
    engine: ProcessEngine, org: Org, clock: FrozenClock, pair: str
) -> None:
    make_first, make_second, claimed = PAIRS[pair]
    first, second = make_first(org), make_second(org)
    serial = _setup(engine, org, claimed)  # the reference: second, then first, one after the other
    before = _snapshot(serial)
    expected = {"second": _outcome(_safe(second, serial)), "first": _outcome(_safe(first, serial))}
    expected_state = _state_after(serial, before)

    race = _setup(engine, org, claimed)
    before = _snapshot(race)
    first_loaded = threading.Event()

    def wait() -> None:
        if threading.current_thread().name == "first":
            first_loaded.set()
            time.sleep(1.0)  # the first command sits in its read snapshot, holding no lock

    _hold_each_command_once(engine, wait)
    reruns = engine.executor.transactions.reruns
    results: dict[str, Any] = {}
    thread = threading.Thread(name="first", target=_attempt, args=(results, "first", first, race))
    thread.start()
    assert first_loaded.wait(10)
    _attempt(results, "second", second, race)
    assert thread.is_alive()  # the second committed while the first was still held
    thread.join(30)
    engine.executor.test_hooks.after_load = None

    assert {key: _outcome(value) for key, value in results.items()} == expected, results
    assert engine.executor.transactions.reruns == reruns + 1  # the first ran again on the second's result
    assert _state_after(race, before) == expected_state  # no lost update, no task brought back to life
    _check_reload(race)


def _safe(move: Move, race: Race) -> Any:
    try:
        return move.run(race)
    except Exception as exc:  # the outcome is what the test compares
        return exc
