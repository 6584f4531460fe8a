"""SQLite: a command on a case runs its engine step (user expressions) without the write lock and takes
the lock only when the step is over, checking the cases it read are unchanged (else it runs again).

(a) a slow script in one case does not hold up a command on another case; (b) two commands on one case
at once: one wins, the other runs again on the winner's result, nothing is lost; (c) a command whose
case keeps changing under it ends, after the rerun limit, in 409 ``stale_case`` and writes nothing;
(d) a write SQLite still sees as an upgrade of a stale read snapshot is a rerun, never a 500; (e) a slow
routing expression of a task being opened does not hold the lock either.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import select, text, update

from engine import Conflict, ProcessEngine
from engine.commands.executor import ATTEMPTS
from engine.persistence.database import StaleRead
from engine.persistence.tables import process_instances
from tests.engine.conftest import Org, corpus_files
from tests.engine.test_expression_limits import ROUND, open_case

pytestmark = pytest.mark.only_db("sqlite")


def _run(results: dict[str, Any], name: str, action: Any) -> None:
    try:
        results[name] = action()
    except Exception as exc:  # the outcome is what the tests check
        results[name] = exc
    results[name + "_at"] = time.monotonic()


def _case(engine: ProcessEngine, org: Org) -> str:
    engine.repository.deploy(org["designer"], corpus_files("standard_loop.bpmn"))
    return engine.runtime.start(org["staff_D1"], "standard_loop").id


def test_a_slow_script_in_one_case_does_not_block_a_completion_in_another(engine: ProcessEngine, org: Org) -> None:
    _, slow_task = open_case(engine, org, ROUND, again="n < 30")  # 30 rounds of ~20 ms, all in one command
    _, quiet_task = open_case(engine, org, "done = True")
    slow_loaded = threading.Event()
    engine.executor.test_hooks.after_load = lambda _case_id: slow_loaded.set()
    results: dict[str, Any] = {}
    slow = threading.Thread(
        target=_run, args=(results, "slow", lambda: engine.tasks.complete(org["staff_D1"], slow_task, {"n": 0}))
    )
    slow.start()
    assert slow_loaded.wait(10)
    engine.executor.test_hooks.after_load = None
    time.sleep(0.2)  # the slow command is inside its script loop now
    _run(results, "quiet", lambda: engine.tasks.complete(org["staff_D1"], quiet_task, {}))
    slow.join(60)
    assert not isinstance(results["slow"], Exception), results  # (a very busy machine may hit the budget)
    assert results["quiet"].case_state == "running", results
    assert results["quiet_at"] < results["slow_at"]  # committed while the slow script still ran


def test_two_commands_on_one_case_at_once_both_land_and_the_second_sees_the_first(
    engine: ProcessEngine, org: Org
) -> None:
    case_id = _case(engine, org)
    barrier = threading.Barrier(2, timeout=20)
    held: set[int] = set()

    def hold_both_once(_case_id: str) -> None:
        if threading.get_ident() not in held:  # both have read the case at the same version
            held.add(threading.get_ident())
            barrier.wait()

    engine.executor.test_hooks.after_load = hold_both_once
    reruns = engine.executor.transactions.reruns
    results: dict[str, Any] = {}
    threads = [
        threading.Thread(
            target=_run,
            args=(
                results,
                name,
                lambda name=name: engine.runtime.update_variables(
                    org["admin"], case_id, set_values={name: True}, reason=f"set {name}"
                ),
            ),
        )
        for name in ("left", "right")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    engine.executor.test_hooks.after_load = None
    assert not any(isinstance(results[name], Exception) for name in ("left", "right")), results
    assert engine.executor.transactions.reruns == reruns + 1  # the loser ran once more, on the winner's result
    variables = engine.runtime.get(org["admin"], case_id).variables
    assert variables["left"] is True and variables["right"] is True  # no lost update
    with engine.db.transaction(write=False) as connection:
        version = connection.execute(
            select(process_instances.c.row_version).where(process_instances.c.id == case_id)
        ).scalar_one()
    assert version == 3  # started, then each change once


def test_a_case_changed_under_every_attempt_ends_in_stale_case_and_writes_nothing(
    engine: ProcessEngine, org: Org
) -> None:
    case_id = _case(engine, org)
    bumps: list[int] = []

    def change_it_meanwhile(_case_id: str) -> None:
        if threading.current_thread().name != "loser":
            return
        other = threading.Thread(
            target=lambda: engine.runtime.update_variables(
                org["admin"], case_id, set_values={"meanwhile": len(bumps)}, reason="meanwhile"
            )
        )
        other.start()  # another command commits while this one still reads its snapshot
        other.join(20)
        bumps.append(1)

    engine.executor.test_hooks.after_load = change_it_meanwhile
    results: dict[str, Any] = {}
    loser = threading.Thread(
        name="loser",
        target=_run,
        args=(
            results,
            "loser",
            lambda: engine.runtime.update_variables(org["admin"], case_id, set_values={"mine": 1}, reason="mine"),
        ),
    )
    loser.start()
    loser.join(60)
    engine.executor.test_hooks.after_load = None
    outcome = results["loser"]
    assert isinstance(outcome, Conflict) and outcome.code == "stale_case", results
    assert len(bumps) == ATTEMPTS
    variables = engine.runtime.get(org["admin"], case_id).variables
    assert "mine" not in variables and variables["meanwhile"] == ATTEMPTS - 1


def test_a_write_sqlite_sees_as_an_upgrade_of_a_stale_snapshot_is_a_rerun(engine: ProcessEngine, org: Org) -> None:
    case_id = _case(engine, org)
    db = engine.db
    with pytest.raises(StaleRead), db.optimistic_transaction(lambda _query: None) as connection:
        connection.execute(select(process_instances.c.row_version)).all()  # the read snapshot starts
        with db.transaction() as other:
            other.execute(
                update(process_instances)
                .where(process_instances.c.id == case_id)
                .values(row_version=process_instances.c.row_version + 1)
            )
        # a write the lock step does not recognise (a comment first): SQLite upgrades the snapshot
        connection.execute(text("/* unrecognised */ UPDATE process_instances SET business_key = 'x'"))
    with db.transaction(write=False) as connection:
        assert connection.execute(select(process_instances.c.business_key)).scalar() is None


SLOW_ROUTING = '"D2" if max(str(i) for i in range(400000)) else "D1"'  # a user expression of some 0.2-1 s


def _slowly_routed_case(engine: ProcessEngine, org: Org) -> tuple[str, str]:
    """A case at ``first``; completing it opens ``second``, routed by a slow ``assignDepartment``."""
    from xml.sax.saxutils import quoteattr

    model = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" '
        'targetNamespace="http://wutong.example/test">'
        '<bpmn:process id="slow_routing" name="slow_routing" isExecutable="true">'
        '<bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first" />'
        '<bpmn:userTask id="first" name="First" /><bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="second" />'
        '<bpmn:userTask id="second" name="Second"><bpmn:extensionElements><spiffworkflow:properties>'
        f'<spiffworkflow:property name="assignDepartment" value={quoteattr(SLOW_ROUTING)} />'
        "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"
        '<bpmn:sequenceFlow id="f3" sourceRef="second" targetRef="end" /><bpmn:endEvent id="end" />'
        "</bpmn:process></bpmn:definitions>"
    ).encode()
    engine.repository.deploy(org["designer"], {"slow_routing.bpmn": model})
    case = engine.runtime.start(org["staff_D1"], "slow_routing")
    return case.id, case.open_tasks[0].id


def test_a_slow_routing_expression_of_a_task_being_opened_does_not_hold_the_write_lock(
    engine: ProcessEngine, org: Org
) -> None:
    slow_case, slow_task = _slowly_routed_case(engine, org)
    quiet_case = _case(engine, org)
    slow_loaded = threading.Event()
    engine.executor.test_hooks.after_load = lambda _case_id: slow_loaded.set()
    results: dict[str, Any] = {}
    slow = threading.Thread(
        target=_run, args=(results, "slow", lambda: engine.tasks.complete(org["staff_D1"], slow_task, {}))
    )
    started = time.monotonic()
    slow.start()
    assert slow_loaded.wait(10)
    engine.executor.test_hooks.after_load = None
    time.sleep(0.1)  # the slow command is evaluating the routing of the task it opens now
    # a change of another case that evaluates nothing (so it does not wait for a sandbox worker either)
    _run(results, "quiet", lambda: engine.runtime.update_variables(
        org["admin"], quiet_case, set_values={"note": "meanwhile"}, reason="a note"))
    slow.join(60)
    assert not isinstance(results["slow"], Exception), results
    opened = engine.runtime.get(org["admin"], slow_case).open_tasks
    assert [(t.activity_id, t.department) for t in opened] == [("second", "D2")]  # routed by the expression
    assert results["slow_at"] - started > 0.3, "the routing expression was meant to be slow"
    assert results["quiet_at"] < results["slow_at"]  # committed while the slow routing still ran
