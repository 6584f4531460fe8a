"""JSON bodies: a body that is not JSON is 415, one over the size limit 413, a string over the string
limit 422 naming it; each changes nothing. Empty bodies of endpoints without one are fine whatever
their Content-Type."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from engine import SYSTEM, ProcessEngine
from tests.api.conftest import PROBLEM_JSON, Api, api_model, row_counts
from webapi.app import create_app
from webapi.body_limits import DEFAULT_MAX_JSON_BYTES, DEFAULT_MAX_STRING_BYTES

GOOD = {"data": {"decision": "approve", "amount": 5}}


@pytest.fixture
def task(api: Api, engine: ProcessEngine) -> str:
    assert api.deploy(api_model("form_check.bpmn", "approve.json")).status_code == 201
    return engine.runtime.start(SYSTEM, "form_check", department="D1").open_tasks[0].id


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_completing_with_a_body_that_is_not_json_is_415_and_changes_nothing(
    api: Api, task: str, database_url: str, content_type: str | None
) -> None:
    before = row_counts(database_url)
    kwargs = {"content_type": content_type} if content_type else {}
    response = api.post(f"/tasks/{task}/complete", "staff_D1", data=json.dumps(GOOD), **kwargs)
    assert response.status_code == 415, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_JSON
    assert response.get_json()["code"] == "unsupported_media_type"
    assert row_counts(database_url) == before
    assert api.get(f"/tasks/{task}", "staff_D1").get_json()["state"] in ("open", "claimed")


def test_a_json_subtype_with_plus_json_is_accepted(api: Api, task: str) -> None:
    response = api.post(f"/tasks/{task}/complete", "staff_D1", data=json.dumps(GOOD),
                        content_type="application/vnd.wutong+json; charset=utf-8")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["task"]["data"]["amount"] == 5


def test_an_empty_body_of_any_type_is_ignored_by_an_endpoint_without_a_body(api: Api, task: str) -> None:
    response = api.post(f"/tasks/{task}/claim", "staff_D1", data="", content_type="text/plain")
    assert response.status_code == 200, response.get_json()


def test_a_body_over_the_json_limit_is_413_and_changes_nothing(api: Api, task: str, database_url: str) -> None:
    before = row_counts(database_url)
    body = {"data": {**GOOD["data"], "comment": "x" * (5 * 1024 * 1024)}}
    response = api.post(f"/tasks/{task}/complete", "staff_D1", json=body)
    assert response.status_code == 413, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_JSON
    assert str(DEFAULT_MAX_JSON_BYTES) in response.get_json()["detail"]
    assert row_counts(database_url) == before


def test_a_string_over_the_string_limit_is_422_naming_it(api: Api, task: str, database_url: str) -> None:
    before = row_counts(database_url)
    body = {"data": {**GOOD["data"], "comment": "梧" * (DEFAULT_MAX_STRING_BYTES // 3 + 1)}}
    response = api.post(f"/tasks/{task}/complete", "staff_D1", json=body)
    assert response.status_code == 422, response.get_data(as_text=True)
    problem = response.get_json()
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("/data/comment", "string_too_long")]
    assert row_counts(database_url) == before


def test_a_string_at_the_limit_is_accepted_by_the_body_check(api: Api, engine: ProcessEngine) -> None:
    variables = {"note": "x" * DEFAULT_MAX_STRING_BYTES}
    assert api.deploy(api_model("form_check.bpmn", "approve.json")).status_code == 201
    response = api.post("/process-definitions/key/form_check/start", "staff_D1", json={"variables": variables})
    assert response.status_code == 201, response.get_json()


def test_the_limits_are_configurable(engine: ProcessEngine, api: Api, task: str) -> None:
    app: Flask = create_app({"TESTING": True, "WUTONG_MAX_JSON_BYTES": 200, "WUTONG_MAX_STRING_BYTES": 10},
                            engine=engine)
    small = Api(app.test_client(), api.org)
    too_big = {"data": {**GOOD["data"], "comment": " " * 10}, "padding": "y" * 300}
    assert small.post(f"/tasks/{task}/complete", "staff_D1", json=too_big).status_code == 413
    long_string = {"data": {**GOOD["data"], "comment": "y" * 11}}
    response = small.post(f"/tasks/{task}/complete", "staff_D1", json=long_string)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "/data/comment"
