"""A command that cannot get the database within the lock wait answers 503 ``database_busy`` with
``Retry-After``, quickly and without changing anything (never a 500 after half a minute)."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from engine import SYSTEM, ProcessEngine
from tests.api.conftest import PROBLEM_JSON, Api, api_model, build_org, make_engine, row_counts
from webapi.app import create_app

LOCK_WAIT = 0.3


@pytest.fixture
def engine(database_url: str) -> Iterator[ProcessEngine]:
    process_engine = make_engine(database_url, lock_wait_seconds=LOCK_WAIT)
    yield process_engine
    process_engine.close()


@pytest.fixture
def app(engine: ProcessEngine) -> Flask:
    return create_app({"TESTING": True}, engine=engine)


@pytest.fixture
def api(app: Flask, engine: ProcessEngine) -> Api:
    return Api(app.test_client(), build_org(engine))


@contextlib.contextmanager
def held_lock(database_url: str, database_backend: str) -> Iterator[None]:
    """Another connection holds the write lock (SQLite) or the case tables (PostgreSQL)."""
    if database_backend == "sqlite":
        raw = sqlite3.connect(sa.make_url(database_url).database, isolation_level=None)
        raw.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            raw.execute("ROLLBACK")
            raw.close()
        return
    other = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with other.connect() as connection:
        connection.exec_driver_sql("LOCK TABLE process_instances, tasks IN EXCLUSIVE MODE")
        yield
        connection.rollback()
    other.dispose()


def test_completing_while_the_database_is_locked_answers_503_database_busy(
    api: Api, engine: ProcessEngine, database_url: str, database_backend: str
) -> None:
    assert api.deploy(api_model("form_check.bpmn", "approve.json")).status_code == 201
    case = engine.runtime.start(SYSTEM, "form_check", department="D1")
    task = case.open_tasks[0].id
    data = {"decision": "approve", "amount": 5}
    before = row_counts(database_url)
    with held_lock(database_url, database_backend):
        began = time.monotonic()
        response = api.post(f"/tasks/{task}/complete", "staff_D1", json={"data": data})
        waited = time.monotonic() - began
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_JSON
    assert response.get_json()["code"] == "database_busy"
    assert response.headers["Retry-After"] == "1"
    assert LOCK_WAIT <= waited < LOCK_WAIT + 2.5
    assert row_counts(database_url) == before
    assert api.post(f"/tasks/{task}/complete", "staff_D1", json={"data": data}).status_code == 200


def test_lock_wait_is_applied_to_every_connection(engine: ProcessEngine, database_backend: str) -> None:
    with engine.db.transaction() as connection:
        if database_backend == "sqlite":
            setting = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
            assert setting == LOCK_WAIT * 1000
        else:
            assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "300ms"
