"""Fixtures for the shipped process library: a real engine on a fresh SQLite file or PostgreSQL
database, a frozen clock, the demo organisation from ``bpmn/demo.json`` and the shipped processes
deployed in one deployment.

``desk`` is parametrized: a story test runs once through the engine services (``engine``) and once
through the HTTP API (``api``), each desk deploying the library its own way (``test_coverage.py``
narrows it to the API)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import bpmn
from engine import SYSTEM, FrozenClock, ProcessEngine
from engine.results import DeploymentResult
from tests.bpmn.desk import SHIPPED_KEYS, ApiDesk, Desk, EngineDesk, Org, make_engine


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def engine(database_url: str, clock: FrozenClock) -> Iterator[ProcessEngine]:
    process_engine = make_engine(database_url, clock)
    process_engine.upgrade_schema()
    yield process_engine
    process_engine.close()


@pytest.fixture
def org(engine: ProcessEngine) -> Org:
    """Every demo department and user, created through the identity service as the CLI would."""
    data = bpmn.demo_data()
    for department in data["departments"]:
        engine.identity.create_department(SYSTEM, department["code"], department["name"], department["name_en"])
    for user in data["users"]:
        engine.identity.create_user(
            SYSTEM,
            user["username"],
            display_name=user["display_name"],
            roles=user["roles"],
            departments_=user.get("departments", []),
            company=user.get("company"),
            credit_code=user.get("credit_code"),
        )
    return Org.of(engine)


@pytest.fixture
def deployment(engine: ProcessEngine, org: Org) -> DeploymentResult:
    return engine.repository.deploy(org["designer"], bpmn.process_files())


@pytest.fixture(params=[EngineDesk.kind, ApiDesk.kind])
def desk(request: pytest.FixtureRequest, engine: ProcessEngine, org: Org, clock: FrozenClock) -> Desk:
    """A desk with the shipped library deployed, through the engine services or through the API."""
    made: Desk = (
        EngineDesk(engine, org, clock) if request.param == EngineDesk.kind else ApiDesk.around(engine, org, clock)
    )
    deployed = made.deploy(bpmn.process_files())
    assert {(key, version, created) for key, version, created in deployed} == {(key, 1, True) for key in SHIPPED_KEYS}
    return made
