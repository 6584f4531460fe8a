"""``GET /metrics``: off without WUTONG_METRICS_TOKEN, token-protected when on, and the figures it shows
(request latency per endpoint, commands and conflicts per kind, open tasks per department, due work)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from engine import FrozenClock
from tests.api.conftest import PROBLEM_JSON, Api, api_model, corpus
from tests.api.test_supervision import MONDAY_0900
from webapi.settings import SettingsError, check_environment

TOKEN = "metrics-token-0123456789"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MONDAY_0900)



@pytest.fixture
def metrics_on(app: Flask) -> Flask:
    app.config["WUTONG_METRICS_TOKEN"] = TOKEN
    return app


def scrape(client: FlaskClient) -> Samples:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_is_not_served_without_a_metrics_token(client: FlaskClient) -> None:
    response = client.get("/metrics")
    assert response.status_code == 404
    assert response.mimetype == PROBLEM_JSON


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}"])
def test_metrics_refuses_a_missing_or_wrong_token(metrics_on: Flask, client: FlaskClient, header: str | None) -> None:
    response = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.mimetype == PROBLEM_JSON


def test_a_user_api_token_does_not_open_metrics(metrics_on: Flask, api: Api) -> None:
    assert api.client.get("/metrics", headers=api.org.headers("admin")).status_code == 401


def test_a_short_metrics_token_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match="WUTONG_METRICS_TOKEN"):
        check_environment({"WUTONG_METRICS_TOKEN": "short"})


def test_request_latency_is_labelled_by_endpoint_not_path(metrics_on: Flask, api: Api) -> None:
    assert api.deploy(corpus("boundary_timers.bpmn")).status_code == 201
    case = api.start("boundary_timers")
    before = scrape(api.client)
    assert api.get(f"/process-instances/{case['id']}").status_code == 200
    after = scrape(api.client)
    endpoint = api.client.application.url_map.bind("").match(
        f"/api/v1/process-instances/{case['id']}", "GET")[0]
    count = "wutong_http_request_duration_seconds_count"
    assert value(after, count, endpoint=endpoint, method="GET") == value(before, count, endpoint=endpoint,
                                                                          method="GET") + 1
    responses = "wutong_http_responses_total"
    assert value(after, responses, endpoint=endpoint, method="GET", status="200") >= 1
    assert not any(case["id"] in str(labels) for _, labels in after)


def test_unknown_paths_share_one_label(metrics_on: Flask, client: FlaskClient) -> None:
    assert client.get("/no/such/path-4711").status_code == 404
    samples = scrape(client)
    assert value(samples, "wutong_http_responses_total", endpoint="<unmatched>", method="GET", status="404") >= 1
    assert not any("4711" in str(labels) for _, labels in samples)


def test_commands_and_conflicts_are_counted_per_kind(metrics_on: Flask, api: Api) -> None:
    assert api.deploy(api_model("form_check.bpmn", "approve.json")).status_code == 201
    case = api.start("form_check")
    task_id = api.tasks_of(case["id"])[0]["id"]
    before = scrape(api.client)
    data = {"data": {"decision": "approve", "amount": 1}}
    assert api.post(f"/tasks/{task_id}/complete", "staff_D1", json=data).status_code == 200
    assert api.post(f"/tasks/{task_id}/complete", "staff_D1", json=data).status_code == 409
    after = scrape(api.client)
    commands = "wutong_commands_total"
    for outcome in ("ok", "conflict"):
        assert value(after, commands, kind="CompleteTask", outcome=outcome) == value(
            before, commands, kind="CompleteTask", outcome=outcome) + 1


def test_open_tasks_are_counted_per_department(metrics_on: Flask, api: Api) -> None:
    assert api.deploy(api_model("form_check.bpmn", "approve.json")).status_code == 201
    api.start("form_check")
    api.start("form_check")
    samples = scrape(api.client)
    assert value(samples, "wutong_open_tasks", department="D1") == 2
    assert value(samples, "wutong_open_tasks", department="D2") == 0


def test_due_timers_show_their_lateness_and_the_worker_lag(metrics_on: Flask, api: Api, clock: FrozenClock) -> None:
    assert api.deploy(corpus("boundary_timers.bpmn")).status_code == 201
    api.start("boundary_timers")
    assert value(scrape(api.client), "wutong_timers_due") == 0
    clock.advance(timedelta(hours=1, minutes=10))  # the PT1H timer is 10 minutes late; no worker ran
    samples = scrape(api.client)
    assert value(samples, "wutong_timers_due") == 1
    assert value(samples, "wutong_timers_due_lateness_seconds") == pytest.approx(600, abs=1)
    assert value(samples, "wutong_worker_lag_seconds") >= 600
