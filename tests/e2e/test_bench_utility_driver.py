"""The HTTP benchmark's utility-connection driver (bench/utility_connection_driver.py) takes a case of
the shipped process from request to closure against a real ``wutong serve`` with the demo loaded:
its form data passes the JSON Schemas, its message correlates, its users may act at every step."""

from __future__ import annotations

from typing import Any

from bench import utility_connection_driver as utility
from tests.e2e.conftest import Server


def test_the_benchmark_drives_a_utility_connection_case_to_closure(database_url: str, server: Server) -> None:
    tokens, applicant_id = utility.prepare(database_url)
    calls: list[str] = []

    def call(label: str, user: str, method: str, path: str, **kwargs: Any) -> Any:
        response = server.call(method, path, token=tokens[user], **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        calls.append(label)
        return response.json()

    case_id = utility.drive_case(call, applicant_id, tag="smoke-")

    assert len(calls) == utility.REQUESTS_PER_CASE
    assert server.call("GET", f"/process-instances/{case_id}", token=tokens["ops_center.staff1"]).json()[
        "state"] == "completed"
