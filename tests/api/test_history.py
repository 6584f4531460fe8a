"""Reading history over HTTP: timelines, search, exports (verified offline), comments, chain checks."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from engine import SYSTEM, ProcessEngine
from engine.results import AuditEventView
from tests.api.conftest import Api, corpus
from webapi.cli import cli
from webapi.exports import escape_cell, read_export, to_csv


@pytest.fixture
def case(api: Api) -> dict[str, Any]:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    started = api.start("parallel", "staff_D1", business_key="REQ-1", variables={"topic": "roof"})
    task = api.task_for(started["id"], "task_d2")
    done = api.post(f"/tasks/{task['id']}/complete", "staff_D2", json={"data": {"ok_D2": True}})
    assert done.status_code == 200, done.get_json()
    return started


def test_timeline_is_oldest_first_with_values_and_chain_fields(api: Api, case: dict[str, Any]) -> None:
    events = api.get(f"/process-instances/{case['id']}/history", "auditor").get_json()
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["action"] == "case.started"
    completed = next(e for e in events if e["action"] == "task.completed")
    assert completed["actor_name"] == "staff_D2" and completed["actor_departments"] == "D2"
    assert completed["details"]
    assert {e["chain"] for e in events} == {case["id"]}
    assert all(e["mac"] and e["key_id"] == "test-key" and e["request_id"] for e in events)


def test_timeline_names_each_actor_by_display_name_beside_the_user_name(api: Api, case: dict[str, Any]) -> None:
    events = api.get(f"/process-instances/{case['id']}/history", "auditor").get_json()
    completed = next(e for e in events if e["action"] == "task.completed")
    me = api.get("/users/me", "staff_D2").get_json()
    assert (completed["actor_name"], completed["actor_display_name"]) == ("staff_D2", me["display_name"])
    assert me["display_name"]


def test_a_client_request_id_is_recorded_and_echoed(api: Api, case: dict[str, Any]) -> None:
    response = api.post(f"/process-instances/{case['id']}/comments", "staff_D1", json={"text": "see me"},
                        headers={"X-Request-ID": "req-42"})
    assert response.status_code == 201
    assert response.headers["X-Request-ID"] == "req-42"
    assert response.get_json()["request_id"] == "req-42"


def test_comments_are_added_to_the_case_and_task_history(api: Api, case: dict[str, Any]) -> None:
    on_case = api.post(f"/process-instances/{case['id']}/comments", "staff_D1", json={"text": "=1+1 check"})
    task = api.task_for(case["id"], "task_d3")
    on_task = api.post(f"/tasks/{task['id']}/comments", "staff_D3", json={"text": "looking"})
    assert (on_case.status_code, on_task.status_code) == (201, 201)
    assert on_task.get_json()["task_id"] == task["id"]
    events = api.get(f"/process-instances/{case['id']}/history", "staff_D1").get_json()
    comments = [(e["actor_name"], e["details"]["text"]) for e in events if e["action"] == "comment.added"]
    assert comments == [("staff_D1", "=1+1 check"), ("staff_D3", "looking")]


def test_auditors_do_not_comment(api: Api, case: dict[str, Any]) -> None:
    response = api.post(f"/process-instances/{case['id']}/comments", "auditor", json={"text": "hm"})
    assert response.status_code == 403
    assert response.get_json()["code"] == "comment_forbidden"


def test_an_empty_comment_is_refused_naming_the_field(api: Api, case: dict[str, Any]) -> None:
    response = api.post(f"/process-instances/{case['id']}/comments", "staff_D1", json={"text": ""})
    assert response.status_code == 422
    assert "text" in str(response.get_json())


def test_staff_of_an_unrelated_department_cannot_read_or_comment(api: Api, engine: ProcessEngine) -> None:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    engine.identity.create_department(SYSTEM, "D9", "部门D9", "Department D9")
    outsider = _user(api, engine, "staff_D9", ["staff"], ["D9"])
    started = api.start("parallel", "staff_D1")
    assert api.get(f"/process-instances/{started['id']}/history", outsider).status_code == 404
    assert api.post(f"/process-instances/{started['id']}/comments", outsider, json={"text": "x"}).status_code == 404
    assert api.get("/audit-events", outsider).get_json() == []


def test_search_filters_by_department_user_action_and_time(api: Api, case: dict[str, Any]) -> None:
    by_department = api.get("/audit-events", "auditor", query_string={"department": "D2"}).get_json()
    assert by_department and all(
        "D2" in e["actor_departments"].split(",") or e["task_id"] is not None for e in by_department
    )
    assert {e["action"] for e in by_department} >= {"task.completed"}
    by_user = api.get("/audit-events", "auditor", query_string={"user": "staff_D2"}).get_json()
    assert {e["actor_name"] for e in by_user} == {"staff_D2"}
    started = api.get("/audit-events", "auditor", query_string={"action": "case.started",
                                                                "instance_id": case["id"]}).get_json()
    assert [e["instance_id"] for e in started] == [case["id"]]
    at = started[0]["at"]
    later = api.get("/audit-events", "auditor", query_string={"from": at, "instance_id": case["id"]}).get_json()
    earlier = api.get("/audit-events", "auditor", query_string={"to": "2000-01-01T00:00:00+00:00"}).get_json()
    assert later and earlier == []


def test_search_is_paged_in_sql(api: Api, case: dict[str, Any]) -> None:
    response = api.get("/audit-events", "auditor", query_string={"page": 2, "page_size": 3})
    assert response.status_code == 200
    assert len(response.get_json()) == 3
    assert '"total"' in response.headers["X-Pagination"]


def test_staff_search_sees_only_cases_their_departments_can_see(api: Api, case: dict[str, Any]) -> None:
    seen = api.get("/audit-events", "staff_D2", query_string={"page_size": 100}).get_json()
    assert seen and {e["instance_id"] for e in seen} == {case["id"]}
    assert api.get("/audit-events", "applicant").status_code == 403


def test_applicants_read_their_own_case_without_the_values_hidden_from_them(api: Api, org: Any) -> None:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    started = api.start("parallel", "staff_D1", applicant_id=org.user_ids["applicant"], variables={"fee": 9})
    events = api.get(f"/process-instances/{started['id']}/history", "applicant").get_json()
    assert events[0]["action"] == "case.started" and events[0]["details"]["fields"] == []  # staff's "fee"
    staff_view = api.get(f"/process-instances/{started['id']}/history", "staff_D1").get_json()
    assert staff_view[0]["details"]["fields"] == ["fee"]


def test_csv_export_escapes_formulas_and_verifies_offline(api: Api, case: dict[str, Any], tmp_path: Path) -> None:
    api.post(f"/process-instances/{case['id']}/comments", "staff_D1", json={"text": "x"})
    response = api.get(f"/process-instances/{case['id']}/history", "auditor", query_string={"format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [int(r["seq"]) for r in rows] == list(range(1, len(rows) + 1))
    export = tmp_path / "history.csv"
    export.write_bytes(response.get_data())
    result = CliRunner().invoke(cli, ["audit", "verify", str(export)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "0 broken" in result.output
    tampered = tmp_path / "tampered.csv"
    tampered.write_text(response.get_data(as_text=True).replace("staff_D2", "staff_D3"))
    result = CliRunner().invoke(cli, ["audit", "verify", str(tampered)], catch_exceptions=False)
    assert result.exit_code == 1 and "BROKEN chain" in result.output


def test_search_cells_that_look_like_formulas_are_escaped_in_csv(api: Api, case: dict[str, Any]) -> None:
    api.post(f"/process-instances/{case['id']}/comments", "staff_D1", json={"text": "x"})
    response = api.get("/audit-events", "auditor", headers={"Accept": "text/csv"},
                       query_string={"user": "staff_D1", "action": "comment.added"})
    assert response.mimetype == "text/csv"
    first = next(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert first["action"] == "comment.added"
    assert [escape_cell(v) for v in ("=1", "+1", "-1", "@x", "'=1", "ok")] == ["'=1", "'+1", "'-1", "'@x", "''=1", "ok"]


def test_escaped_cells_read_back_as_they_were(api: Api, case: dict[str, Any]) -> None:
    view = api.get(f"/process-instances/{case['id']}/history", "auditor").get_json()[0]
    event = AuditEventView(**{**{k: view[k] for k in (
        "id", "actor", "actor_user_id", "acting_for", "instance_id", "task_id", "details", "chain", "seq",
        "actor_roles", "request_id", "prev_mac", "key_id", "mac")}, "at": datetime.fromisoformat(view["at"]),
        "action": "=cmd|' /C calc'!A0", "actor_departments": "@D1"})
    exported = to_csv([event])
    assert ",'=cmd" in exported and ",'@D1," in exported
    [back] = read_export(exported.encode())
    assert (back["action"], back["actor_departments"]) == ("=cmd|' /C calc'!A0", "@D1")


def test_json_export_verifies_offline(api: Api, case: dict[str, Any], tmp_path: Path) -> None:
    response = api.get(f"/process-instances/{case['id']}/history", "auditor", query_string={"format": "json"})
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    export = tmp_path / "history.json"
    export.write_bytes(response.get_data())
    result = CliRunner().invoke(cli, ["audit", "verify", str(export)], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_verify_endpoints_report_an_untouched_chain_valid(api: Api, case: dict[str, Any]) -> None:
    one = api.get(f"/process-instances/{case['id']}/audit/verify", "auditor").get_json()
    timeline = api.get(f"/process-instances/{case['id']}/history", "auditor", query_string={"format": "json"})
    assert one["valid"] and one["first_broken"] is None and one["events"] == len(timeline.get_json()) > 2
    everything = api.get("/audit/verify", "auditor").get_json()
    assert everything["valid"] and everything["chains"] >= 2 and everything["broken"] == []
    assert api.get("/audit/verify", "staff_D1").status_code == 403


def _user(api: Api, engine: ProcessEngine, name: str, roles: list[str], departments: list[str]) -> str:
    user = engine.identity.create_user(SYSTEM, name, roles=roles, departments_=departments)
    token = engine.identity.create_token(SYSTEM, user.id, "tests")
    assert token.secret is not None
    api.org.tokens[name] = token.secret
    return name
