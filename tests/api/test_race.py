"""Two people complete the same task at the same moment through a real HTTP server: one wins (200),
the other gets a 409 problem, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from engine import SYSTEM, ProcessEngine
from tests.api.conftest import PROBLEM_JSON, Api, api_model


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    httpd: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/api/v1"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_completion_one_wins_one_conflicts(
    api: Api, engine: ProcessEngine, server: str, round_: int
) -> None:
    assert api.deploy(api_model("form_check.bpmn", "approve.json")).status_code == 201
    task_id = engine.runtime.start(SYSTEM, "form_check", department="D1").open_tasks[0].id
    barrier = threading.Barrier(2)
    results: dict[str, requests.Response] = {}

    def complete(user: str) -> None:
        with requests.Session() as session:
            session.headers.update(api.org.headers(user))
            barrier.wait(timeout=30)
            results[user] = session.post(f"{server}/tasks/{task_id}/complete", timeout=60,
                                         json={"data": {"decision": "approve", "amount": 1 + round_}})

    threads = [threading.Thread(target=complete, args=(user,)) for user in ("staff_D1", "supervisor_D1")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    statuses = sorted(r.status_code for r in results.values())
    assert statuses == [200, 409], {u: (r.status_code, r.text) for u, r in results.items()}
    loser = next(r for r in results.values() if r.status_code == 409)
    assert loser.headers["Content-Type"].startswith(PROBLEM_JSON)
    assert loser.json()["code"] in ("task_not_open", "stale_case")
    winner = next(user for user, r in results.items() if r.status_code == 200)
    task = api.get(f"/tasks/{task_id}").get_json()
    assert (task["state"], task["completed_by"]) == ("completed", api.org.user_ids[winner])


@pytest.mark.only_db("postgres")  # SQLite reruns the later one (serial order): tests/engine/test_task_races.py
def test_completion_and_reassignment_held_after_reading_one_task_give_one_409(
    api: Api, engine: ProcessEngine, server: str
) -> None:
    assert api.deploy(api_model("form_check.bpmn", "approve.json")).status_code == 201
    task_id = engine.runtime.start(SYSTEM, "form_check", department="D1").open_tasks[0].id
    barrier = threading.Barrier(2)
    engine.executor.test_hooks.after_load = lambda _instance: barrier.wait(timeout=30)
    requests_by_user = {
        "staff_D1": ("complete", {"data": {"decision": "approve", "amount": 1}}),
        "supervisor_D1": ("assign", {"department": "D2", "reason": "D2 knows this"}),
    }
    results: dict[str, requests.Response] = {}

    def send(user: str) -> None:
        verb, body = requests_by_user[user]
        with requests.Session() as session:
            session.headers.update(api.org.headers(user))
            results[user] = session.post(f"{server}/tasks/{task_id}/{verb}", json=body, timeout=60)

    threads = [threading.Thread(target=send, args=(user,)) for user in requests_by_user]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    engine.executor.test_hooks.after_load = None

    statuses = sorted(r.status_code for r in results.values())
    assert statuses == [200, 409], {u: (r.status_code, r.text) for u, r in results.items()}
    loser = next(r for r in results.values() if r.status_code == 409)
    assert loser.headers["Content-Type"].startswith(PROBLEM_JSON)
    assert loser.json()["code"] in ("task_not_open", "stale_case")
    task = api.get(f"/tasks/{task_id}").get_json()
    if results["staff_D1"].status_code == 200:  # the completion stands: never reopened in D2
        assert (task["state"], task["department"]) == ("completed", "D1")
    else:
        assert (task["state"], task["department"]) == ("open", "D2")
