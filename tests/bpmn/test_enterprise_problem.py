"""企业问题一口受理: one-stop acceptance, routing by category, lead and assisting departments,
the company's confirmation and rating, strike-off or reopen."""

from __future__ import annotations

import re

import pytest

from engine import Forbidden, InvalidInput
from tests.bpmn.desk import Desk
from tests.bpmn.scenarios import (
    EP_LEAD_REPLY,
    ep_accept,
    ep_confirm,
    ep_handle,
    ep_referral_story,
    ep_rehandle,
    ep_review,
    ep_start,
    ep_story,
)

ROUTES = {  # category -> (lead department, assisting departments)
    "water_power": ("ops_center", ["power_supply", "water_supply"]),
    "land_construction": ("natural_resources", ["planning", "subdistrict", "urban_mgmt"]),
    "planning": ("planning", ["natural_resources"]),
    "financing": ("finance_office", ["innovation_dev"]),
    "premises_transport": ("innovation_dev", ["transport", "urban_mgmt"]),
    "talent_recruitment": ("hr_social", []),
    "schooling_housing": ("education", ["housing"]),
    "other": ("ops_center", []),
}


def test_every_category_goes_to_its_lead_and_assisting_departments(desk: Desk) -> None:
    for category, (lead, assisting) in ROUTES.items():
        case = ep_start(desk)
        ep_accept(desk, case, category)
        tasks = desk.open_tasks(case)
        assert [t.department for t in tasks if t.activity_id == "lead_handle"] == [lead], category
        assert sorted(str(t.department) for t in tasks if t.activity_id == "assist_handle") == assisting, category


def test_reply_limit_comes_from_the_routing_table_in_working_days(desk: Desk) -> None:
    limits = {}
    for category in ROUTES:
        case = ep_start(desk)
        ep_accept(desk, case, category)
        limits[category] = desk.view(case).variables["reply_limit"]
    assert all(re.fullmatch(r"P\d+D", limit) for limit in limits.values())
    assert limits["land_construction"] == "P15D" and limits["other"] == "P5D"


def test_referred_problem_ends_not_accepted_with_its_reason(desk: Desk) -> None:
    case = ep_referral_story(desk)
    view = desk.view(case)
    assert view.state == "completed"
    assert (view.variables["accepted"], view.variables["closed"], view.variables["outcome"]) == (
        False,
        False,
        "referred",
    )
    assert view.variables["referred_to"] == "郑州高新区人民法院"
    assert "route_problem" not in view.completed_activities


def test_referral_needs_a_reason_and_a_destination(desk: Desk) -> None:
    case = ep_start(desk)
    data = {
        "company_name": "河南嵩岳新材料科技有限公司",
        "source": "hotline",
        "category": "other",
        "problem_description": "合同纠纷",
        "contact_person": "刘慧芳",
        "contact_phone": "13900000002",
        "acceptance": "refer",
    }
    with pytest.raises(InvalidInput) as refused:
        desk.submit(case, "accept_problem", data, by="ops_center.staff1")
    assert {p.field for p in refused.value.problems} == {"/referral_reason", "/referred_to"}
    assert desk.open_activities(case) == ["accept_problem"]


def test_each_assisting_department_gives_its_own_opinion(desk: Desk) -> None:
    case = ep_start(desk)
    ep_accept(desk, case, "land_construction")
    ep_handle(desk, case)
    opinions = desk.view(case).variables["assist_opinions"]
    assert sorted(opinions) == [f"{d} 同意承办部门方案" for d in ("planning", "subdistrict", "urban_mgmt")]


def test_confirmation_waits_for_the_lead_reply_and_every_assisting_department(desk: Desk) -> None:
    case = ep_start(desk)
    ep_accept(desk, case, "land_construction")
    desk.complete(case, "lead_handle", EP_LEAD_REPLY)
    for department in ("planning", "urban_mgmt"):
        desk.complete(case, "assist_handle", {"assist_opinion": "同意"}, department=department)
        assert "applicant_confirm" not in desk.open_activities(case)
    desk.complete(case, "assist_handle", {"assist_opinion": "同意"}, department="subdistrict")
    assert desk.open_activities(case) == ["applicant_confirm"]


def test_assisting_departments_may_answer_before_the_lead_department(desk: Desk) -> None:
    case = ep_start(desk)
    ep_accept(desk, case, "planning")
    desk.complete(case, "assist_handle", {"assist_opinion": "同意"}, department="natural_resources")
    assert desk.open_activities(case) == ["lead_handle"]
    desk.complete(case, "lead_handle", EP_LEAD_REPLY)
    assert desk.open_activities(case) == ["applicant_confirm"]


def test_problem_without_assisting_departments_goes_from_the_lead_reply_to_confirmation(desk: Desk) -> None:
    case = ep_start(desk)
    ep_accept(desk, case, "talent_recruitment")
    assert desk.open_activities(case) == ["lead_handle"]
    desk.complete(case, "lead_handle", EP_LEAD_REPLY)
    assert desk.open_activities(case) == ["applicant_confirm"]
    assert "assist_handle" not in desk.view(case).completed_activities


def test_applicant_confirms_and_rates_the_result(desk: Desk) -> None:
    case = ep_start(desk)
    ep_accept(desk, case, "talent_recruitment")
    ep_handle(desk, case)
    assert desk.task(case, "applicant_confirm").assignee == desk.org["songyue.applicant"].user_id
    ep_confirm(desk, case, satisfaction=4)
    assert desk.view(case).variables["satisfaction"] == 4


def test_rating_outside_one_to_five_is_refused(desk: Desk) -> None:
    case = ep_start(desk)
    ep_accept(desk, case, "talent_recruitment")
    ep_handle(desk, case)
    with pytest.raises(InvalidInput) as refused:
        desk.submit(case, "applicant_confirm", {"result_accepted": True, "satisfaction": 6}, by="songyue.applicant")
    assert [p.field for p in refused.value.problems] == ["/satisfaction"]


def test_struck_off_problem_is_closed(desk: Desk) -> None:
    case = ep_story(desk, "planning")
    view = desk.view(case)
    assert view.state == "completed"
    assert (view.variables["closed"], view.variables["outcome"]) == (True, "resolved")


def test_reopened_problem_goes_back_to_the_lead_department(desk: Desk) -> None:
    case = ep_start(desk)
    ep_accept(desk, case, "land_construction")
    ep_handle(desk, case)
    ep_confirm(desk, case, accepted=False, satisfaction=2)
    ep_review(desk, case, "reopen")
    assert [(t.activity_id, t.department) for t in desk.open_tasks(case)] == [("lead_rehandle", "natural_resources")]
    ep_rehandle(desk, case)
    assert desk.open_activities(case) == ["applicant_confirm"]
    assert desk.view(case).variables["reopen_count"] == 1


def test_reopening_beyond_the_cap_strikes_the_case_off(desk: Desk) -> None:
    case = ep_start(desk)
    ep_accept(desk, case, "talent_recruitment", max_reopens=1)
    ep_handle(desk, case)
    ep_confirm(desk, case, accepted=False, satisfaction=1)
    ep_review(desk, case, "reopen")
    ep_rehandle(desk, case)
    ep_confirm(desk, case, accepted=False, satisfaction=1)
    ep_review(desk, case, "reopen")
    view = desk.view(case)
    assert view.state == "completed"
    assert (view.variables["reopen_count"], view.variables["outcome"]) == (1, "reopen_limit_reached")


def test_company_raises_a_problem_itself_and_the_center_accepts_it(desk: Desk) -> None:
    case = desk.start("enterprise_problem", by="songyue.applicant")
    view = desk.view(case, as_="songyue.applicant")
    assert view.department == "ops_center" and view.applicant_id == desk.org["songyue.applicant"].user_id
    assert desk.task(case, "accept_problem").department == "ops_center"


def test_a_company_without_an_account_cannot_raise_a_problem(desk: Desk) -> None:
    """The company rates the result itself (``applicantOnly``): a case without its user could never end."""
    with pytest.raises(InvalidInput) as refused:
        ep_start(desk, applicant=None)
    assert [p.field for p in refused.value.problems] == ["/applicant_id"]


def test_staff_may_not_confirm_and_rate_for_the_company(desk: Desk) -> None:
    case = ep_start(desk)
    ep_accept(desk, case, "talent_recruitment")
    ep_handle(desk, case)
    with pytest.raises(Forbidden) as refused:
        desk.submit(
            case, "applicant_confirm", {"result_accepted": True, "satisfaction": 5}, by="ops_center.staff1"
        )
    assert refused.value.code == "applicant_only_step"
