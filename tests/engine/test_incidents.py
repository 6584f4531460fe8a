"""Incidents: failing BPMN content keeps the user's action, stops at the failing element, puts the
case in error; a supervisor fixes the data and retries, and the case resumes from there."""

from __future__ import annotations

import pytest

from engine import Conflict, Forbidden, InvalidInput, ProcessEngine
from tests.engine.conftest import Org, process_files


@pytest.fixture
def deployed(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], process_files("incidents.bpmn", "pick.dmn"))


def _prepare(engine: ProcessEngine, org: Org, data: dict[str, object]) -> tuple[str, str]:
    case = engine.runtime.start(org["staff_D1"], "incidents")
    task = case.open_tasks[0].id
    result = engine.tasks.complete(org["staff_D1"], task, data)
    return case.id, result.case_state


def test_a_failing_script_puts_the_case_in_error_and_keeps_the_completed_task(
    engine: ProcessEngine, org: Org, deployed: None
) -> None:
    case, state = _prepare(engine, org, {"mode": "script", "divisor": 0})
    assert state == "error"
    view = engine.runtime.get(org["staff_D1"], case)
    assert [(i.element_id, i.code) for i in view.incidents] == [("compute", "script_failed")]
    assert "division by zero" in view.incidents[0].message
    assert view.incidents[0].data is not None and view.incidents[0].data["divisor"] == 0
    assert "prepare" in view.completed_activities
    assert "compute" in view.active_activities and "after_script" not in view.active_activities
    prepare = engine.tasks.list(org["staff_D1"], instance_id=case).items[0]
    assert (prepare.activity_id, prepare.state) == ("prepare", "completed")


def test_fixing_the_data_and_retrying_resumes_from_the_failing_element(
    engine: ProcessEngine, org: Org, deployed: None
) -> None:
    case, _ = _prepare(engine, org, {"mode": "script", "divisor": 0})
    engine.runtime.update_variables(org["supervisor_D1"], case, set_values={"divisor": 5}, reason="typo")
    view = engine.runtime.retry(org["supervisor_D1"], case)
    assert view.state == "running"
    assert [t.activity_id for t in view.open_tasks] == ["after_script"]
    assert view.incidents[0].resolved_at is not None
    assert view.variables["result"] == 2.0


def test_a_gateway_with_no_true_condition_is_an_incident(engine: ProcessEngine, org: Org, deployed: None) -> None:
    case, state = _prepare(engine, org, {"mode": "nothing"})
    assert state == "error"
    assert engine.runtime.get(org["admin"], case).incidents[0].element_id == "gw"


def test_a_dmn_table_with_no_matching_rule_is_an_incident(engine: ProcessEngine, org: Org, deployed: None) -> None:
    case, state = _prepare(engine, org, {"mode": "dmn", "category": "zzz"})
    assert state == "error"
    assert engine.runtime.get(org["admin"], case).incidents[0].element_id == "decide"
    engine.runtime.update_variables(org["supervisor_D1"], case, set_values={"category": "a"}, reason="reclassified")
    view = engine.runtime.retry(org["supervisor_D1"], case)
    assert [t.activity_id for t in view.open_tasks] == ["after_dmn"]


def test_an_unknown_department_from_assign_department_is_an_incident(
    engine: ProcessEngine, org: Org, deployed: None
) -> None:
    case, state = _prepare(engine, org, {"mode": "route", "target_department": "NOPE"})
    assert state == "error"
    view = engine.runtime.get(org["admin"], case)
    assert [(i.element_id, i.code) for i in view.incidents] == [("routed", "unknown_department")]
    assert view.open_tasks == ()
    engine.runtime.update_variables(org["supervisor_D1"], case, set_values={"target_department": "D3"}, reason="x")
    assert engine.runtime.retry(org["supervisor_D1"], case).state == "running"
    view = engine.runtime.get(org["admin"], case)
    assert [(t.activity_id, t.department) for t in view.open_tasks] == [("routed", "D3")]
    assert view.variables["target_department"] == "D3"


def test_assign_department_routes_at_run_time(engine: ProcessEngine, org: Org, deployed: None) -> None:
    case, state = _prepare(engine, org, {"mode": "route", "target_department": "D2"})
    assert state == "running"
    assert [t.department for t in engine.runtime.get(org["admin"], case).open_tasks] == ["D2"]


def test_changing_variables_needs_a_reason(engine: ProcessEngine, org: Org, deployed: None) -> None:
    case, _ = _prepare(engine, org, {"mode": "script", "divisor": 0})
    with pytest.raises(InvalidInput) as raised:
        engine.runtime.update_variables(org["supervisor_D1"], case, set_values={"divisor": 1}, reason=" ")
    assert raised.value.problems[0].field == "/reason"


def test_staff_may_not_fix_data_or_retry(engine: ProcessEngine, org: Org, deployed: None) -> None:
    case, _ = _prepare(engine, org, {"mode": "script", "divisor": 0})
    with pytest.raises(Forbidden):
        engine.runtime.update_variables(org["staff_D1"], case, set_values={"divisor": 1}, reason="x")
    with pytest.raises(Forbidden):
        engine.runtime.retry(org["staff_D1"], case)


def test_retrying_a_running_case_is_a_conflict(engine: ProcessEngine, org: Org, deployed: None) -> None:
    case = engine.runtime.start(org["staff_D1"], "incidents")
    with pytest.raises(Conflict):
        engine.runtime.retry(org["supervisor_D1"], case.id)


def test_incidents_are_listed_for_those_who_see_the_case(engine: ProcessEngine, org: Org, deployed: None) -> None:
    case, _ = _prepare(engine, org, {"mode": "script", "divisor": 0})
    assert [i.instance_id for i in engine.runtime.incidents(org["auditor"])] == [case]
    assert engine.runtime.incidents(org["staff_D2"]) == []
