"""用水/用电接入协调: the water-connection story, driven through the engine services and through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import Forbidden, NotFound
from engine.consistency import live_document, stored_document
from tests.bpmn.desk import Desk
from tests.bpmn.scenarios import (
    UC_REMINDER_PERIOD,
    uc_accept,
    uc_acknowledge_reminder,
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
    uc_week_passes,
)

REMINDER = "acknowledge_progress_reminder"

PARALLEL_START = {
    "survey_design": "water_supply",
    "set_construction_window": "road_bridge",
    "clear_earthwork": "municipal_works",
    "grant_dig_permit": "urban_mgmt",
    "coordinate_land_access": "subdistrict",
}


def test_accepting_the_request_opens_work_for_every_unit_at_once(desk: Desk) -> None:
    case = uc_accept(desk)
    assert {t.activity_id: t.department for t in desk.open_tasks(case)} == PARALLEL_START


def test_village_committee_confirms_after_the_sub_district_office(desk: Desk) -> None:
    case = uc_accept(desk)
    assert "village_consent" not in desk.open_activities(case)
    uc_units(desk, case)
    assert desk.completed_count(case, "village_consent") == 1


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
    view = desk.task_detail(task.id, as_="water_supply.staff2")
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
    assert desk.completed_count(case, "estimate_cost") == desk.completed_count(case, "approve_cost") == 2


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
    assert desk.completed_count(case, "estimate_cost") == 3


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
    assert view.variables["closed"] is False and view.variables["outcome"] == "terminated"
    cancelled = desk.tasks(case, state="cancelled")
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
    assert desk.completed_count(case, "report_progress") == 4


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
        desk.submit(
            case,
            "supervisor_cost_decision",
            {"supervisor_decision": "terminate", "decision_reason": "x"},
            by="ops_center.staff1",
        )
    assert "supervisor_cost_decision" in desk.open_activities(case)


# --- the weekly progress reminder ------------------------------------------------------------------


def _under_construction(desk: Desk, *, utility_type: str = "water") -> str:
    """A case whose site meeting was just held: the progress reports (and the reminder) have begun."""
    case = uc_accept(desk, utility_type=utility_type)
    uc_survey(desk, case)
    uc_units(desk, case)
    uc_cost(desk, case)
    uc_site_meeting(desk, case)
    return case


def _open_reminders(desk: Desk, case: str) -> list[str | None]:
    return [t.department for t in desk.open_tasks(case) if t.activity_id == REMINDER]


def test_first_reminder_comes_seven_days_after_construction_starts(desk: Desk) -> None:
    case = _under_construction(desk)
    desk.pass_time(UC_REMINDER_PERIOD - timedelta(minutes=1))
    assert _open_reminders(desk, case) == []
    desk.pass_time(timedelta(minutes=2))
    assert _open_reminders(desk, case) == ["water_supply"]


def test_reminder_comes_every_week_whether_or_not_progress_was_reported(desk: Desk) -> None:
    case = _under_construction(desk)
    uc_week_passes(desk)
    uc_report_progress(desk, case, 30)
    uc_week_passes(desk)
    assert _open_reminders(desk, case) == ["water_supply", "water_supply"]
    assert "report_progress" in desk.open_activities(case)


def test_no_reminder_comes_before_construction_starts(desk: Desk) -> None:
    case = uc_accept(desk)
    uc_survey(desk, case)
    uc_units(desk, case)
    uc_cost(desk, case)
    uc_week_passes(desk)
    uc_week_passes(desk)
    assert desk.open_activities(case) == ["site_meeting"]


def test_no_reminder_comes_once_construction_is_complete(desk: Desk) -> None:
    case = _under_construction(desk)
    uc_report_progress(desk, case, 100, completed=True)
    for _ in range(3):
        uc_week_passes(desk)
    view = desk.view(case)
    assert view.open_tasks == () and "wait_supply_connected" in view.active_activities


def test_acknowledging_a_reminder_keeps_the_note_and_leaves_the_reports_running(desk: Desk) -> None:
    case = _under_construction(desk)
    uc_week_passes(desk)
    uc_acknowledge_reminder(desk, case)
    assert desk.open_activities(case) == ["report_progress"]
    assert desk.view(case).variables["reminder_note"] == "本周五前报告进度，路面破除需城管局配合"
    assert desk.completed_count(case, REMINDER) == 1


def test_power_connection_reminders_go_to_the_power_supply_company(desk: Desk) -> None:
    case = _under_construction(desk, utility_type="power")
    uc_week_passes(desk)
    assert _open_reminders(desk, case) == ["power_supply"]


def test_unacknowledged_reminder_stays_open_after_construction_completes(desk: Desk) -> None:
    case = _under_construction(desk)
    uc_week_passes(desk)
    uc_report_progress(desk, case, 100, completed=True)
    assert _open_reminders(desk, case) == ["water_supply"]
    live = live_document(desk.engine, case)
    assert live is not None and stored_document(desk.engine, case) == live


def test_case_with_a_weekly_reminder_under_way_reloads_exactly(desk: Desk) -> None:
    case = _under_construction(desk)
    uc_week_passes(desk)
    uc_acknowledge_reminder(desk, case)
    uc_week_passes(desk)
    uc_report_progress(desk, case, 40)
    live = live_document(desk.engine, case)
    assert live is not None and stored_document(desk.engine, case) == live
