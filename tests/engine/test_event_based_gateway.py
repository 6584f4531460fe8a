"""An event-based gateway waits for whichever of its events comes first: a message delivered to the
case, or its timer fired by the worker (SpiffWorkflow 3.2 keeps both events on the gateway itself).
"""

from __future__ import annotations

from datetime import timedelta

from engine import FrozenClock, ProcessEngine
from engine.consistency import live_document, stored_document
from tests.engine.conftest import Org, make_engine
from tests.engine.test_stored_state_versions import deploy_legacy_process, start_waiting_case


def test_a_message_takes_the_gateways_message_branch(
    engine: ProcessEngine, org: Org, database_url: str, clock: FrozenClock
) -> None:
    deploy_legacy_process(engine, org)
    instance_id = start_waiting_case(engine, org)
    result = engine.runtime.deliver_message(org["staff_D1"], "go_ahead", payload={"order_id": "A-1"})
    assert result.delivered_to == (instance_id,)
    case = engine.runtime.get(org["staff_D1"], instance_id)
    assert [t.activity_id for t in case.open_tasks] == ["finish"]
    assert "child_end_go" in case.completed_activities and "child_end_late" not in case.completed_activities
    checker = make_engine(database_url, clock, cache=False)
    assert stored_document(checker, instance_id) == live_document(engine, instance_id)
    checker.close()


def test_the_gateways_timer_fires_when_no_message_came(engine: ProcessEngine, org: Org, clock: FrozenClock) -> None:
    deploy_legacy_process(engine, org)
    instance_id = start_waiting_case(engine, org)
    clock.advance(timedelta(days=30, minutes=1))
    assert engine.runtime.fire_due_timers().instances == (instance_id,)
    case = engine.runtime.get(org["staff_D1"], instance_id)
    assert [t.activity_id for t in case.open_tasks] == ["finish"]
    assert "child_end_late" in case.completed_activities
