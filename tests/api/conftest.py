"""API fixtures: the Flask app on a real engine (SQLite and PostgreSQL through ``database_url``),
an organisation with tokens (departments D1..D3, staff and a supervisor per department, admin,
auditor, designer, applicant), and helpers to call the API as one of them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine import SYSTEM, EngineConfig, ProcessEngine
from engine.clock import Clock
from engine.persistence.tables import metadata
from engine.spiff.sandbox import SandboxLimits
from webapi.app import create_app

TESTS = Path(__file__).resolve().parent.parent
CORPUS = TESTS / "fixtures" / "corpus"
ENGINE_MODELS = TESTS / "engine" / "models"
API_MODELS = Path(__file__).resolve().parent / "models"
V1 = "/api/v1"
PROBLEM_JSON = "application/problem+json"
DEPARTMENTS = ("D1", "D2", "D3")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "schemathesis: the schemathesis run against the OpenAPI spec (SQLite only)")


@dataclass
class Org:
    """Users by name (staff_D1, supervisor_D1, ..., admin, auditor, designer, applicant)."""

    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, str] = field(default_factory=dict)

    def headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


class Api:
    """A test client that calls /api/v1 paths as a named user of the org."""

    def __init__(self, client: FlaskClient, org: Org) -> None:
        self.client = client
        self.org = org

    def call(self, method: str, path: str, as_: str | None = "admin", **kwargs: Any) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        if as_ is not None:
            headers.update(self.org.headers(as_))
        url = path if path.startswith("/api/") else V1 + path
        return self.client.open(url, method=method, headers=headers, **kwargs)

    def get(self, path: str, as_: str | None = "admin", **kwargs: Any) -> TestResponse:
        return self.call("GET", path, as_, **kwargs)

    def post(self, path: str, as_: str | None = "admin", **kwargs: Any) -> TestResponse:
        return self.call("POST", path, as_, **kwargs)

    def patch(self, path: str, as_: str | None = "admin", **kwargs: Any) -> TestResponse:
        return self.call("PATCH", path, as_, **kwargs)

    def delete(self, path: str, as_: str | None = "admin", **kwargs: Any) -> TestResponse:
        return self.call("DELETE", path, as_, **kwargs)

    def deploy(self, files: dict[str, bytes], as_: str = "designer") -> TestResponse:
        from io import BytesIO

        data = {"files": [(BytesIO(content), name) for name, content in files.items()]}
        return self.post("/deployments", as_, data=data, content_type="multipart/form-data")

    def start(self, key: str, as_: str = "staff_D1", **body: Any) -> dict[str, Any]:
        response = self.post(f"/process-definitions/key/{key}/start", as_, json=body)
        assert response.status_code == 201, response.get_json()
        result: dict[str, Any] = response.get_json()
        return result

    def tasks_of(self, instance_id: str, as_: str = "admin", **query: Any) -> list[dict[str, Any]]:
        response = self.get("/tasks", as_, query_string={"instance_id": instance_id, **query})
        assert response.status_code == 200, response.get_json()
        result: list[dict[str, Any]] = response.get_json()
        return result

    def task_for(self, instance_id: str, activity_id: str) -> dict[str, Any]:
        found = [t for t in self.tasks_of(instance_id) if t["activity_id"] == activity_id and
                 t["state"] in ("open", "claimed")]
        assert len(found) == 1, found
        return found[0]


def corpus(*names: str) -> dict[str, bytes]:
    return {name: (CORPUS / name).read_bytes() for name in names}


def api_model(*names: str) -> dict[str, bytes]:
    return {name: (API_MODELS / name).read_bytes() for name in names}


def make_engine(database_url: str, *, clock: Clock | None = None, **config: Any) -> ProcessEngine:
    """An engine on a migrated database; ``clock`` (e.g. a ``FrozenClock``) replaces the wall clock."""
    settings: dict[str, Any] = {"database_url": database_url, "sandbox": SandboxLimits(max_seconds=2.0)}
    settings.update(config)
    engine = ProcessEngine(EngineConfig(**settings), clock=clock)
    engine.upgrade_schema()
    return engine


def build_org(engine: ProcessEngine) -> Org:
    identity = engine.identity
    for code in DEPARTMENTS:
        identity.create_department(SYSTEM, code, f"部门{code}", f"Department {code}")
    org = Org()

    def add(username: str, roles: list[str], departments: list[str], company: str | None = None) -> None:
        user = identity.create_user(SYSTEM, username, roles=roles, departments_=departments, company=company)
        token = identity.create_token(SYSTEM, user.id, "tests")
        assert token.secret is not None
        org.tokens[username] = token.secret
        org.user_ids[username] = user.id

    for code in DEPARTMENTS:
        add(f"staff_{code}", ["staff"], [code])
        add(f"supervisor_{code}", ["supervisor"], [code])
    add("admin", ["admin"], [])
    add("auditor", ["auditor"], [])
    add("designer", ["designer"], [])
    add("applicant", ["applicant"], [], company="梧桐精密制造有限公司")
    return org


def row_counts(database_url: str) -> dict[str, int]:
    """Rows in every table: a bad request must leave all of them as they were."""
    db = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with db.connect() as connection:
            return {
                table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for table in metadata.sorted_tables
            }
    finally:
        db.dispose()


@pytest.fixture
def clock() -> Clock | None:
    """The engine's clock: the wall clock; a module that needs time to stand still overrides this
    fixture with a ``FrozenClock`` (the ``engine`` and everything built on it then use it)."""
    return None


@pytest.fixture
def engine(database_url: str, clock: Clock | None) -> Iterator[ProcessEngine]:
    process_engine = make_engine(database_url, clock=clock)
    yield process_engine
    process_engine.close()


@pytest.fixture
def app(engine: ProcessEngine) -> Flask:
    return create_app({"TESTING": True}, engine=engine)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def org(engine: ProcessEngine) -> Org:
    return build_org(engine)


@pytest.fixture
def api(client: FlaskClient, org: Org) -> Api:
    return Api(client, org)
