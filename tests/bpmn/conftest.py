"""Fixtures for the shipped process library: a real engine on a fresh SQLite file or PostgreSQL
database, a frozen clock, the demo organisation from ``bpmn/demo.json`` and the shipped processes
deployed in one deployment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import bpmn
from engine import SYSTEM, FrozenClock, ProcessEngine
from engine.results import DeploymentResult
from tests.bpmn.desk import Desk, Org, make_engine


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


@pytest.fixture
def desk(engine: ProcessEngine, org: Org, deployment: DeploymentResult) -> Desk:
    return Desk(engine, org)
