"""用水/用电接入协调: the water-connection story, driven through the engine services."""

from __future__ import annotations

import pytest

from engine import Forbidden, NotFound
from tests.bpmn.desk import Desk
from tests.bpmn.scenarios import (
    uc_accept,
    uc_connect,
    uc_construct,
    uc_cost,
    uc_estimate,
    uc_finish,
    uc_report_progress,
    uc_review_cost,
    uc_site_meeting,
    uc_story,
    uc_supervisors_decide,
    uc_survey,
    uc_units,
)

PARALLEL_START = {
    "survey_design": "water_supply",
    "set_construction_window": "road_bridge",
    "clear_earthwork": "municipal_works",
    "grant_dig_permit": "urban_mgmt",
    "coordinate_land_access": "subdistrict",
}


def completed_count(desk: Desk, case: str, activity: str) -> int:
    page = desk.engine.tasks.list(desk.org["admin"], instance_id=case, state="completed", page_size=200)
    return sum(1 for t in page.items if t.activity_id == activity)


def test_accepting_the_request_opens_work_for_every_unit_at_once(desk: Desk) -> None:
    case = uc_accept(desk)
    assert {t.activity_id: t.department for t in desk.open_tasks(case)} == PARALLEL_START


def test_village_committee_confirms_after_the_sub_district_office(desk: Desk) -> None:
    case = uc_accept(desk)
    assert "village_consent" not in desk.open_activities(case)
    uc_units(desk, case)
    assert completed_count(desk, case, "village_consent") == 1


def test_site_meeting_waits_for_every_unit_and_the_settled_cost(desk: Desk) -> None:
    case = uc_accept(desk)
    uc_survey(desk, case)
    uc_cost(desk, case)
    assert "site_meeting" not in desk.open_activities(case)
    uc_units(desk, case)
    assert desk.open_activities(case) == ["site_meeting"]


def test_rejected_estimate_goes_back_to_the_utility_company_with_the_reason(desk: Desk) -> None:
    case = uc_accept(desk)
    uc_survey(desk, case)
    uc_estimate(desk, case)
    uc_review_cost(desk, case, approved=False)
    task = desk.task(case, "estimate_cost")
    assert task.department == "water_supply"
    view = desk.engine.tasks.get(desk.org["water_supply.staff2"], task.id)
    assert "第 2 轮" in (view.instructions or "") and "路面恢复费用偏高" in (view.instructions or "")


def test_rejections_up_to_the_configured_cap_go_to_the_center_supervisors(desk: Desk) -> None:
    case = uc_accept(desk, max_cost_rounds=2)
    uc_survey(desk, case)
    for _ in range(2):
        uc_estimate(desk, case)
        uc_review_cost(desk, case, approved=False)
    assert [(t.activity_id, t.department) for t in desk.open_tasks(case) if t.department == "ops_center"] == [
        ("supervisor_cost_decision", "ops_center")
    ]
    assert "estimate_cost" not in desk.open_activities(case)
    assert completed_count(desk, case, "estimate_cost") == completed_count(desk, case, "approve_cost") == 2


def test_cap_is_three_rounds_when_the_center_sets_none(desk: Desk) -> None:
    case = uc_accept(desk)
    uc_survey(desk, case)
    for _ in range(2):
        uc_estimate(desk, case)
        uc_review_cost(desk, case, approved=False)
    assert "estimate_cost" in desk.open_activities(case)
    uc_estimate(desk, case)
    uc_review_cost(desk, case, approved=False)
    assert "supervisor_cost_decision" in desk.open_activities(case)
    assert completed_count(desk, case, "estimate_cost") == 3


def test_supervisors_proceeding_settle_the_cost_they_fixed(desk: Desk) -> None:
    case = uc_story(desk, max_cost_rounds=1, supervisors="proceed")
    view = desk.view(case)
    assert view.state == "completed"
    assert view.variables["approved_cost_wan"] == 78
    assert "adopt_supervisor_cost" in view.completed_activities


def test_supervisors_terminating_end_the_case_and_cancel_open_work(desk: Desk) -> None:
    case = uc_accept(desk, max_cost_rounds=1)
    uc_survey(desk, case)
    uc_estimate(desk, case)
    uc_review_cost(desk, case, approved=False)
    uc_supervisors_decide(desk, case, "terminate")
    view = desk.view(case)
    assert view.state == "completed" and view.open_tasks == ()
    assert view.variables["closed"] is True and view.variables["outcome"] == "terminated"
    cancelled = desk.engine.tasks.list(desk.org["admin"], instance_id=case, state="cancelled").items
    assert {t.activity_id for t in cancelled} == set(PARALLEL_START) - {"survey_design"}


def test_progress_is_reported_until_construction_completes(desk: Desk) -> None:
    case = uc_accept(desk)
    uc_survey(desk, case)
    uc_units(desk, case)
    uc_cost(desk, case)
    uc_site_meeting(desk, case)
    for percent in (20, 50, 80):
        uc_report_progress(desk, case, percent)
        assert desk.task(case, "report_progress").department == "water_supply"
    uc_report_progress(desk, case, 100, completed=True)
    view = desk.view(case)
    assert view.open_tasks == () and "wait_supply_connected" in view.active_activities
    assert completed_count(desk, case, "report_progress") == 4


def _waiting_for_supply(desk: Desk, account_no: str) -> str:
    case = uc_accept(desk)
    uc_survey(desk, case, account_no=account_no)
    uc_units(desk, case)
    uc_cost(desk, case)
    uc_construct(desk, case)
    return case


def test_supply_connected_message_resumes_the_case_with_that_account_number(desk: Desk) -> None:
    first = _waiting_for_supply(desk, "GS-001")
    second = _waiting_for_supply(desk, "GS-002")
    assert uc_connect(desk, "GS-002") == (second,)
    assert desk.open_activities(second) == ["confirm_supply"]
    assert desk.view(second).variables["supply_connected_message"]["account_no"] == "GS-002"
    assert desk.open_activities(first) == [] and "wait_supply_connected" in desk.view(first).active_activities


def test_supply_connected_before_construction_completes_reaches_no_case(desk: Desk) -> None:
    case = uc_accept(desk)
    uc_survey(desk, case, account_no="GS-009")
    with pytest.raises(NotFound):
        uc_connect(desk, "GS-009")
    assert desk.view(case).state == "running"


def test_applicant_confirms_the_supply_and_the_center_closes_the_case(desk: Desk) -> None:
    case = _waiting_for_supply(desk, "GS-001")
    uc_connect(desk, "GS-001")
    confirm = desk.task(case, "confirm_supply")
    assert confirm.assignee == desk.org["jinggong.applicant"].user_id
    uc_finish(desk, case)
    view = desk.view(case)
    assert view.state == "completed"
    assert {k: view.variables[k] for k in ("accepted", "closed", "outcome", "satisfaction")} == {
        "accepted": True,
        "closed": True,
        "outcome": "resolved",
        "satisfaction": 5,
    }


def test_power_connection_is_handled_by_the_power_supply_company(desk: Desk) -> None:
    case = uc_accept(desk, utility_type="power")
    assert desk.task(case, "survey_design").department == "power_supply"
    uc_survey(desk, case)
    assert desk.task(case, "estimate_cost").department == "power_supply"
    assert desk.view(case).variables["lead_department"] == "power_supply"


def test_companies_cannot_raise_a_utility_connection_themselves(desk: Desk) -> None:
    with pytest.raises(Forbidden):
        desk.start("utility_connection", by="jinggong.applicant")


def test_only_the_centers_supervisors_take_the_cost_decision(desk: Desk) -> None:
    case = uc_accept(desk, max_cost_rounds=1)
    uc_survey(desk, case)
    uc_estimate(desk, case)
    uc_review_cost(desk, case, approved=False)
    with pytest.raises(Forbidden):
        desk.complete(
            case,
            "supervisor_cost_decision",
            {"supervisor_decision": "terminate", "decision_reason": "x"},
            by="ops_center.staff1",
        )
    assert "supervisor_cost_decision" in desk.open_activities(case)
