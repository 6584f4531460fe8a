"""The OpenAPI document: valid by a maintained validator, and a schemathesis run against it with an
admin token (20 examples per operation, SQLite only, bounded in time) that finds no server error."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from schemathesis import APIOperation, GenerationMode
from schemathesis.checks import not_a_server_error

from engine import ProcessEngine
from tests.api.conftest import Api, Org, api_model, build_org, corpus, make_engine
from webapi.app import create_app

SPEC = "/api/v1/openapi.json"
EXAMPLES = 20
TIME_BUDGET = 180.0  # seconds for the whole schemathesis run


def test_spec_is_valid_openapi_with_bearer_security(client: Any) -> None:
    response = client.get(SPEC)
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["info"]["title"] == "Wutong API"
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "an API token from `wutong token`"
    }
    assert spec["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]
    assert spec["components"]["securitySchemes"]["cookieAuth"]["in"] == "cookie"
    assert spec["paths"]["/api/v1/healthz"]["get"]["security"] == []
    unprotected = [
        (path, method) for path, item in spec["paths"].items() for method, op in item.items()
        if isinstance(op, dict) and "responses" in op and op.get("security") == []
        and (path, method) not in (("/api/v1/healthz", "get"), ("/api/v1/livez", "get"), ("/api/v1/session", "post"))
    ]
    assert unprotected == []


METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture
def fuzz_app(tmp_path: Path) -> Iterator[tuple[Flask, Org]]:
    engine: ProcessEngine = make_engine(f"sqlite:///{tmp_path / 'fuzz.db'}", sqlite_synchronous="OFF")
    org = build_org(engine)
    app = create_app({"TESTING": True}, engine=engine)
    api = Api(app.test_client(), org)
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    assert api.deploy(api_model("form_check.bpmn", "approve.json")).status_code == 201
    yield app, org
    engine.close()


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    examples: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def fuzz(operation: APIOperation, mode: GenerationMode, auth: dict[str, str], tally: Tally) -> None:
    """Up to EXAMPLES generated requests to one operation; counts statuses and server errors."""
    label = f"{mode.value} {operation.label}"
    tally.examples[label] = 0

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=operation.as_strategy(mode, headers=auth))
    def run(case: schemathesis.Case) -> None:
        tally.examples[label] += 1
        response = case.call(headers=auth)
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=[not_a_server_error], headers=auth)
        except Exception as exc:
            tally.failures.append(f"{label}: {exc}")
            raise

    with contextlib.suppress(Exception):  # failures are collected in the tally, reported below
        run()


@pytest.mark.schemathesis
def test_schemathesis_finds_no_server_error(fuzz_app: tuple[Flask, Org]) -> None:
    app, org = fuzz_app
    auth = org.headers("admin")
    schema = schemathesis.openapi.from_wsgi(SPEC, app)
    operations = [result.ok() for result in schema.get_all_operations()]
    tally = Tally()
    started = time.monotonic()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for operation in operations:
            fuzz(operation, mode, auth, tally)
            assert time.monotonic() - started < TIME_BUDGET, "the schemathesis run took too long"

    total = sum(tally.statuses.values())
    server_errors = sum(n for status, n in tally.statuses.items() if status >= 500)
    summary = (f"{len(operations)} operations, {total} requests, statuses {dict(sorted(tally.statuses.items()))}, "
               f"{time.monotonic() - started:.0f}s")
    print(summary)
    documented = app.test_client().get(SPEC).get_json()["paths"]
    assert len(operations) == sum(1 for item in documented.values() for method in item if method in METHODS) >= 48
    assert all(n >= EXAMPLES for label, n in tally.examples.items() if label.startswith("positive")
               and not label.endswith(("/users/me", "/healthz", "/livez", " /api/v1/audit/verify"))), tally.examples
    assert tally.failures == []
    assert server_errors == 0, summary
    assert tally.statuses[401] < 0.1 * total, summary
