"""Runtime service: starting cases, who may start what, visibility, cancel, messages, timers."""

from __future__ import annotations

import re

import pytest

from engine import Conflict, Forbidden, FrozenClock, InvalidInput, NotFound, ProcessEngine
from tests.engine.conftest import Org, corpus_files, process_files, table_counts


@pytest.fixture
def deployed(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], process_files("form_task.bpmn", "fill.json"))
    engine.repository.deploy(org["designer"], process_files("restricted.bpmn"))


def test_a_case_gets_a_uuid_and_a_yearly_number(engine: ProcessEngine, org: Org, deployed: None) -> None:
    first = engine.runtime.start(org["staff_D1"], "form_task")
    second = engine.runtime.start(org["staff_D1"], "form_task")
    assert re.fullmatch(r"[0-9a-f-]{36}", first.id)
    assert (first.number, second.number) == ("WT-2026-000001", "WT-2026-000002")
    assert first.owner_username == "staff_D1"
    assert first.department == "D1"
    assert first.state == "running"


def test_start_data_becomes_case_variables(engine: ProcessEngine, org: Org, deployed: None) -> None:
    view = engine.runtime.start(org["staff_D1"], "form_task", variables={"company": "梧桐", "n": 3})
    assert view.variables == {"company": "梧桐", "n": 3}


def test_a_duplicate_business_key_of_a_running_case_is_refused(engine: ProcessEngine, org: Org, deployed: None) -> None:
    engine.runtime.start(org["staff_D1"], "form_task", business_key="REQ-1")
    before = table_counts(engine)
    with pytest.raises(Conflict) as raised:
        engine.runtime.start(org["staff_D1"], "form_task", business_key="REQ-1")
    assert raised.value.code == "duplicate_business_key"
    assert table_counts(engine) == before


def test_a_business_key_is_free_again_once_the_case_is_cancelled(
    engine: ProcessEngine, org: Org, deployed: None
) -> None:
    first = engine.runtime.start(org["staff_D1"], "form_task", business_key="REQ-2")
    engine.runtime.cancel(org["supervisor_D1"], first.id, reason="entered twice")
    assert engine.runtime.start(org["staff_D1"], "form_task", business_key="REQ-2").state == "running"


def test_starting_an_unknown_process_is_not_found(engine: ProcessEngine, org: Org) -> None:
    with pytest.raises(NotFound):
        engine.runtime.start(org["staff_D1"], "nope")


def test_starting_a_version_that_does_not_exist_is_not_found(engine: ProcessEngine, org: Org, deployed: None) -> None:
    with pytest.raises(NotFound):
        engine.runtime.start(org["staff_D1"], "form_task", version=7)


def test_startable_by_limits_who_starts_a_process(engine: ProcessEngine, org: Org, deployed: None) -> None:
    with pytest.raises(Forbidden):
        engine.runtime.start(org["staff_D1"], "restricted")
    assert engine.runtime.start(org["staff_D2"], "restricted").department == "D2"


def test_applicants_start_only_processes_marked_for_them(engine: ProcessEngine, org: Org, deployed: None) -> None:
    with pytest.raises(Forbidden):
        engine.runtime.start(org["applicant"], "form_task")
    view = engine.runtime.start(org["applicant"], "restricted")
    assert (view.applicant_id, view.department) == (org["applicant"].user_id, "D2")


def test_an_applicant_may_not_choose_the_owning_department(engine: ProcessEngine, org: Org, deployed: None) -> None:
    before = table_counts(engine)
    with pytest.raises(InvalidInput) as raised:
        engine.runtime.start(org["applicant"], "restricted", department="D1")
    assert [(p.code, p.field) for p in raised.value.problems] == [("not_allowed", "/department")]
    assert table_counts(engine) == before
    assert engine.runtime.start(org["applicant"], "restricted", department="D2").department == "D2"


def test_auditors_and_designers_do_not_start_cases(engine: ProcessEngine, org: Org, deployed: None) -> None:
    for name in ("auditor", "designer"):
        with pytest.raises(Forbidden):
            engine.runtime.start(org[name], "form_task")


def test_a_member_of_several_departments_must_name_the_owner(engine: ProcessEngine, org: Org, deployed: None) -> None:
    from engine import SYSTEM

    user = engine.identity.create_user(SYSTEM, "two_hats", roles=["staff"], departments_=["D1", "D2"])
    token = engine.identity.create_token(SYSTEM, user.id)
    assert token.secret is not None
    actor = engine.identity.authenticate(token.secret)
    with pytest.raises(InvalidInput) as raised:
        engine.runtime.start(actor, "form_task")
    assert raised.value.problems[0].field == "/department"
    assert engine.runtime.start(actor, "form_task", department="D2").department == "D2"


def test_a_case_is_visible_to_departments_that_had_tasks_in_it(engine: ProcessEngine, org: Org, deployed: None) -> None:
    case = engine.runtime.start(org["staff_D1"], "form_task")
    with pytest.raises(NotFound):
        engine.runtime.get(org["staff_D2"], case.id)
    fill = case.open_tasks[0].id
    engine.tasks.complete(org["staff_D1"], fill, {"amount": 1, "email": "a@b.cn"})
    assert engine.runtime.get(org["staff_D2"], case.id).open_tasks[0].activity_id == "review"
    assert engine.runtime.list(org["staff_D2"]).total == 1
    assert engine.runtime.list(org["staff_D3"]).total == 0


def test_only_a_supervisor_of_the_owning_department_cancels(engine: ProcessEngine, org: Org, deployed: None) -> None:
    case = engine.runtime.start(org["staff_D1"], "form_task")
    with pytest.raises(Forbidden):
        engine.runtime.cancel(org["staff_D1"], case.id, reason="duplicate")
    cancelled = engine.runtime.cancel(org["supervisor_D1"], case.id, reason="duplicate")
    assert cancelled.state == "cancelled"
    assert cancelled.open_tasks == ()
    assert engine.tasks.get(org["staff_D1"], case.open_tasks[0].id).state == "cancelled"
    with pytest.raises(Conflict):
        engine.runtime.cancel(org["supervisor_D1"], case.id, reason="again")


def test_list_filters_by_state_and_key(engine: ProcessEngine, org: Org, deployed: None) -> None:
    engine.runtime.start(org["staff_D1"], "form_task", business_key="A")
    second = engine.runtime.start(org["staff_D1"], "form_task", business_key="B")
    engine.runtime.cancel(org["supervisor_D1"], second.id, reason="entered twice")
    assert [c.business_key for c in engine.runtime.list(org["admin"], state="running").items] == ["A"]
    assert engine.runtime.list(org["admin"], key="form_task").total == 2
    assert engine.runtime.list(org["admin"], business_key="B").items[0].state == "cancelled"
    with pytest.raises(InvalidInput):
        engine.runtime.list(org["admin"], state="finished")


@pytest.fixture
def messaging(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], corpus_files("message_sender.bpmn", "message_receiver.bpmn"))


def _wait_for_order(engine: ProcessEngine, org: Org, order_id: str) -> str:
    case = engine.runtime.start(org["staff_D1"], "message_receiver", variables={"order_id": order_id})
    engine.tasks.complete(org["staff_D1"], case.open_tasks[0].id)
    return case.id


def test_a_message_thrown_by_one_case_reaches_the_waiting_case_in_the_same_command(
    engine: ProcessEngine, org: Org, messaging: None
) -> None:
    receiver = _wait_for_order(engine, org, "A-1")
    other = _wait_for_order(engine, org, "B-2")
    sender = engine.runtime.start(org["staff_D1"], "message_sender", variables={"order_id": "A-1"})
    engine.tasks.complete(org["staff_D1"], sender.open_tasks[0].id, {"status": "packed"})
    assert [t.activity_id for t in engine.runtime.get(org["admin"], receiver).open_tasks] == ["ship_order"]
    assert engine.runtime.get(org["admin"], other).open_tasks == ()
    assert engine.runtime.get(org["admin"], sender.id).state == "completed"


def test_a_message_nobody_waits_for_puts_the_sender_in_error(engine: ProcessEngine, org: Org, messaging: None) -> None:
    sender = engine.runtime.start(org["staff_D1"], "message_sender", variables={"order_id": "Z-9"})
    result = engine.tasks.complete(org["staff_D1"], sender.open_tasks[0].id, {"status": "packed"})
    assert result.case_state == "error"
    view = engine.runtime.get(org["admin"], sender.id)
    assert [i.code for i in view.incidents] == ["message_undelivered"]
    _wait_for_order(engine, org, "Z-9")
    assert engine.runtime.retry(org["supervisor_D1"], sender.id).state == "completed"


def test_a_message_from_outside_is_delivered_by_correlation(engine: ProcessEngine, org: Org, messaging: None) -> None:
    receiver = _wait_for_order(engine, org, "A-1")
    _wait_for_order(engine, org, "B-2")
    result = engine.runtime.deliver_message(
        org["staff_D1"], "order_ready", payload={"order_id": "A-1", "status": "ok"}, correlation={"order_id": "A-1"}
    )
    assert result.delivered_to == (receiver,)
    view = engine.runtime.get(org["admin"], receiver)
    assert view.variables["order_ready_message"] == {"order_id": "A-1", "status": "ok"}


def test_a_message_no_case_waits_for_is_an_error_and_nothing_is_queued(
    engine: ProcessEngine, org: Org, messaging: None
) -> None:
    before = table_counts(engine)
    with pytest.raises(NotFound):
        engine.runtime.deliver_message(org["staff_D1"], "order_ready", payload={}, correlation={"order_id": "X"})
    assert table_counts(engine) == before


def test_a_message_matching_several_cases_is_ambiguous(engine: ProcessEngine, org: Org, messaging: None) -> None:
    _wait_for_order(engine, org, "A-1")
    _wait_for_order(engine, org, "B-2")
    with pytest.raises(Conflict):
        engine.runtime.deliver_message(org["staff_D1"], "order_ready", payload={})


def test_due_timers_fire_once_the_clock_passes_them(engine: ProcessEngine, org: Org, clock: FrozenClock) -> None:
    engine.repository.deploy(org["designer"], corpus_files("boundary_timers.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "boundary_timers")
    assert engine.runtime.fire_due_timers().fired == 0
    clock.advance(3601)
    assert engine.runtime.fire_due_timers().instances == (case.id,)
    assert [t.activity_id for t in engine.runtime.get(org["admin"], case.id).open_tasks] == ["escalate"]
    assert engine.runtime.fire_due_timers().fired == 0


def test_a_message_whose_payload_contradicts_the_cases_correlation_is_not_delivered(
    engine: ProcessEngine, org: Org, messaging: None
) -> None:
    receiver = _wait_for_order(engine, org, "A-1")
    before = table_counts(engine)
    with pytest.raises(NotFound):
        engine.runtime.deliver_message(
            org["staff_D1"], "order_ready", payload={"order_id": "B-2", "status": "ok"}, instance_id=receiver
        )
    assert table_counts(engine) == before


def test_the_history_says_which_timer_fired_and_when_it_was_due(
    engine: ProcessEngine, org: Org, clock: FrozenClock
) -> None:
    engine.repository.deploy(org["designer"], corpus_files("boundary_timers.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "boundary_timers")
    clock.advance(3601)
    engine.runtime.fire_due_timers()
    fired = [e for e in engine.history.case_events(org["auditor"], case.id) if e.action == "timer.fired"]
    assert len(fired) == 1 and fired[0].details is not None
    [timer] = fired[0].details["timers"]
    assert timer["due_at"].startswith("2026-03-02T02:00:00")
    assert timer["activity_id"] != ""
