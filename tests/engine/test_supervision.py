"""Deadlines on tasks and cases, due status, extension, reassignment, sending back, escalation and
notifications; the worker's timers of every kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine import Conflict, Forbidden, FrozenClock, InvalidInput, InvalidModel, ProcessEngine
from engine.worker import Worker
from tests.engine.conftest import Org, process_files, table_counts

SHANGHAI_1800_TUESDAY = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # the clock starts Monday 2 March, 09:00 local


@pytest.fixture
def case(engine: ProcessEngine, org: Org) -> str:
    engine.repository.deploy(org["designer"], process_files("deadlines.bpmn"))
    return engine.runtime.start(org["staff_D1"], "deadlines", variables={"reply_limit": "P3D"}).id


def _open(engine: ProcessEngine, org: Org, case: str) -> list[tuple[str, str]]:
    return [(t.activity_id, t.id) for t in engine.runtime.get(org["admin"], case).open_tasks]


def _task(engine: ProcessEngine, org: Org, case: str, activity: str) -> str:
    return dict(_open(engine, org, case))[activity]


def test_a_task_deadline_ends_at_close_of_business_on_the_nth_working_day(
    engine: ProcessEngine, org: Org, case: str
) -> None:
    view = engine.tasks.get(org["staff_D1"], _task(engine, org, case, "accept"))
    assert view.due_at == SHANGHAI_1800_TUESDAY
    assert view.original_due_at == SHANGHAI_1800_TUESDAY
    assert view.due_status == "due_soon"


def test_the_case_gets_its_own_deadline(engine: ProcessEngine, org: Org, case: str) -> None:
    view = engine.runtime.get(org["admin"], case)
    assert view.due_at == datetime(2026, 3, 16, 10, 0, tzinfo=UTC)  # 10 working days later
    assert view.due_status == "on_time"


def test_a_deadline_expression_reads_case_data(engine: ProcessEngine, org: Org, case: str) -> None:
    engine.tasks.complete(org["staff_D1"], _task(engine, org, case, "accept"))
    reply = engine.tasks.get(org["staff_D2"], _task(engine, org, case, "reply"))
    assert reply.due_at == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    assert reply.due_status == "on_time"


def test_due_status_turns_overdue_and_the_inbox_filters_by_it(
    engine: ProcessEngine, org: Org, case: str, clock: FrozenClock
) -> None:
    clock.set(SHANGHAI_1800_TUESDAY + timedelta(minutes=1))
    assert engine.tasks.get(org["staff_D1"], _task(engine, org, case, "accept")).due_status == "overdue"
    assert [t.activity_id for t in engine.tasks.list(org["staff_D1"], due_status="overdue").items] == ["accept"]
    assert engine.tasks.list(org["staff_D1"], due_status="on_time").total == 0
    with pytest.raises(InvalidInput):
        engine.tasks.list(org["staff_D1"], due_status="late")


def test_a_supervisor_extends_a_deadline_and_the_original_stays(engine: ProcessEngine, org: Org, case: str) -> None:
    task = _task(engine, org, case, "accept")
    new = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
    view = engine.supervision.extend_deadline(org["supervisor_D1"], task, new, "waiting for the village")
    assert (view.due_at, view.original_due_at) == (new, SHANGHAI_1800_TUESDAY)
    events = [e for e in engine.history.case_events(org["auditor"], case) if e.action == "task.deadline_extended"]
    assert events[0].details is not None and events[0].details["reason"] == "waiting for the village"


def test_extending_needs_a_reason_a_future_time_and_a_supervisor(engine: ProcessEngine, org: Org, case: str) -> None:
    task = _task(engine, org, case, "accept")
    before = table_counts(engine)
    later = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
    with pytest.raises(InvalidInput) as no_reason:
        engine.supervision.extend_deadline(org["supervisor_D1"], task, later, " ")
    assert no_reason.value.problems[0].field == "/reason"
    with pytest.raises(InvalidInput) as past:
        engine.supervision.extend_deadline(org["supervisor_D1"], task, datetime(2020, 1, 1, tzinfo=UTC), "x")
    assert past.value.problems[0].field == "/due_at"
    with pytest.raises(Forbidden):
        engine.supervision.extend_deadline(org["staff_D1"], task, later, "x")
    assert table_counts(engine) == before


def test_reassigning_to_another_department_moves_the_task(engine: ProcessEngine, org: Org, case: str) -> None:
    task = _task(engine, org, case, "accept")
    view = engine.supervision.reassign(org["supervisor_D1"], task, department="D3", reason="their remit")
    assert (view.department, view.state, view.assignee) == ("D3", "open", None)
    assert engine.tasks.get(org["staff_D3"], task).activity_id == "accept"
    assert engine.tasks.complete(org["staff_D3"], task).task.state == "completed"


def test_reassigning_to_a_person_gives_it_to_them(engine: ProcessEngine, org: Org, case: str) -> None:
    task = _task(engine, org, case, "accept")
    person = org["staff_D1"].user_id
    view = engine.supervision.reassign(org["supervisor_D1"], task, user_id=person, reason="expert")
    assert (view.assignee, view.state) == (person, "claimed")
    assert engine.tasks.get(org["staff_D1"], task).id == task


def test_reassigning_to_nobody_or_an_unknown_target_is_refused(engine: ProcessEngine, org: Org, case: str) -> None:
    task = _task(engine, org, case, "accept")
    before = table_counts(engine)
    cases = [
        ({"department": "D9", "reason": "x"}, "/department"),
        ({"user_id": "00000000-0000-0000-0000-000000000000", "reason": "x"}, "/user_id"),
        ({"reason": "x"}, "/user_id"),
        ({"department": "D3"}, "/reason"),
    ]
    for arguments, field in cases:
        with pytest.raises(InvalidInput) as raised:
            engine.supervision.reassign(org["supervisor_D1"], task, **arguments)  # type: ignore[arg-type]
        assert raised.value.problems[0].field == field
    assert table_counts(engine) == before


def test_sending_back_reopens_the_earlier_step(engine: ProcessEngine, org: Org, case: str) -> None:
    engine.tasks.complete(org["staff_D1"], _task(engine, org, case, "accept"))
    reply = _task(engine, org, case, "reply")
    engine.tasks.complete(org["staff_D2"], reply, {"answer": "first"})
    engine.tasks.complete(org["staff_D2"], _task(engine, org, case, "quick"))
    review = _task(engine, org, case, "review")
    view = engine.supervision.send_back(org["supervisor_D1"], review, "answer is incomplete")
    assert [t.activity_id for t in engine.runtime.get(org["admin"], view.id).open_tasks] == ["reply"]
    assert engine.tasks.get(org["admin"], review).state == "cancelled"
    again = _task(engine, org, case, "reply")
    engine.tasks.complete(org["staff_D2"], again, {"answer": "second"})
    assert [a for a, _ in _open(engine, org, case)] == ["quick"]


def test_a_step_without_send_back_cannot_be_sent_back(engine: ProcessEngine, org: Org, case: str) -> None:
    with pytest.raises(Conflict):
        engine.supervision.send_back(org["supervisor_D1"], _task(engine, org, case, "accept"), "no")


def test_an_overdue_task_is_escalated_once_with_a_task_and_notifications(
    engine: ProcessEngine, org: Org, case: str, clock: FrozenClock
) -> None:
    engine.tasks.complete(org["staff_D1"], _task(engine, org, case, "accept"))
    clock.advance(timedelta(days=5))
    worker = Worker(engine)
    assert worker.run_once().escalated == 1
    assert worker.run_once().escalated == 0
    escalation = [t for t in engine.tasks.list(org["staff_D3"]).items if t.kind == "escalation"]
    assert [(t.department, t.state) for t in escalation] == [("D3", "open")]
    texts = [n.text for n in engine.supervision.notifications(org["supervisor_D2"])]
    assert len(texts) == 1 and "Reply" in texts[0]
    assert engine.supervision.notifications(org["staff_D2"]) == []
    assert len(engine.supervision.notifications(org["supervisor_D3"])) == 1
    engine.tasks.complete(org["staff_D3"], escalation[0].id, {"action": "urged", "comment": "called them"})
    assert engine.tasks.get(org["staff_D3"], escalation[0].id).state == "completed"


def test_supervisors_see_their_overdue_and_due_soon_work(
    engine: ProcessEngine, org: Org, case: str, clock: FrozenClock
) -> None:
    listed = engine.supervision.overview(org["supervisor_D1"])
    assert [(t.activity_id, t.due_status) for t in listed.items] == [("accept", "due_soon")]
    assert engine.supervision.overview(org["supervisor_D2"]).total == 0
    with pytest.raises(Forbidden):
        engine.supervision.overview(org["staff_D1"])


def test_deploy_refuses_bad_deadlines(engine: ProcessEngine, org: Org) -> None:
    bad = {
        b'name="deadline" value="P1D"': (b'name="deadline" value="PT4H"', "deadline_invalid"),
        b'<spiffworkflow:property name="deadlineCalendar" value="calendar" />': (
            b'<spiffworkflow:property name="deadlineCalendar" value="lunar" />',
            "deadline_calendar_unknown",
        ),
        b'name="escalateTo" value="D3"': (b'name="escalateTo" value="D9"', "unknown_department"),
        b'name="deadline" value="P10D"': (b'name="deadline" value="P10X"', "deadline_invalid"),
    }
    for original, (replacement, code) in bad.items():
        files = process_files("deadlines.bpmn")
        files["deadlines.bpmn"] = files["deadlines.bpmn"].replace(original, replacement)
        with pytest.raises(InvalidModel) as raised:
            engine.repository.deploy(org["designer"], files)
        assert code in [p.code for p in raised.value.problems], raised.value.problems


def test_a_cycle_timer_fires_each_period_and_a_date_timer_at_its_date(
    engine: ProcessEngine, org: Org, clock: FrozenClock
) -> None:
    engine.repository.deploy(org["designer"], process_files("cycle_timer.bpmn"))
    handover = (clock.now() + timedelta(days=10)).isoformat()
    case = engine.runtime.start(org["staff_D1"], "cycle_timer", variables={"handover_at": handover}).id
    worker = Worker(engine)
    for day in range(1, 5):
        clock.advance(timedelta(days=1, seconds=1))
        worker.run_once()
        reports = [a for a, _ in _open(engine, org, case) if a == "report"]
        assert len(reports) == min(day, 3), day  # R3: three reminders, then no more
    engine.tasks.complete(org["staff_D1"], _task(engine, org, case, "build"))
    # the reminders the repeating timer started go on after the activity ends (BPMN non-interrupting)
    assert [a for a, _ in _open(engine, org, case)].count("report") == 3
    assert "handover" not in [a for a, _ in _open(engine, org, case)]
    clock.advance(timedelta(days=7))
    worker.run_once()
    assert "handover" in [a for a, _ in _open(engine, org, case)]


def test_a_case_sent_back_reloads_exactly(engine: ProcessEngine, org: Org, case: str) -> None:
    from engine.consistency import live_document, stored_document

    engine.tasks.complete(org["staff_D1"], _task(engine, org, case, "accept"))
    engine.tasks.complete(org["staff_D2"], _task(engine, org, case, "reply"), {"answer": "first"})
    engine.tasks.complete(org["staff_D2"], _task(engine, org, case, "quick"))
    engine.supervision.send_back(org["supervisor_D1"], _task(engine, org, case, "review"), "incomplete")
    assert stored_document(engine, case) == live_document(engine, case)


def test_a_task_extended_after_escalation_is_escalated_again_when_late_again(
    engine: ProcessEngine, org: Org, case: str, clock: FrozenClock
) -> None:
    task = _task(engine, org, case, "accept")
    clock.advance(timedelta(days=2))
    worker = Worker(engine)
    assert worker.run_once().escalated == 1
    engine.supervision.extend_deadline(org["supervisor_D1"], task, clock.now() + timedelta(hours=1), "one more hour")
    assert worker.run_once().escalated == 0
    clock.advance(timedelta(hours=2))
    assert worker.run_once().escalated == 1
    assert len(engine.supervision.notifications(org["supervisor_D1"])) == 2


def test_a_task_is_reassigned_only_to_someone_who_may_work_it(engine: ProcessEngine, org: Org, case: str) -> None:
    task = _task(engine, org, case, "accept")
    for name in ("auditor", "designer", "applicant"):
        with pytest.raises(InvalidInput) as raised:
            engine.supervision.reassign(org["supervisor_D1"], task, user_id=org[name].user_id, reason="x")
        assert raised.value.problems[0].field == "/user_id"


def test_a_deadline_more_than_ten_years_ahead_is_refused(engine: ProcessEngine, org: Org, case: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        engine.supervision.extend_deadline(
            org["supervisor_D1"], _task(engine, org, case, "accept"), datetime(9999, 12, 31, tzinfo=UTC), "later"
        )
    assert raised.value.problems[0].field == "/due_at"


def test_calendar_overrides_need_a_short_note_and_an_admin(engine: ProcessEngine, org: Org) -> None:
    from datetime import date

    with pytest.raises(InvalidInput):
        engine.calendars.set_day(org["admin"], date(2027, 2, 20), working=True, note="x" * 201)
    with pytest.raises(Forbidden):
        engine.calendars.set_day(org["supervisor_D1"], date(2027, 2, 20), working=True, note="补班")
    engine.calendars.set_day(org["admin"], date(2027, 2, 20), working=True, note="补班")
    assert engine.calendar.is_working_day(date(2027, 2, 20))
    engine.calendars.remove_day(org["admin"], date(2027, 2, 20))
    assert not engine.calendar.is_working_day(date(2027, 2, 20))
