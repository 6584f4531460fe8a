"""Expressions under ``wutong serve`` (gunicorn, whose workers are forked from the master) run in
sandbox worker processes with the OS limits, not inline: a C-level loop no in-process counter can
see is stopped at the wall-clock limit and the case gets an incident, while the server answers."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.e2e.conftest import Server, Wutong
from tests.engine.test_expression_limits import attack_process
from tests.engine.test_sandbox_pool import CPU_BOMB

SANDBOX = {"WUTONG_SANDBOX_ISOLATION": "process", "WUTONG_SANDBOX_WORKERS": "1",
           "WUTONG_SANDBOX_MAX_SECONDS": "0.5", "WUTONG_SANDBOX_MAX_COMMAND_SECONDS": "1"}


def test_a_served_c_level_loop_is_stopped_by_the_worker_process(
    wutong: Wutong, serve: Callable[..., Server]
) -> None:
    wutong.env.update(SANDBOX)
    designer = wutong.token("designer", "--role", "designer")
    wutong.run("department", "add", "D1", "--name", "D1 部")
    staff = wutong.token("staff_d1", "--department", "D1", "--role", "staff")
    server = serve("--workers", "2")
    files = [("files", ("bomb.bpmn", attack_process("bomb", CPU_BOMB), "application/octet-stream"))]
    assert server.call("POST", "/deployments", designer, files=files).status_code == 201
    case = server.call("POST", "/process-definitions/key/bomb/start", staff, json={}).json()
    prepare = case["open_tasks"][0]["id"]

    started = time.monotonic()
    # inline, the loop would run for hours: the request would time out (30 s) instead of answering
    response = server.call("POST", f"/tasks/{prepare}/complete", staff, json={"data": {}})
    elapsed = time.monotonic() - started

    assert response.status_code == 200, response.text
    assert response.json()["case_state"] == "error"
    assert elapsed < 30
    incidents = server.call("GET", f"/process-instances/{case['id']}", staff).json()["incidents"]
    assert "time budget exceeded" in incidents[0]["message"]
    assert "no sandbox worker process could be started" not in server.log.read_text(errors="replace")
