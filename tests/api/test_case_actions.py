"""Supervisory actions on a whole case need a reason, and a refused one changes nothing."""

from __future__ import annotations

import pytest

from tests.api.conftest import PROBLEM_JSON, Api, corpus, row_counts


@pytest.mark.parametrize("body", [{}, {"reason": None}, {"reason": "   "}])
def test_cancel_without_a_reason_is_422_naming_reason_and_changes_nothing(
    api: Api, database_url: str, body: dict[str, object]
) -> None:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    case_id = api.start("parallel")["id"]
    before = row_counts(database_url)
    response = api.post(f"/process-instances/{case_id}/cancel", "supervisor_D1", json=body)
    assert response.status_code == 422 and response.content_type == PROBLEM_JSON
    assert [p["field"] for p in response.get_json()["errors"]] == ["/reason"]
    assert row_counts(database_url) == before
    assert api.get(f"/process-instances/{case_id}").get_json()["state"] == "running"


def test_cancel_records_the_reason_given(api: Api) -> None:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    case_id = api.start("parallel")["id"]
    response = api.post(f"/process-instances/{case_id}/cancel", "supervisor_D1", json={"reason": " 重复立案 "})
    assert response.status_code == 200 and response.get_json()["state"] == "cancelled"
    events = api.get(f"/process-instances/{case_id}/history", "supervisor_D1").get_json()
    assert [e["details"]["reason"] for e in events if e["action"] == "case.cancelled"] == ["重复立案"]
