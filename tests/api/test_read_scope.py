"""A GET request authenticates and reads in one read transaction (one BEGIN and COMMIT, one snapshot);
a request that changes something authenticates in the transaction its command then goes on in (on
SQLite a command that locks at BEGIN ends the read and begins its own)."""

from __future__ import annotations

from engine import ProcessEngine
from tests.api.conftest import Api, corpus
from tests.sql_events import transactions_begun


def test_a_get_request_reads_in_one_transaction(api: Api, engine: ProcessEngine) -> None:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    case = api.start("parallel")["id"]
    api.get("/tasks", "staff_D1")  # warm the caller's caches
    with transactions_begun(engine) as begun:
        listed = api.get("/tasks", "staff_D1", query_string={"instance_id": case, "state": "open"})
        shown = api.get(f"/process-instances/{case}", "auditor")
    assert listed.status_code == 200 and len(listed.get_json()) == 1
    assert shown.status_code == 200
    assert len(begun) == 2  # one per request: the token check and the reads share it


def test_a_get_after_a_change_sees_it(api: Api) -> None:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    case = api.start("parallel")["id"]
    task = api.get("/tasks", "staff_D1", query_string={"instance_id": case, "state": "open"}).get_json()[0]
    assert api.post(f"/tasks/{task['id']}/complete", "staff_D1", json={"data": {}}).status_code == 200
    again = api.get("/tasks", "staff_D1", query_string={"instance_id": case, "state": "open"})
    assert [t["id"] for t in again.get_json()] == []


def test_a_completion_authenticates_and_acts_in_one_transaction(api: Api, engine: ProcessEngine) -> None:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    case = api.start("parallel")["id"]
    task = api.get("/tasks", "staff_D1", query_string={"instance_id": case, "state": "open"}).get_json()[0]
    with transactions_begun(engine) as begun:
        done = api.post(f"/tasks/{task['id']}/complete", "staff_D1", json={"data": {}})
    assert done.status_code == 200, done.get_json()
    assert len(begun) == 1  # the token check, the completion and its save


def test_a_command_that_locks_at_begin_ends_the_requests_read_on_sqlite(api: Api, engine: ProcessEngine) -> None:
    api.get("/tasks", "designer")  # warm the caller's caches
    with transactions_begun(engine) as begun:
        deployed = api.deploy(corpus("parallel.bpmn"))
    assert deployed.status_code == 201
    # SQLite: the token check's read, then the deployment's write transaction (BEGIN IMMEDIATE under the
    # writer gate); PostgreSQL: the deployment goes on in the token check's transaction
    assert len(begun) == (2 if engine.db.dialect == "sqlite" else 1)


def test_a_failed_completion_changes_nothing_and_the_next_request_works(api: Api, engine: ProcessEngine) -> None:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    case = api.start("parallel")["id"]
    task = api.get("/tasks", "staff_D1", query_string={"instance_id": case, "state": "open"}).get_json()[0]
    refused = api.post(f"/tasks/{task['id']}/complete", "staff_D2", json={"data": {}})
    assert refused.status_code in (403, 404)
    still = api.get("/tasks", "staff_D1", query_string={"instance_id": case, "state": "open"}).get_json()
    assert [t["id"] for t in still] == [task["id"]]
    assert api.post(f"/tasks/{task['id']}/complete", "staff_D1", json={"data": {}}).status_code == 200
