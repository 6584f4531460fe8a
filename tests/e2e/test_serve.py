"""End to end: the organisation made with the ``wutong`` CLI, then a real ``wutong serve`` process
(development server or gunicorn) driven over HTTP, on SQLite and PostgreSQL.

This is the walk-through of the README: a designer deploys, staff start a case, each department
sees its own task and completes it, wrong form data is refused field by field, the case finishes.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import (
    CORPUS,
    E2E_MODELS,
    PROBLEM_JSON,
    Server,
    Wutong,
    clean_environment,
    wutong_executable,
)

DEPARTMENTS = ("D1", "D2", "D3")


def organisation(wutong: Wutong) -> dict[str, str]:
    """Departments D1..D3, a designer, an admin and one staff member per department; their tokens."""
    for code in DEPARTMENTS:
        wutong.run("department", "add", code, "--name", f"{code} 部", "--name-en", f"Department {code}")
    tokens = {
        "designer": wutong.token("designer", "--role", "designer"),
        "admin": wutong.token("admin", "--role", "admin", "--display-name", "管理员"),
    }
    for code in DEPARTMENTS:
        tokens[code] = wutong.token(f"staff_{code.lower()}", "--department", code, "--role", "staff")
    return tokens


def deploy(server: Server, token: str, *paths: Any) -> dict[str, Any]:
    files = [("files", (path.name, path.read_bytes(), "application/octet-stream")) for path in paths]
    response = server.call("POST", "/deployments", token, files=files)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["created"] is True
    return body


def only_task(server: Server, token: str, department: str, instance_id: str) -> dict[str, Any]:
    query = {"department": department, "instance_id": instance_id, "state": "open"}
    response = server.call("GET", "/tasks", token, params=query)
    assert response.status_code == 200, response.text
    found = response.json()
    assert len(found) == 1, found
    task: dict[str, Any] = found[0]
    assert task["department"] == department
    return task


def test_a_case_crosses_departments_over_http(wutong: Wutong, server: Server) -> None:
    tokens = organisation(wutong)
    deployed = deploy(server, tokens["designer"], CORPUS / "parallel.bpmn")
    assert [(p["key"], p["version"], p["created"]) for p in deployed["processes"]] == [("parallel", 1, True)]

    started = server.call("POST", "/process-definitions/key/parallel/start", tokens["D1"],
                          json={"business_key": "E2E-0001", "variables": {"requested_by": "e2e"}})
    assert started.status_code == 201, started.text
    case = started.json()
    assert started.headers["Location"].endswith(f"/process-instances/{case['id']}")
    assert case["state"] == "running" and case["department"] == "D1"

    # each department's user sees exactly its own task, and not the others'
    for code in DEPARTMENTS:
        task = only_task(server, tokens[code], code, case["id"])
        assert task["activity_id"] == f"task_{code.lower()}"
        inbox = server.call("GET", "/tasks", tokens[code], params={"instance_id": case["id"]}).json()
        assert {t["department"] for t in inbox} == {code}

    for code in ("D2", "D3", "D1"):
        task = only_task(server, tokens[code], code, case["id"])
        done = server.call("POST", f"/tasks/{task['id']}/complete", tokens[code],
                           json={"data": {f"{code}_ok": True}})
        assert done.status_code == 200, done.text
        assert done.json()["task"]["state"] == "completed"
        assert done.json()["case_state"] == "running"

    final = only_task(server, tokens["D1"], "D1", case["id"])
    assert final["activity_id"] == "final"
    done = server.call("POST", f"/tasks/{final['id']}/complete", tokens["D1"],
                       json={"data": {"decision": "accept"}})
    assert done.status_code == 200, done.text
    assert done.json()["case_state"] == "completed"
    assert done.json()["open_tasks"] == []

    finished = server.call("GET", f"/process-instances/{case['id']}", tokens["admin"])
    assert finished.status_code == 200, finished.text
    body = finished.json()
    assert body["state"] == "completed" and body["ended_at"] is not None
    assert body["business_key"] == "E2E-0001"
    assert body["variables"]["decision"] == "accept"
    assert {"task_d1", "task_d2", "task_d3", "final"} <= set(body["completed_activities"])


def test_wrong_form_data_is_refused_field_by_field(wutong: Wutong, server: Server) -> None:
    tokens = organisation(wutong)
    deploy(server, tokens["designer"], E2E_MODELS / "approval.bpmn", E2E_MODELS / "approval_form.json")
    started = server.call("POST", "/process-definitions/key/approval/start", tokens["D1"],
                          json={"variables": {"item": "office chairs"}})
    assert started.status_code == 201, started.text
    case_id = started.json()["id"]

    task = only_task(server, tokens["D2"], "D2", case_id)
    detail = server.call("GET", f"/tasks/{task['id']}", tokens["D2"]).json()
    assert detail["form"]["required"] == ["decision", "amount"]
    assert detail["instructions"] == "Approve or reject the purchase of office chairs."

    wrong = server.call("POST", f"/tasks/{task['id']}/complete", tokens["D2"],
                        json={"data": {"decision": "maybe", "amount": "twelve", "lines": [{"cost": -5}]}})
    assert wrong.status_code == 422, wrong.text
    assert wrong.headers["Content-Type"].startswith(PROBLEM_JSON)
    problem = wrong.json()
    assert problem["status"] == 422 and problem["code"]
    fields = {error["field"]: error["code"] for error in problem["errors"]}
    assert fields == {"/decision": "enum", "/amount": "type", "/lines/0/cost": "minimum"}

    missing = server.call("POST", f"/tasks/{task['id']}/complete", tokens["D2"], json={"data": {}})
    assert missing.status_code == 422, missing.text
    assert {e["code"] for e in missing.json()["errors"]} == {"required"}

    # nothing changed: the task is still open
    assert server.call("GET", f"/tasks/{task['id']}", tokens["D2"]).json()["state"] in ("open", "claimed")

    done = server.call("POST", f"/tasks/{task['id']}/complete", tokens["D2"],
                       json={"data": {"decision": "approve", "amount": 12}})
    assert done.status_code == 200, done.text
    assert done.json()["case_state"] == "completed"
    finished = server.call("GET", f"/process-instances/{case_id}", tokens["admin"]).json()
    assert finished["state"] == "completed"
    assert finished["variables"]["amount"] == 12


def test_demo_users_can_use_their_printed_tokens(wutong: Wutong, server: Server) -> None:
    import bpmn

    output = wutong.run("demo", "load").stdout
    printed = {
        parts[0]: parts[-1]
        for parts in (line.split() for line in output.splitlines())
        if parts and re.fullmatch(r"wt_[A-Za-z0-9_-]{20,}", parts[-1])
    }
    demo_users = bpmn.demo_data()["users"]
    assert set(printed) == {u["username"] for u in demo_users}
    for user in demo_users:
        me = server.call("GET", "/users/me", printed[user["username"]])
        assert me.status_code == 200, me.text
        assert me.json()["username"] == user["username"]
        assert sorted(me.json()["roles"]) == sorted(user["roles"])

    # the shipped processes are deployed
    some_token = printed[demo_users[0]["username"]]
    definitions = server.call("GET", "/process-definitions", some_token, params={"latest": "true"})
    assert definitions.status_code == 200, definitions.text
    assert {d["key"] for d in definitions.json()}


def test_gunicorn_serves_with_two_workers(wutong: Wutong, serve: Callable[..., Server]) -> None:
    token = wutong.token("admin", "--role", "admin")
    server = serve("--workers", "2")
    health = server.call("GET", "/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    # several requests, so both workers are likely to answer at least one
    for _ in range(8):
        me = server.call("GET", "/users/me", token)
        assert me.status_code == 200, me.text
        assert me.json()["username"] == "admin"
    unknown = server.call("GET", "/users/me", "wt_not-a-token")
    assert unknown.status_code == 401
    assert unknown.headers["Content-Type"].startswith(PROBLEM_JSON)
    assert "Booting worker" in server.log.read_text()


def test_serve_defaults_to_gunicorn_with_threads_and_keep_alive(wutong: Wutong, serve: Callable[..., Server]) -> None:
    token = wutong.token("admin", "--role", "admin")
    server = serve()
    with requests.Session() as client:  # one keep-alive connection for every request
        answers = [client.get(server.url("/users/me"), headers={"Authorization": f"Bearer {token}"}, timeout=30)
                   for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert all(a.headers.get("Connection", "keep-alive").lower() != "close" for a in answers)
    log = server.log.read_text()
    assert "Using worker: gthread" in log
    assert "gunicorn, 1 workers x 4 threads" in log


def test_serve_dev_uses_flasks_development_server(wutong: Wutong, serve: Callable[..., Server]) -> None:
    server = serve("--dev")
    assert server.call("GET", "/livez").json() == {"status": "ok"}
    log = server.log.read_text()
    assert "Flask's development server" in log and "Booting worker" not in log


def test_serve_refuses_a_database_without_schema(database_url: str, tmp_path: Path) -> None:
    env = clean_environment(tmp_path)
    env["WUTONG_DATABASE_URL"] = database_url
    result = subprocess.run([str(wutong_executable()), "serve", "--port", "1"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "run `wutong db upgrade` first" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["worker", "--once"]])
def test_serve_and_worker_refuse_to_start_without_an_audit_key(
    wutong: Wutong, tmp_path: Path, command: list[str]
) -> None:
    env = {k: v for k, v in wutong.env.items() if not k.startswith("WUTONG_AUDIT_KEY")}
    result = subprocess.run([str(wutong_executable()), *command], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "no audit key: set WUTONG_AUDIT_KEY or WUTONG_AUDIT_KEY_FILE" in result.stderr
    assert "Traceback" not in result.stderr
