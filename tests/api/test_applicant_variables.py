"""What a company sees of its own case (issue 10.10): the variables its process declares in
``applicantVariables``; without the property, the fields it submitted itself and those of the
``applicant`` lane's forms. Internal opinions (``assist_opinions``, ``review_opinion``) stay out of
the case view, task data, instructions, the history and its exports.

The shipped 企业问题一口受理 (enterprise_problem) is run through the HTTP API with the demo organisation.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import bpmn
from engine import FrozenClock, ProcessEngine
from engine.errors import EngineError
from tests.bpmn.conftest import clock, engine, org  # noqa: F401 (the demo organisation's fixtures)
from tests.bpmn.desk import ApiDesk, Org
from tests.bpmn.scenarios import EP_LEAD_REPLY, ep_accept, ep_confirm, ep_handle, ep_review, ep_start

APPLICANT = "songyue.applicant"
STAFF = "ops_center.staff1"
INTERNAL = ("assist_opinions", "assist_opinion", "review_opinion", "close_decision", "handling_measures")
EP_FILE = "enterprise_problem.bpmn"


@pytest.fixture
def desk(engine: ProcessEngine, org: Org, clock: FrozenClock) -> ApiDesk:  # noqa: F811
    made = ApiDesk.around(engine, org, clock)
    made.deploy(bpmn.process_files())
    return made


def _reopen(desk: ApiDesk, case: str) -> None:
    """The center reopens the case: the company confirms again, after every internal opinion was given."""
    ep_accept(desk, case, "land_construction")
    ep_handle(desk, case)
    ep_confirm(desk, case, accepted=False, satisfaction=2)
    ep_review(desk, case, "reopen")
    again = {**EP_LEAD_REPLY, "handling_measures": "再次上门", "reply_to_company": "已再次处理"}
    desk.complete(case, "lead_rehandle", again)


def _reopened(desk: ApiDesk) -> str:
    case = ep_start(desk)
    _reopen(desk, case)
    return case


def _get(desk: ApiDesk, path: str, as_: str, **query: str) -> Any:
    return desk.request("GET", path, as_=as_, expect=200, query_string=query)


def _named(names: tuple[str, ...], text: str) -> list[str]:
    """The names that occur in ``text`` as whole words."""
    return [name for name in names if re.search(rf"\b{name}\b", text)]


def _open_confirmation(desk: ApiDesk, case: str) -> str:
    return desk.task(case, "applicant_confirm").id


def test_the_applicant_sees_the_declared_variables_of_the_case_and_no_internal_one(desk: ApiDesk) -> None:
    case = _reopened(desk)
    seen = _get(desk, f"/process-instances/{case}", APPLICANT).get_json()["variables"]
    assert not set(INTERNAL) & set(seen)
    shown = {"company_name": "河南嵩岳新材料科技有限公司", "reply_to_company": "已再次处理", "satisfaction": 2}
    assert shown.items() <= seen.items()
    declared = re.search(r'name="applicantVariables" value="([^"]*)"', bpmn.process_files()[EP_FILE].decode())
    assert declared is not None and set(seen) <= {name.strip() for name in declared.group(1).split(",")}
    staff = _get(desk, f"/process-instances/{case}", STAFF).get_json()["variables"]
    assert {"assist_opinions", "review_opinion"} <= set(staff)


def test_the_applicant_reads_its_task_without_internal_data(desk: ApiDesk) -> None:
    case = _reopened(desk)
    task = _open_confirmation(desk, case)
    seen = _get(desk, f"/tasks/{task}", APPLICANT).get_json()
    assert not set(INTERNAL) & set(seen["data"])
    assert seen["data"]["reply_to_company"] == "已再次处理"
    assert "已再次处理" in seen["instructions"]
    assert {"assist_opinions", "review_opinion"} <= set(_get(desk, f"/tasks/{task}", STAFF).get_json()["data"])
    claimed = desk.request("POST", f"/tasks/{task}/claim", as_=APPLICANT, expect=200).get_json()
    assert not set(INTERNAL) & set(claimed["data"])


def test_the_applicants_history_and_its_exports_leave_internal_values_out(desk: ApiDesk) -> None:
    case = _reopened(desk)
    path = f"/process-instances/{case}/history"
    timeline = _get(desk, path, APPLICANT, page_size="200").get_json()  # the whole timeline, activities too
    text = json.dumps(timeline, ensure_ascii=False)
    assert not _named(INTERNAL, text)  # as names; an element id such as close_decision_gateway is no variable
    assert "reply_to_company" in text and "satisfaction" in text  # declared: shown
    for fmt in ("csv", "json"):
        export = _get(desk, path, APPLICANT, format=fmt).get_data(as_text=True)
        assert not _named(INTERNAL, export), fmt
        assert "reply_to_company" in export
    assert "review_opinion" in json.dumps(_get(desk, path, "auditor", page_size="200").get_json())


def test_without_the_property_the_applicant_sees_its_own_fields_and_its_forms(desk: ApiDesk) -> None:
    source = bpmn.process_files()[EP_FILE].decode()
    undeclared = re.sub(r'\s*<spiffworkflow:property name="applicantVariables" value="[^"]*"/>', "", source)
    undeclared = undeclared.replace(  # the confirmation's instructions now also name an internal opinion
        "请确认是否认可办理结果", "{{ review_opinion | default('（无审核意见）') }}请确认是否认可办理结果"
    )
    assert ("enterprise_problem", 2, True) in desk.deploy({**bpmn.process_files(), EP_FILE: undeclared.encode()})
    body = {"variables": {"problem_description": "道路占用"}}
    path = "/process-definitions/key/enterprise_problem/start"
    started = desk.call("POST", path, as_=APPLICANT, expect=201, json=body)
    assert started["variables"] == body["variables"]  # its own start data, in the answer already
    case = started["id"]
    _reopen(desk, case)
    seen = _get(desk, f"/process-instances/{case}", APPLICANT).get_json()["variables"]
    assert set(seen) == {"problem_description", "result_accepted", "satisfaction", "feedback"}
    task = _get(desk, f"/tasks/{_open_confirmation(desk, case)}", APPLICANT).get_json()
    assert set(task["data"]) == set(seen)
    assert "（无审核意见）" in task["instructions"] and "重新办理" not in task["instructions"]
    staff_task = _get(desk, f"/tasks/{_open_confirmation(desk, case)}", STAFF).get_json()
    assert "企业不满意，重新办理" in staff_task["instructions"]


def test_deploy_refuses_applicant_variables_that_are_no_names(desk: ApiDesk) -> None:
    source = bpmn.process_files()[EP_FILE]
    bad = re.sub(rb'(name="applicantVariables" value=)"[^"]*"', rb'\1"a, 2nd, class"', source)
    with pytest.raises(EngineError) as refused:
        desk.deploy({**bpmn.process_files(), EP_FILE: bad})
    assert refused.value.code == "invalid_model"
    problems = [(p.element_id, p.message) for p in refused.value.problems if p.code == "invalid_applicant_variables"]
    assert [element for element, _ in problems] == ["enterprise_problem", "enterprise_problem"]
    assert "'2nd'" in problems[0][1] and "'class'" in problems[1][1]
