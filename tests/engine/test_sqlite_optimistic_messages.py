"""SQLite: a message a command throws is delivered inside its engine step, before its first write, so
the receiving case's scripts and expressions run without the write lock too.

(a) a completion whose message starts a slow script in the receiving case does not hold up a simple
completion in an unrelated case; (b) when a case the delivery read changes before the command takes
the lock, the command runs again and the message still lands exactly once.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from bench.common import message_sender_process, script_loop_process
from engine import ProcessEngine
from tests.engine.conftest import Org
from tests.engine.test_expression_limits import ROUND, open_case

pytestmark = pytest.mark.only_db("sqlite")


def _run(results: dict[str, Any], name: str, action: Any) -> None:
    try:
        results[name] = action()
    except Exception as exc:  # the outcome is what the tests check
        results[name] = exc
    results[name + "_at"] = time.monotonic()


def _relay(engine: ProcessEngine, org: Org, key: str, *, again: str | None) -> tuple[str, str]:
    """A receiving case waiting for message ``<key>_ready`` (then a script loop) and a sending case at
    its ``prepare`` task, whose completion throws it; returns (receiver id, sender's task id)."""
    message = f"{key}_ready"
    engine.repository.deploy(
        org["designer"],
        {
            f"{key}_receiver.bpmn": script_loop_process(f"{key}_receiver", ROUND, again, "relay", wait_for=message),
            f"{key}_sender.bpmn": message_sender_process(f"{key}_sender", message, "relay"),
        },
    )
    receiver = engine.runtime.start(org["staff_D1"], f"{key}_receiver", variables={"n": 0})
    sender = engine.runtime.start(org["staff_D1"], f"{key}_sender")
    return receiver.id, sender.open_tasks[0].id


def _open_activities(engine: ProcessEngine, org: Org, instance_id: str) -> list[str]:
    return [t.activity_id for t in engine.runtime.get(org["admin"], instance_id).open_tasks]


def test_a_slow_script_of_a_message_receiver_does_not_block_a_completion_in_another_case(
    engine: ProcessEngine, org: Org
) -> None:
    receiver, sender_task = _relay(engine, org, "slow", again="n < 80")  # 80 rounds of 5-20 ms: 0.4-1.6 s
    _, quiet_task = open_case(engine, org, "done = True")
    receiver_loaded = threading.Event()
    engine.executor.test_hooks.after_load = lambda case_id: receiver_loaded.set() if case_id == receiver else None
    results: dict[str, Any] = {}
    sending = threading.Thread(
        target=_run, args=(results, "sender", lambda: engine.tasks.complete(org["staff_D1"], sender_task, {}))
    )
    started = time.monotonic()
    sending.start()
    assert receiver_loaded.wait(10)
    engine.executor.test_hooks.after_load = None
    time.sleep(0.2)  # the receiving case runs its script loop now, inside the sender's command
    _run(results, "quiet", lambda: engine.tasks.complete(org["staff_D1"], quiet_task, {}))
    sending.join(60)
    assert not isinstance(results["sender"], Exception), results  # (a very busy machine may hit the budget)
    assert results["sender"].case_state == "completed", results
    assert _open_activities(engine, org, receiver) == ["after"]  # the message arrived, the loop ran
    assert results["sender_at"] - started > 0.4, "the receiver's script was meant to be slow"
    assert not isinstance(results["quiet"], Exception), results
    assert results["quiet_at"] < results["sender_at"]  # committed while the receiver's script still ran


def test_a_message_lands_once_when_its_command_runs_again(engine: ProcessEngine, org: Org) -> None:
    receiver, sender_task = _relay(engine, org, "rerun", again=None)
    changed: list[str] = []

    def change_the_receiver_meanwhile(case_id: str) -> None:
        if case_id != receiver or threading.current_thread().name != "sender" or changed:
            return
        other = threading.Thread(  # commits while the sender's command still reads its snapshot
            target=lambda: engine.runtime.update_variables(
                org["admin"], receiver, set_values={"meanwhile": True}, reason="meanwhile"
            )
        )
        other.start()
        other.join(20)
        changed.append(case_id)

    engine.executor.test_hooks.after_load = change_the_receiver_meanwhile
    reruns = engine.executor.transactions.reruns
    results: dict[str, Any] = {}
    sending = threading.Thread(
        name="sender",
        target=_run,
        args=(results, "sender", lambda: engine.tasks.complete(org["staff_D1"], sender_task, {})),
    )
    sending.start()
    sending.join(60)
    engine.executor.test_hooks.after_load = None
    assert changed == [receiver]
    assert not isinstance(results["sender"], Exception), results
    assert engine.executor.transactions.reruns == reruns + 1  # the first attempt read the receiver stale
    state = engine.runtime.get(org["admin"], receiver)
    assert state.variables["meanwhile"] is True and state.variables["n"] == 1  # its script ran once
    assert _open_activities(engine, org, receiver) == ["after"]
    received = [e for e in engine.history.case_events(org["admin"], receiver) if e.action == "message.received"]
    assert [e.details["name"] for e in received] == ["rerun_ready"]  # delivered once, not once per attempt
