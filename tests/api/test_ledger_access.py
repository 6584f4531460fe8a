"""Who reads the ledger and the reports, bad filters (422 naming the parameter), the CSV and Excel
exports (formula cells escaped), and deploy checks of the ``ledger.*`` properties."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete

from engine import ProcessEngine
from engine.actors import SYSTEM
from engine.persistence.tables import ledger_cases
from tests.api import ledger_story
from tests.api.conftest import PROBLEM_JSON, Api, api_model

clock, leader, figures = ledger_story.clock, ledger_story.leader, ledger_story.figures

D1_CASES = {1, 2, 5, 7, 9, 12}  # started by staff_D1 and led by D1


def _ids(api: Api, user: str) -> set[str]:
    response = api.get("/ledger", user, query_string={"page_size": 200})
    assert response.status_code == 200, response.get_json()
    return {row["instance_id"] for row in response.get_json()}


def test_staff_see_the_ledger_rows_of_their_departments_cases(api: Api, figures: dict[int, str]) -> None:
    assert _ids(api, "staff_D1") == {figures[n] for n in D1_CASES}
    assert _ids(api, "staff_D3") == set()


def test_auditors_leaders_and_admins_see_every_ledger_row(api: Api, figures: dict[int, str], leader: str) -> None:
    assert _ids(api, "auditor") == _ids(api, leader) == _ids(api, "admin") == set(figures.values())


def test_a_leader_opens_a_ledger_rows_case_and_its_history_but_acts_on_nothing(
    api: Api, figures: dict[int, str], leader: str
) -> None:
    open_case = figures[7]  # still open: its step waits in D1
    assert api.get(f"/process-instances/{open_case}", leader).status_code == 200
    assert api.get(f"/process-instances/{open_case}/history", leader).status_code == 200
    [task] = api.get(f"/process-instances/{open_case}", "admin").get_json()["open_tasks"]
    assert api.get("/tasks?state=open", leader).get_json() == []  # no department's task list
    refused = api.call("POST", f"/tasks/{task['id']}/complete", leader, json={"data": {}})
    assert refused.status_code in (403, 404)


@pytest.mark.parametrize("path", ["/ledger", "/reports/summary", "/reports/people"])
def test_applicants_and_designers_may_not_read_the_ledger_or_reports(api: Api, path: str) -> None:
    for user in ("applicant", "designer"):
        response = api.get(path, user)
        assert response.status_code == 403 and response.get_json()["code"] == "role_required"


def test_staff_may_not_read_the_reports(api: Api) -> None:
    response = api.get("/reports/departments", "staff_D1")
    assert response.status_code == 403 and response.get_json()["code"] == "role_required"


def test_supervisors_read_their_departments_rows_of_the_reports(api: Api, figures: dict[int, str]) -> None:
    summary = api.get("/reports/summary", "supervisor_D1").get_json()
    assert summary["received"] == 6 and [g["key"] for g in summary["by_department"]] == ["D1"]
    departments = api.get("/reports/departments", "supervisor_D1").get_json()
    assert [row["key"] for row in departments["rows"]] == ["D1"]


def test_only_admins_change_the_points_rules(api: Api, leader: str) -> None:
    assert api.get("/reports/points-rules", leader).get_json()["satisfied_threshold"] == 4
    response = api.call("PUT", "/reports/points-rules", leader, json={"escalation": -5})
    assert response.status_code == 403
    assert api.get("/reports/points-rules", "admin").get_json()["escalation"] == -2


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/ledger", {"colour": "red"}, "/colour"),
        ("/ledger", {"from": "2025-13-01"}, "/from"),
        ("/ledger", {"from": "2025-03-10", "to": "2025-03-01"}, "/to"),
        ("/ledger", {"ended_from": "2025-03-10", "ended_to": "2025-03-01"}, "/ended_to"),
        ("/ledger", {"due_status": "late"}, "/due_status"),
        ("/ledger", {"sort": "colour"}, "/sort"),
        ("/ledger", {"format": "pdf"}, "/format"),
        ("/reports/summary", {"from": "yesterday"}, "/from"),
        ("/reports/summary", {"from": "2025-03-10", "to": "2025-03-01"}, "/to"),
        ("/reports/departments", {"process": "x", "colour": "red"}, "/colour"),
    ],
)
def test_bad_filters_get_422_naming_the_parameter(api: Api, path: str, query: dict[str, str], field: str) -> None:
    response = api.get(path, "auditor", query_string=query)
    assert response.status_code == 422 and response.mimetype == PROBLEM_JSON
    assert field in [item["field"] for item in response.get_json()["errors"]]


@pytest.mark.parametrize("body", [{"on_time_completion": "3"}, {"bonus": 1}, {"satisfied_threshold": 9},
                                  {"unsatisfied_threshold": 4}])
def test_bad_points_rules_get_422_and_change_nothing(api: Api, body: dict[str, object]) -> None:
    response = api.call("PUT", "/reports/points-rules", "admin", json=body)
    assert response.status_code == 422 and response.mimetype == PROBLEM_JSON
    assert [item["field"] for item in response.get_json()["errors"]] == ["/" + next(iter(body))]
    assert api.get("/reports/points-rules").get_json()["on_time_completion"] == 1


def _start_formula_case(api: Api) -> str:
    assert api.deploy(api_model("ledger_case.bpmn")).status_code == 201
    variables = {"company": "=HYPERLINK(\"http://x\")", "category": "+1", "lead_department": "D1"}
    return str(api.start("ledger_case", variables=variables)["number"])


def test_the_csv_export_escapes_formula_cells(api: Api) -> None:
    number = _start_formula_case(api)
    response = api.get("/ledger", "auditor", query_string={"format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    header, row = response.get_data(as_text=True).splitlines()[:2]
    assert header.startswith("number,business_key,process_key,company,")
    assert row.startswith(f'{number},,ledger_case,"\'=HYPERLINK(""http://x"")",,\'+1,D1,')


def test_the_excel_export_holds_every_row_as_escaped_text(api: Api) -> None:
    number = _start_formula_case(api)
    response = api.get("/ledger", "auditor", query_string={"format": "xlsx"})
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("number", "business_key", "process_key", "company")
    assert rows[1][0] == number and rows[1][3] == "'=HYPERLINK(\"http://x\")" and rows[1][5] == "'+1"


BAD_LEDGER = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://x">
  <bpmn:process id="bad_ledger" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="ledger.Company_Name" value="company"/>
      <spiffworkflow:property name="ledger.category" value="the category"/>
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:startEvent id="start"><bpmn:outgoing>f</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f" sourceRef="start" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def test_deploy_refuses_bad_ledger_properties_naming_the_process(api: Api) -> None:
    response = api.deploy({"bad_ledger.bpmn": BAD_LEDGER})
    assert response.status_code == 422, response.get_json()
    found = [(e["code"], e["element_id"], e["message"].split("'")[1]) for e in response.get_json()["errors"]]
    assert found == [("invalid_ledger_property", "bad_ledger", "ledger.Company_Name"),
                     ("invalid_ledger_property", "bad_ledger", "ledger.category")]


def test_a_rebuild_recomputes_the_ledger_from_the_cases(
    api: Api, figures: dict[int, str], engine: ProcessEngine
) -> None:
    before = api.get("/ledger", "auditor", query_string={"page_size": 50, "sort": "number"}).get_json()
    assert api.get("/reports/summary", "auditor").get_json()["terminated"] == 1
    with engine.db.transaction() as connection:  # as in a database upgraded from before the ledger
        connection.execute(delete(ledger_cases))
    assert engine.reports.rebuild(SYSTEM) == 12
    after = api.get("/ledger", "auditor", query_string={"page_size": 50, "sort": "number"}).get_json()
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)
