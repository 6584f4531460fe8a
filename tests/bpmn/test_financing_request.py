"""融资需求对接: the center collects the need, the innovation & development bureau matches lenders,
the company reports the outcome, unfunded needs are followed up, the center closes the case."""

from __future__ import annotations

import pytest

from engine import InvalidInput
from tests.bpmn.desk import Desk
from tests.bpmn.scenarios import fr_collect, fr_match, fr_story


def test_need_goes_from_the_center_to_the_innovation_bureau_to_the_company(desk: Desk) -> None:
    case = desk.start("financing_request")
    assert desk.task(case, "collect_need").department == "ops_center"
    fr_collect(desk, case)
    assert desk.task(case, "match_lenders").department == "innovation_dev"
    fr_match(desk, case)
    assert desk.task(case, "report_outcome").assignee == desk.org["jinggong.applicant"].user_id


@pytest.mark.parametrize("outcome", ["funded", "partially_funded"])
def test_funded_request_is_closed_without_follow_up(desk: Desk, outcome: str) -> None:
    case = fr_story(desk, outcome)
    view = desk.view(case)
    assert view.state == "completed" and view.variables["outcome"] == outcome
    assert "follow_up_unfunded" not in view.completed_activities


def test_unfunded_request_is_followed_up_by_the_financial_affairs_office(desk: Desk) -> None:
    case = desk.start("financing_request")
    fr_collect(desk, case)
    fr_match(desk, case)
    desk.complete(case, "report_outcome", {"financing_outcome": "not_funded", "satisfaction": 3})
    assert [(t.activity_id, t.department) for t in desk.open_tasks(case)] == [("follow_up_unfunded", "finance_office")]


def test_funded_outcome_needs_the_amount_and_the_lender(desk: Desk) -> None:
    case = desk.start("financing_request")
    fr_collect(desk, case)
    fr_match(desk, case)
    with pytest.raises(InvalidInput) as refused:
        desk.submit(case, "report_outcome", {"financing_outcome": "funded", "satisfaction": 5}, by="jinggong.applicant")
    assert {p.field for p in refused.value.problems} == {"/funded_amount_wan", "/lender"}


def test_company_raises_a_financing_request_itself(desk: Desk) -> None:
    case = desk.start("financing_request", by="songyue.applicant")
    view = desk.view(case, as_="songyue.applicant")
    assert view.department == "ops_center"
    assert desk.task(case, "collect_need").department == "ops_center"


def test_closed_request_records_the_ledger_attributes(desk: Desk) -> None:
    variables = desk.view(fr_story(desk, "funded")).variables
    assert {k: variables[k] for k in ("category", "lead_department", "accepted", "closed", "amount_wan")} == {
        "category": "financing",
        "lead_department": "innovation_dev",
        "accepted": True,
        "closed": True,
        "amount_wan": 500,
    }
