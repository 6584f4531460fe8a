"""Task service: routing by lane, inbox visibility, claiming, completing with validated forms."""

from __future__ import annotations

import pytest

from engine import Conflict, Forbidden, InvalidInput, NotFound, ProcessEngine
from tests.engine.conftest import Org, process_files, table_counts


@pytest.fixture
def case(engine: ProcessEngine, org: Org) -> str:
    engine.repository.deploy(org["designer"], process_files("form_task.bpmn", "fill.json"))
    applicant = org["applicant"]
    view = engine.runtime.start(
        org["staff_D1"], "form_task", variables={"company": "梧桐<精密>"}, applicant_id=applicant.user_id
    )
    return view.id


def open_task(engine: ProcessEngine, org: Org, case: str, activity: str) -> str:
    view = engine.runtime.get(org["admin"], case)
    return next(t.id for t in view.open_tasks if t.activity_id == activity)


def test_lane_named_by_code_routes_to_that_department(engine: ProcessEngine, org: Org, case: str) -> None:
    view = engine.runtime.get(org["staff_D1"], case)
    assert [(t.activity_id, t.department) for t in view.open_tasks] == [("fill", "D1")]


def test_lanes_named_by_chinese_or_english_name_route_to_the_department(
    engine: ProcessEngine, org: Org, case: str
) -> None:
    engine.tasks.complete(org["staff_D1"], open_task(engine, org, case, "fill"), {"amount": 3, "email": "a@b.cn"})
    review = engine.runtime.get(org["admin"], case).open_tasks[0]
    assert (review.activity_id, review.department) == ("review", "D2")
    engine.tasks.complete(org["staff_D2"], review.id)
    check = engine.runtime.get(org["admin"], case).open_tasks[0]
    assert (check.activity_id, check.department) == ("check", "D3")


def test_applicant_lane_goes_to_the_cases_applicant(engine: ProcessEngine, org: Org, case: str) -> None:
    engine.tasks.complete(org["staff_D1"], open_task(engine, org, case, "fill"), {"amount": 3, "email": "a@b.cn"})
    engine.tasks.complete(org["staff_D2"], open_task(engine, org, case, "review"))
    engine.tasks.complete(org["staff_D3"], open_task(engine, org, case, "check"))
    confirm = engine.runtime.get(org["applicant"], case).open_tasks
    assert [(t.activity_id, t.assignee) for t in confirm] == [("confirm", org["applicant"].user_id)]
    result = engine.tasks.complete(org["applicant"], confirm[0].id, {"satisfied": True})
    assert result.case_state == "completed"
    assert result.task.acting_for is None


def test_staff_completing_an_applicant_step_is_recorded_as_acting_for_the_company(
    engine: ProcessEngine, org: Org, case: str
) -> None:
    engine.tasks.complete(org["staff_D1"], open_task(engine, org, case, "fill"), {"amount": 3, "email": "a@b.cn"})
    engine.tasks.complete(org["staff_D2"], open_task(engine, org, case, "review"))
    engine.tasks.complete(org["staff_D3"], open_task(engine, org, case, "check"))
    confirm = open_task(engine, org, case, "confirm")
    result = engine.tasks.complete(org["staff_D1"], confirm, {"satisfied": True})
    assert result.task.completed_by == org["staff_D1"].user_id
    assert result.task.acting_for == org["applicant"].user_id
    events = engine.history.case_events(org["auditor"], case)
    assert any(e.action == "task.completed" and e.acting_for == org["applicant"].user_id for e in events)


def test_form_errors_name_every_bad_field_and_change_nothing(engine: ProcessEngine, org: Org, case: str) -> None:
    task = open_task(engine, org, case, "fill")
    before = table_counts(engine)
    with pytest.raises(InvalidInput) as raised:
        engine.tasks.complete(org["staff_D1"], task, {"amount": 0, "email": "not-an-email", "items": [{}]})
    fields = sorted(p.field or "" for p in raised.value.problems)
    assert fields == ["/amount", "/email", "/items/0/name"]
    assert table_counts(engine) == before
    assert engine.tasks.get(org["staff_D1"], task).state == "open"


def test_missing_required_field_is_reported_by_its_pointer(engine: ProcessEngine, org: Org, case: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        engine.tasks.complete(org["staff_D1"], open_task(engine, org, case, "fill"), {"amount": 2})
    assert [p.field for p in raised.value.problems] == ["/email"]


def test_a_typename_key_in_submitted_data_is_refused(engine: ProcessEngine, org: Org, case: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        engine.tasks.complete(
            org["staff_D1"],
            open_task(engine, org, case, "fill"),
            {"amount": 2, "email": "a@b.cn", "extra": {"typename": "x"}},
        )
    assert [p.field for p in raised.value.problems] == ["/extra/typename"]


def test_instructions_are_rendered_with_autoescape(engine: ProcessEngine, org: Org, case: str) -> None:
    view = engine.tasks.get(org["staff_D1"], open_task(engine, org, case, "fill"))
    assert view.instructions == "Request of 梧桐&lt;精密&gt; for ?"
    assert view.form is not None and view.form["required"] == ["amount", "email"]


def test_completing_an_unclaimed_task_claims_it_for_the_caller(engine: ProcessEngine, org: Org, case: str) -> None:
    task = open_task(engine, org, case, "fill")
    result = engine.tasks.complete(org["staff_D1"], task, {"amount": 1, "email": "a@b.cn"})
    assert result.task.state == "completed"
    assert result.task.assignee == org["staff_D1"].user_id
    assert [t.activity_id for t in result.open_tasks] == []  # review belongs to D2, not visible to D1 staff


def test_open_tasks_after_completion_list_only_what_the_caller_sees(engine: ProcessEngine, org: Org, case: str) -> None:
    result = engine.tasks.complete(org["admin"], open_task(engine, org, case, "fill"), {"amount": 1, "email": "a@b.cn"})
    assert [t.activity_id for t in result.open_tasks] == ["review"]


def test_a_task_claimed_by_someone_else_cannot_be_claimed_or_completed(
    engine: ProcessEngine, org: Org, case: str
) -> None:
    task = open_task(engine, org, case, "fill")
    engine.tasks.claim(org["staff_D1"], task)
    with pytest.raises(Conflict):
        engine.tasks.claim(org["supervisor_D1"], task)
    with pytest.raises(Conflict):
        engine.tasks.complete(org["supervisor_D1"], task, {"amount": 1, "email": "a@b.cn"})


def test_claim_then_unclaim_reopens_the_task(engine: ProcessEngine, org: Org, case: str) -> None:
    task = open_task(engine, org, case, "fill")
    assert engine.tasks.claim(org["staff_D1"], task).state == "claimed"
    reopened = engine.tasks.unclaim(org["staff_D1"], task)
    assert (reopened.state, reopened.assignee) == ("open", None)


def test_a_supervisor_may_unclaim_a_task_of_their_department(engine: ProcessEngine, org: Org, case: str) -> None:
    task = open_task(engine, org, case, "fill")
    engine.tasks.claim(org["staff_D1"], task)
    assert engine.tasks.unclaim(org["supervisor_D1"], task).state == "open"


def test_completing_a_completed_task_is_a_conflict(engine: ProcessEngine, org: Org, case: str) -> None:
    task = open_task(engine, org, case, "fill")
    engine.tasks.complete(org["staff_D1"], task, {"amount": 1, "email": "a@b.cn"})
    with pytest.raises(Conflict):
        engine.tasks.complete(org["staff_D1"], task, {"amount": 1, "email": "a@b.cn"})


def test_another_departments_task_is_not_found(engine: ProcessEngine, org: Org, case: str) -> None:
    task = open_task(engine, org, case, "fill")
    with pytest.raises(NotFound):
        engine.tasks.get(org["staff_D2"], task)
    with pytest.raises(NotFound):
        engine.tasks.complete(org["staff_D2"], task, {"amount": 1, "email": "a@b.cn"})


def test_auditors_see_tasks_but_may_not_work_them(engine: ProcessEngine, org: Org, case: str) -> None:
    task = open_task(engine, org, case, "fill")
    assert engine.tasks.get(org["auditor"], task).activity_id == "fill"
    with pytest.raises(Forbidden):
        engine.tasks.claim(org["auditor"], task)


def test_inbox_lists_only_the_callers_departments(engine: ProcessEngine, org: Org, case: str) -> None:
    assert [t.activity_id for t in engine.tasks.list(org["staff_D1"], state="open").items] == ["fill"]
    assert engine.tasks.list(org["staff_D2"], state="open").total == 0
    assert engine.tasks.list(org["auditor"]).total == 1


def test_inbox_rejects_an_unknown_state_or_sort_field(engine: ProcessEngine, org: Org) -> None:
    with pytest.raises(InvalidInput):
        engine.tasks.list(org["staff_D1"], state="nonsense")
    with pytest.raises(InvalidInput):
        engine.tasks.list(org["staff_D1"], sort="-password")


def _at_confirm(engine: ProcessEngine, org: Org, case: str) -> str:
    engine.tasks.complete(org["staff_D1"], open_task(engine, org, case, "fill"), {"amount": 3, "email": "a@b.cn"})
    engine.tasks.complete(org["staff_D2"], open_task(engine, org, case, "review"))
    engine.tasks.complete(org["staff_D3"], open_task(engine, org, case, "check"))
    return open_task(engine, org, case, "confirm")


def _completed_event(engine: ProcessEngine, org: Org, case: str, task_id: str) -> tuple[bool, str | None]:
    event = next(e for e in engine.history.case_events(org["auditor"], case)
                 if e.action == "task.completed" and e.task_id == task_id)
    assert event.details is not None
    return event.details["for_applicant"], event.acting_for


def test_staff_acting_for_an_applicant_user_is_recorded_both_ways(engine: ProcessEngine, org: Org, case: str) -> None:
    confirm = _at_confirm(engine, org, case)
    engine.tasks.complete(org["staff_D1"], confirm, {"satisfied": True})
    assert _completed_event(engine, org, case, confirm) == (True, org["applicant"].user_id)


def test_staff_acting_for_a_company_without_a_user_is_recorded_for_the_applicant(
    engine: ProcessEngine, org: Org
) -> None:
    engine.repository.deploy(org["designer"], process_files("form_task.bpmn", "fill.json"))
    case = engine.runtime.start(org["staff_D1"], "form_task", variables={"company": "梧桐"}).id
    confirm = _at_confirm(engine, org, case)
    engine.tasks.complete(org["staff_D1"], confirm, {"satisfied": True})
    assert _completed_event(engine, org, case, confirm) == (True, None)


def test_the_applicant_completing_their_own_step_acts_for_nobody(engine: ProcessEngine, org: Org, case: str) -> None:
    confirm = _at_confirm(engine, org, case)
    engine.tasks.complete(org["applicant"], confirm, {"satisfied": True})
    assert _completed_event(engine, org, case, confirm) == (False, None)
