"""A process's ``startFormJsonSchemaFilename`` is the form its start ``variables`` must match: a bad
start is refused with 422 naming each field and writes nothing; a good one starts the case."""

from __future__ import annotations

from tests.api.conftest import PROBLEM_JSON, Api, api_model, row_counts

START = "/process-definitions/key/start_form_check/start"


def deploy(api: Api) -> None:
    files = api_model("start_form_check.bpmn", "approve.json", "request.json")
    assert api.deploy(files).status_code == 201, api.deploy(files).get_json()


def test_a_start_that_misses_the_start_form_is_refused_per_field_and_writes_nothing(
    api: Api, database_url: str
) -> None:
    deploy(api)
    before = row_counts(database_url)

    response = api.post(START, "staff_D1", json={"department": "D1", "variables": {"amount": 0}})

    assert response.status_code == 422, response.get_json()
    assert response.mimetype == PROBLEM_JSON
    fields = {(e["code"], e["field"]) for e in response.get_json()["errors"]}
    assert fields == {("required", "/variables/company"), ("minimum", "/variables/amount")}
    assert row_counts(database_url) == before


def test_a_start_that_matches_the_start_form_starts_the_case(api: Api) -> None:
    deploy(api)

    case = api.start("start_form_check", department="D1", variables={"company": "Acme", "amount": 3})

    assert api.task_for(case["id"], "approve")["state"] == "open"


def test_a_start_form_missing_from_the_upload_is_refused_at_deploy(api: Api) -> None:
    response = api.deploy(api_model("start_form_check.bpmn", "approve.json"))

    assert response.status_code == 422
    assert "form_missing" in {e["code"] for e in response.get_json()["errors"]}
