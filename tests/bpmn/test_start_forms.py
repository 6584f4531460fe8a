"""The shipped processes' start forms: what a company or the desk enters when raising a case is
checked against the process's start form, and the entered values reach the first step."""

from __future__ import annotations

import pytest

from engine import InvalidInput
from tests.bpmn.desk import Desk

FIRST_STEP = {
    "enterprise_problem": "accept_problem",
    "financing_request": "collect_need",
    "utility_connection": "accept_request",
}


@pytest.mark.parametrize("key", sorted(FIRST_STEP))
def test_a_start_with_a_bad_credit_code_is_refused_naming_the_field(desk: Desk, key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        desk.start(key, variables={"company_name": "精工机械", "credit_code": "not a code"})
    assert {p.field for p in refused.value.problems} == {"/variables/credit_code"}


@pytest.mark.parametrize("key", sorted(FIRST_STEP))
def test_the_start_form_values_reach_the_first_step(desk: Desk, key: str) -> None:
    case = desk.start(key, variables={"company_name": "精工机械", "contact_phone": "13900000002"})

    assert desk.open_activities(case) == [FIRST_STEP[key]]
    assert desk.view(case).variables["company_name"] == "精工机械"
