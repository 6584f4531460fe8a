"""A GET request authenticates and reads in one read transaction (one BEGIN and COMMIT, one snapshot);
a request that changes something keeps its command's own transaction."""

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
