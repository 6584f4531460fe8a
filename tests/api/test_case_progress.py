"""A case page's reads: each element's state for marking the diagram (``GET /process-instances/{id}/progress``)
and the messages a case waits for with who may record them (``GET /process-instances/{id}/messages``)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from engine import SYSTEM, FrozenClock, ProcessEngine
from tests.api.conftest import Api, corpus
from tests.api.test_supervision import DEADLINES, MONDAY_0900, at_review, complete, start


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MONDAY_0900)


def _states(api: Api, case_id: str, as_: str = "auditor") -> dict[str, dict[str, Any]]:
    response = api.get(f"/process-instances/{case_id}/progress", as_)
    assert response.status_code == 200, response.get_json()
    return {e["element_id"]: e for e in response.get_json()["elements"]}


def _waiting_case(engine: ProcessEngine, order_id: str) -> str:
    """A message_receiver case owned by D1, waiting for ``order_ready`` with this order id."""
    case = engine.runtime.start(SYSTEM, "message_receiver", department="D1", variables={"order_id": order_id})
    engine.tasks.complete(SYSTEM, case.open_tasks[0].id, {})
    return case.id


def test_progress_marks_completed_active_and_overdue_steps(api: Api, clock: FrozenClock) -> None:
    assert api.deploy({"deadlines.bpmn": DEADLINES.read_bytes()}).status_code == 201
    case = start(api)
    complete(api, case, "accept", "staff_D1")
    assert _states(api, case)["reply"]["state"] == "active"
    clock.advance(timedelta(days=5))
    states = _states(api, case)
    assert states["start"]["state"] == states["accept"]["state"] == "completed"
    assert states["reply"]["state"] == "overdue"
    assert (states["reply"]["department"], states["reply"]["due_status"]) == ("D2", "overdue")
    assert "quick" not in states


def test_progress_names_the_departments_that_took_part_owner_first(api: Api) -> None:
    assert api.deploy({"deadlines.bpmn": DEADLINES.read_bytes()}).status_code == 201
    case = start(api)
    complete(api, case, "accept", "staff_D1")
    response = api.get(f"/process-instances/{case}/progress", "staff_D2")
    assert response.status_code == 200
    assert response.get_json()["departments"] == ["D1", "D2"]


def test_a_finished_case_has_only_completed_elements(api: Api) -> None:
    assert api.deploy({"deadlines.bpmn": DEADLINES.read_bytes()}).status_code == 201
    case = start(api)
    at_review(api, case)
    complete(api, case, "review", "staff_D1")
    states = _states(api, case)
    assert {e["state"] for e in states.values()} == {"completed"}
    assert {"start", "accept", "reply", "quick", "review", "end"} <= set(states)


def test_progress_of_a_case_the_caller_may_not_see_is_not_found(api: Api) -> None:
    assert api.deploy({"deadlines.bpmn": DEADLINES.read_bytes()}).status_code == 201
    case = start(api)
    response = api.get(f"/process-instances/{case}/progress", "staff_D3")
    assert response.status_code == 404
    assert response.get_json()["code"] == "case_not_found"


def test_the_messages_a_case_waits_for_carry_its_correlation_and_payload_fields(
    api: Api, engine: ProcessEngine
) -> None:
    assert api.deploy(corpus("message_receiver.bpmn")).status_code == 201
    case = _waiting_case(engine, "A-7")
    response = api.get(f"/process-instances/{case}/messages", "staff_D1")
    assert response.status_code == 200, response.get_json()
    [message] = response.get_json()
    assert message["name"] == "order_ready"
    assert message["correlation"] == {"order_id": "A-7"}
    assert message["schema_declared"] is False
    assert message["payload_schema"]["properties"]["order_id"] == {"type": "string", "title": "order_id",
                                                                    "default": "A-7"}
    assert message["may_send"] is True


@pytest.mark.parametrize(("who", "may_send"), [("supervisor_D1", True), ("admin", True), ("auditor", False)])
def test_only_staff_of_the_cases_departments_and_admins_may_record_a_message(
    api: Api, engine: ProcessEngine, who: str, may_send: bool
) -> None:
    assert api.deploy(corpus("message_receiver.bpmn")).status_code == 201
    case = _waiting_case(engine, "A-8")
    [message] = api.get(f"/process-instances/{case}/messages", who).get_json()
    assert message["may_send"] is may_send


def test_the_messages_of_a_case_the_caller_may_not_see_are_not_found(api: Api, engine: ProcessEngine) -> None:
    assert api.deploy(corpus("message_receiver.bpmn")).status_code == 201
    case = _waiting_case(engine, "A-9")
    assert api.get(f"/process-instances/{case}/messages", "staff_D2").status_code == 404


def test_a_message_recorded_as_listed_moves_the_case_on(api: Api, engine: ProcessEngine) -> None:
    assert api.deploy(corpus("message_receiver.bpmn")).status_code == 201
    case = _waiting_case(engine, "A-10")
    [message] = api.get(f"/process-instances/{case}/messages", "staff_D1").get_json()
    payload = {k: v["default"] for k, v in message["payload_schema"]["properties"].items()}
    body = {"name": message["name"], "instance_id": case, "payload": payload}
    response = api.post("/messages", "staff_D1", json=body)
    assert response.status_code == 200, response.get_json()
    assert api.get(f"/process-instances/{case}/messages", "staff_D1").get_json() == []
    states = _states(api, case)
    assert (states["wait_order_ready"]["state"], states["ship_order"]["state"]) == ("completed", "active")


def _deploy_with_payload_schema(api: Api, schema: dict[str, Any]) -> None:
    """message_receiver with ``order_ready``'s payload declared by ``schema`` (payloadJsonSchemaFilename)."""
    files = corpus("message_receiver.bpmn")
    files["message_receiver.bpmn"] = files["message_receiver.bpmn"].replace(
        b'<bpmn:message id="order_ready" name="order_ready" />',
        b'<bpmn:message id="order_ready" name="order_ready"><bpmn:extensionElements><spiffworkflow:properties>'
        b'<spiffworkflow:property name="payloadJsonSchemaFilename" value="order_ready.json" />'
        b"</spiffworkflow:properties></bpmn:extensionElements></bpmn:message>",
    )
    files["order_ready.json"] = json.dumps(schema).encode()
    assert api.deploy(files).status_code == 201


def test_a_declared_payload_schema_is_offered_as_it_is(api: Api, engine: ProcessEngine) -> None:
    schema = {"type": "object", "properties": {"status": {"type": "string", "enum": ["ok"]}}}
    _deploy_with_payload_schema(api, schema)
    case = _waiting_case(engine, "A-11")
    [message] = api.get(f"/process-instances/{case}/messages", "staff_D1").get_json()
    assert (message["schema_declared"], message["payload_schema"]) == (True, schema)


@pytest.mark.parametrize(("who", "may_repair"), [("supervisor_D1", True), ("admin", True), ("staff_D1", False),
                                                 ("auditor", False)])
def test_progress_says_whether_the_reader_may_repair_the_case(api: Api, who: str, may_repair: bool) -> None:
    assert api.deploy({"deadlines.bpmn": DEADLINES.read_bytes()}).status_code == 201
    case = start(api)
    response = api.get(f"/process-instances/{case}/progress", who)
    assert response.get_json()["may_repair"] is may_repair


def test_whoever_sees_a_case_gets_its_diagram_even_a_company(api: Api) -> None:
    assert api.deploy({"deadlines.bpmn": DEADLINES.read_bytes()}).status_code == 201
    case = api.start("deadlines", variables={"reply_limit": "P3D"}, applicant_id=api.org.user_ids["applicant"])["id"]
    definition = api.get(f"/process-instances/{case}", "applicant").get_json()["definition_id"]
    assert api.get(f"/process-definitions/{definition}/xml", "applicant").status_code == 404  # the model is not listed
    response = api.get(f"/process-instances/{case}/diagram", "applicant")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.get_data() == DEADLINES.read_bytes()


def test_the_diagram_of_a_case_the_caller_may_not_see_is_not_found(api: Api) -> None:
    assert api.deploy({"deadlines.bpmn": DEADLINES.read_bytes()}).status_code == 201
    case = start(api)
    response = api.get(f"/process-instances/{case}/diagram", "staff_D3")
    assert response.status_code == 404
    assert response.get_json()["code"] == "case_not_found"


def test_a_declared_payload_schema_starts_with_the_cases_correlation_values(api: Api, engine: ProcessEngine) -> None:
    schema = {"type": "object", "required": ["order_id"],
              "properties": {"order_id": {"type": "string", "title": "订单号"}, "status": {"type": "string"}}}
    _deploy_with_payload_schema(api, schema)
    case = _waiting_case(engine, "A-12")
    [message] = api.get(f"/process-instances/{case}/messages", "staff_D1").get_json()
    assert message["schema_declared"] is True
    assert message["payload_schema"]["properties"] == {
        "order_id": {"type": "string", "title": "订单号", "default": "A-12"},  # the case's own value
        "status": {"type": "string"},
    }
