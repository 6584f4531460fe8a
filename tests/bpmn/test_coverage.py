"""Together, the stories of each process reach every flow node, every gateway branch and every
sequence flow of the deployed XML (read back from the deployment, checked against the cases'
``completed_activities``; a cycle timer, which keeps waiting after it fires, counts as reached
through the work it alone leads to, see ``ModelIndex.reached``); along the way every user task
routes to its intended department, refuses data missing a required field and renders its
instructions; and the stories end the same when every command reloads its case from the database.

Everything here runs through the HTTP API (the ``api`` desk): the XML comes from
``GET /process-definitions/{id}/xml``, the completed activities from ``GET /process-instances/{id}``,
and every step is taken with the acting user's token. The API calls the same engine services as the
``engine`` desk, so a second pass through those would prove nothing more; the per-process tests run
on both desks."""

from __future__ import annotations

import re

import pytest

from tests.bpmn.desk import ApiDesk, Desk, ModelIndex, make_engine
from tests.bpmn.scenarios import STORIES

pytestmark = pytest.mark.parametrize("desk", [ApiDesk.kind], indirect=True)

APPLICANT = "applicant"
INTENDED: dict[str, dict[str, set[str] | str]] = {
    "utility_connection": {
        "accept_request": {"ops_center"},
        "survey_design": {"water_supply", "power_supply"},
        "estimate_cost": {"water_supply", "power_supply"},
        "approve_cost": {"innovation_dev"},
        "supervisor_cost_decision": {"ops_center"},
        "set_construction_window": {"road_bridge"},
        "clear_earthwork": {"municipal_works"},
        "grant_dig_permit": {"urban_mgmt"},
        "coordinate_land_access": {"subdistrict"},
        "village_consent": {"village"},
        "site_meeting": {"ops_center"},
        "report_progress": {"water_supply", "power_supply"},
        "acknowledge_progress_reminder": {"water_supply"},
        "confirm_supply": APPLICANT,
        "close_case": {"ops_center"},
    },
    "enterprise_problem": {
        "accept_problem": {"ops_center"},
        "lead_handle": {"natural_resources", "hr_social"},
        "assist_handle": {"planning", "urban_mgmt", "subdistrict"},
        "applicant_confirm": APPLICANT,
        "center_review": {"ops_center"},
        "lead_rehandle": {"natural_resources"},
    },
    "financing_request": {
        "collect_need": {"ops_center"},
        "match_lenders": {"innovation_dev"},
        "report_outcome": APPLICANT,
        "follow_up_unfunded": {"finance_office"},
        "close_case": {"ops_center"},
    },
}


def play(desk: Desk, key: str) -> tuple[ModelIndex, dict[str, tuple[str, ...]]]:
    """Run every story of a process; the deployed model and each case's completed activities."""
    completed = {}
    for story in STORIES[key]:
        case = story(desk)
        view = desk.view(case)
        assert view.state == "completed", (view.state, view.incidents, view.active_activities)
        completed[case] = view.completed_activities
    return desk.model(key), completed


@pytest.mark.parametrize("key", sorted(STORIES))
def test_stories_reach_every_flow_node(desk: Desk, key: str) -> None:
    index, completed = play(desk, key)
    reached = set().union(*(index.reached(activities) for activities in completed.values()))
    assert sorted(index.flow_nodes - reached) == []


@pytest.mark.parametrize("key", sorted(STORIES))
def test_stories_take_every_gateway_branch(desk: Desk, key: str) -> None:
    index, completed = play(desk, key)
    taken = set().union(*(index.flows_taken(activities) for activities in completed.values()))
    assert index.gateway_branches  # every process decides something
    assert sorted(index.gateway_branches - taken) == []


@pytest.mark.parametrize("key", sorted(STORIES))
def test_stories_take_every_sequence_flow(desk: Desk, key: str) -> None:
    index, completed = play(desk, key)
    taken = set().union(*(index.flows_taken(activities) for activities in completed.values()))
    assert sorted(set(index.flows) - taken) == []


@pytest.mark.parametrize("key", sorted(STORIES))
def test_every_form_refuses_data_missing_a_required_field(desk: Desk, key: str) -> None:
    desk.check_forms = True
    index, _ = play(desk, key)
    assert set(desk.forms_checked) == set(index.user_tasks)
    assert all(desk.forms_checked.values())


@pytest.mark.parametrize("key", sorted(STORIES))
def test_every_user_task_routes_to_its_intended_department(desk: Desk, key: str) -> None:
    index, _ = play(desk, key)
    intended = INTENDED[key]
    assert set(intended) == set(index.user_tasks)
    seen: dict[str, set[str]] = {}
    for routed in desk.routed:
        expected = intended[routed.activity_id]
        if expected == APPLICANT:
            case = desk.view(routed.case)
            assert routed.department == case.department == "ops_center"
            assert routed.assignee == case.applicant_id is not None
            assert routed.completed_by == desk.org.by_id(case.applicant_id).username
        else:
            assert routed.assignee is None and routed.department in expected, routed
            assert routed.completed_by.startswith(f"{routed.department}.")
        seen.setdefault(routed.activity_id, set()).add(str(routed.department))
    for activity, expected in intended.items():
        lane = index.lane_of[activity]
        if expected == APPLICANT:
            assert lane == APPLICANT, activity
            continue
        assert seen[activity] == expected, activity
        if index.property_of(activity, "assignDepartment") is None:
            assert expected == {lane}, activity


@pytest.mark.parametrize("key", sorted(STORIES))
def test_every_user_task_shows_its_instructions_rendered_in_chinese(desk: Desk, key: str) -> None:
    index, _ = play(desk, key)
    assert set(desk.instructions) == set(index.user_tasks)
    for activity, rendered in desk.instructions.items():
        for text in rendered:
            assert text and re.search(r"[\u4e00-\u9fff]", text), activity
            assert "could not be rendered" not in text and "{{" not in text and "{%" not in text, (activity, text)


@pytest.mark.parametrize("key", sorted(STORIES))
def test_stories_run_the_same_with_every_case_reloaded_from_the_database(
    database_url: str, desk: Desk, key: str
) -> None:
    cached_index, cached = play(desk, key)
    uncached_engine = make_engine(database_url, desk.clock, cache_cases=False)
    try:
        _, uncached = play(desk.on(uncached_engine), key)
    finally:
        uncached_engine.close()
    assert [sorted(a) for a in uncached.values()] == [sorted(a) for a in cached.values()]
    assert set().union(*(cached_index.reached(a) for a in uncached.values())) == cached_index.flow_nodes
