"""Every timestamp ``X`` in case, task and notification views has an ``X_local`` twin: the same instant in
WUTONG_TIME_ZONE (default Asia/Shanghai) with its offset, while ``X`` itself stays UTC."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine import FrozenClock
from engine.worker import Worker
from tests.api.conftest import Api, build_org, corpus, make_engine
from tests.api.test_supervision import DEADLINES, MONDAY_0900, complete, start, task
from webapi.app import create_app


def twins(view: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(name, utc, local) for every timestamp in ``view`` that has a value."""
    for name, value in view.items():
        if name.endswith("_local") or not isinstance(value, str) or f"{name}_local" not in view:
            continue
        yield name, value, view[f"{name}_local"]


def assert_local(view: dict[str, Any], offset: str) -> None:
    pairs = list(twins(view))
    assert pairs, view
    for name, utc, local in pairs:
        assert local.endswith(offset), (name, local)
        assert datetime.fromisoformat(local) == datetime.fromisoformat(utc), name


def test_a_case_view_has_local_twins_in_shanghai_time(api: Api) -> None:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    case = api.start("parallel")
    assert case["started_at_local"] is not None and "ended_at_local" in case
    assert_local(case, "+08:00")
    for summary in case["open_tasks"]:
        assert_local(summary, "+08:00")


def test_a_task_list_and_task_view_have_local_twins(api: Api) -> None:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    api.start("parallel")
    listed = api.get("/tasks", "staff_D1").get_json()
    assert_local(listed[0], "+08:00")
    task = api.get(f"/tasks/{listed[0]['id']}", "staff_D1").get_json()
    assert_local(task, "+08:00")


def test_the_utc_field_keeps_utc(api: Api) -> None:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    case = api.start("parallel")
    assert datetime.fromisoformat(case["started_at"]).utcoffset().total_seconds() == 0  # type: ignore[union-attr]


@pytest.mark.parametrize("zone, offset", [("Asia/Tokyo", "+09:00"), ("UTC", "+00:00")])
def test_another_time_zone_changes_the_offset(database_url: str, zone: str, offset: str) -> None:
    engine = make_engine(database_url, time_zone=zone)
    try:
        api = Api(create_app({"TESTING": True}, engine=engine).test_client(), build_org(engine))
        assert api.deploy(corpus("parallel.bpmn")).status_code == 201
        assert_local(api.start("parallel"), offset)
    finally:
        engine.close()


def test_the_openapi_spec_documents_the_local_twins(api: Api) -> None:
    schemas = api.client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for schema, field in (("Instance", "started_at_local"), ("TaskSummary", "due_at_local"),
                          ("Notification", "created_at_local"), ("Incident", "created_at_local")):
        assert "WUTONG_TIME_ZONE" in schemas[schema]["properties"][field]["description"]


def test_an_overdue_notification_reads_the_deadline_in_local_time_to_the_minute(database_url: str) -> None:
    clock = FrozenClock(MONDAY_0900)
    engine = make_engine(database_url, clock=clock)
    try:
        api = Api(create_app({"TESTING": True}, engine=engine).test_client(), build_org(engine))
        assert api.deploy({"deadlines.bpmn": DEADLINES.read_bytes()}).status_code == 201
        case = start(api)
        complete(api, case, "accept", "staff_D1")
        due_at = api.get(f"/tasks/{task(api, case, 'reply')}").get_json()["due_at"]
        clock.advance(timedelta(days=5))
        assert Worker(engine).run_once().escalated == 1
        [notice] = api.get("/notifications", "supervisor_D2").get_json()
        local = datetime.fromisoformat(due_at).astimezone(ZoneInfo("Asia/Shanghai"))
        assert f"应于 {local:%Y-%m-%d %H:%M} 前办结" in notice["text"]
        assert "+00:00" not in notice["text"] and due_at not in notice["text"]
        assert_local(notice, "+08:00")
    finally:
        engine.close()
