"""What the "start a case" and company pages read (issue 12): the processes a caller may start with
their start forms (``GET /process-definitions?startable=true``), whether the signed-in user may start
anything (``may_start`` in the session), the companies staff may open a case for (``GET /applicants``)
and where a case stands for every reader of it, its company included (``current_steps``).

Run with the shipped processes and the demo organisation through the HTTP API.
"""

from __future__ import annotations

from typing import Any

import pytest

import bpmn
from engine import FrozenClock, ProcessEngine
from engine.errors import Forbidden
from tests.bpmn.conftest import clock, engine, org  # noqa: F401 (the demo organisation's fixtures)
from tests.bpmn.desk import ApiDesk, Org
from tests.bpmn.scenarios import ep_accept, ep_start

APPLICANT = "songyue.applicant"


@pytest.fixture
def desk(engine: ProcessEngine, org: Org, clock: FrozenClock) -> ApiDesk:  # noqa: F811
    made = ApiDesk.around(engine, org, clock)
    made.deploy(bpmn.process_files())
    return made


def _startable(desk: ApiDesk, as_: str) -> dict[str, dict[str, Any]]:
    listed = desk.call("GET", "/process-definitions", as_=as_, query_string={"startable": "true"})
    return {d["key"]: d for d in listed}


def test_startable_lists_only_the_processes_the_caller_may_start(desk: ApiDesk) -> None:
    assert set(_startable(desk, "ops_center.staff1")) == {"enterprise_problem", "financing_request",
                                                           "utility_connection"}
    assert set(_startable(desk, APPLICANT)) == {"enterprise_problem", "financing_request"}
    assert _startable(desk, "water_supply.staff1") == {}  # every shipped process names startableBy=ops_center
    assert _startable(desk, "auditor") == {}


def test_a_startable_definition_carries_its_start_form_and_whether_it_needs_an_applicant(desk: ApiDesk) -> None:
    listed = _startable(desk, "ops_center.staff1")

    problem = listed["enterprise_problem"]
    assert problem["start_form"]["properties"]["company_name"]["title"] == "企业名称"
    assert problem["needs_applicant"] is True
    assert listed["financing_request"]["needs_applicant"] is False


def test_startable_lists_the_newest_version_only(desk: ApiDesk) -> None:
    files = dict(bpmn.process_files())
    files["financing_request.bpmn"] = files["financing_request.bpmn"].replace(
        "融资需求对接".encode(), "融资需求对接（二版）".encode()
    )
    desk.deploy(files)

    listed = desk.call("GET", "/process-definitions", as_="ops_center.staff1", query_string={"startable": "true"})

    assert [(d["key"], d["version"]) for d in listed if d["key"] == "financing_request"] == [("financing_request", 2)]


def test_the_session_says_whether_its_user_may_start_anything(desk: ApiDesk) -> None:
    client = desk.client
    assert client is not None

    def may_start(username: str) -> bool:
        signed = client.post("/api/v1/session", json={"username": username, "password": "pw-" + username})
        assert signed.status_code == 201, signed.get_json()
        body: dict[str, Any] = signed.get_json()
        return bool(body["user"]["may_start"])

    for username in ("ops_center.staff1", APPLICANT, "water_supply.staff1"):
        user_id = desk.org[username].user_id
        desk.call("PATCH", f"/users/{user_id}", as_="admin", json={"password": "pw-" + username})

    assert may_start("ops_center.staff1") is True
    assert may_start(APPLICANT) is True
    assert may_start("water_supply.staff1") is False


def test_staff_list_the_companies_they_may_open_a_case_for(desk: ApiDesk) -> None:
    listed = desk.call("GET", "/applicants", as_="ops_center.staff1")

    assert {(a["username"], a["company"]["name"]) for a in listed} == {
        ("jinggong.applicant", "郑州梧桐精工机械有限公司"),
        ("songyue.applicant", "河南嵩岳新材料科技有限公司"),
    }
    assert "phone" not in listed[0] and "roles" not in listed[0]


def test_a_company_may_not_list_the_other_companies(desk: ApiDesk) -> None:
    with pytest.raises(Forbidden):
        desk.call("GET", "/applicants", as_=APPLICANT)


def test_a_company_sees_which_department_has_its_problem_since_when_and_due_when(desk: ApiDesk) -> None:
    case = ep_start(desk, by=APPLICANT, applicant=None)
    ep_accept(desk, case, "land_construction")

    mine = desk.call("GET", "/process-instances", as_=APPLICANT)

    assert [c["id"] for c in mine] == [case]
    assert mine[0]["process_name"] == "企业问题一口受理"
    steps = mine[0]["current_steps"]
    assert {s["activity_id"] for s in steps} == {"lead_handle", "assist_handle"}
    lead = next(s for s in steps if s["activity_id"] == "lead_handle")
    assert lead["department"] == "natural_resources"
    assert lead["department_name"] and lead["department_name_en"]
    assert lead["name_en"] == "Lead department handles and replies"
    assert lead["since"] and lead["due_at"] and lead["due_status"] in ("on_time", "due_soon")
    assert lead["with_applicant"] is False
    assert mine[0]["open_tasks"] == []  # the departments' tasks themselves stay theirs


def test_a_step_waiting_for_the_company_is_marked_and_its_task_is_the_companys(desk: ApiDesk) -> None:
    case = ep_start(desk, by=APPLICANT, applicant=None)
    ep_accept(desk, case, "talent_recruitment")  # no assisting department
    desk.complete(case, "lead_handle", {"handling_measures": "对接招聘会", "reply_to_company": "已安排",
                                        "resolved": True})

    view = desk.call("GET", f"/process-instances/{case}", as_=APPLICANT)

    assert [(s["activity_id"], s["with_applicant"]) for s in view["current_steps"]] == [("applicant_confirm", True)]
    assert [t["activity_id"] for t in view["open_tasks"]] == ["applicant_confirm"]


def test_an_ended_case_has_no_current_steps(desk: ApiDesk) -> None:
    case = ep_start(desk)
    ep_accept(desk, case, "other", acceptance="refer")

    view = desk.call("GET", f"/process-instances/{case}", as_="ops_center.staff1")

    assert view["state"] == "completed"
    assert view["current_steps"] == []
