"""Messages from outside (POST /messages): visibility, correlation and payload checks.

Red-team regression (issue 8 item 1, issue 10 item 1): a sender only ever reaches cases it may see;
the payload is a JSON object of storable values, or matches the message's payload schema.
"""

from __future__ import annotations

import json

import pytest

from engine import Conflict, InvalidInput, InvalidModel, NotFound, ProcessEngine
from tests.engine.conftest import Org, corpus_files, table_counts

PAYLOAD_SCHEMA = {
    "type": "object",
    "properties": {"order_id": {"type": "string"}, "status": {"enum": ["ok", "late"]}},
    "required": ["status"],
}


@pytest.fixture
def messaging(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], corpus_files("message_receiver.bpmn"))


def _waiting(engine: ProcessEngine, org: Org, order_id: str, *, by: str = "staff_D1") -> str:
    case = engine.runtime.start(org[by], "message_receiver", variables={"order_id": order_id})
    engine.tasks.complete(org[by], case.open_tasks[0].id)
    return case.id


def _open_activities(engine: ProcessEngine, org: Org, instance_id: str) -> list[str]:
    return [t.activity_id for t in engine.runtime.get(org["admin"], instance_id).open_tasks]


def test_a_case_the_sender_may_not_see_never_receives(engine: ProcessEngine, org: Org, messaging: None) -> None:
    hidden = _waiting(engine, org, "A-1", by="staff_D2")
    before = table_counts(engine)
    with pytest.raises(NotFound) as raised:
        engine.runtime.deliver_message(
            org["staff_D3"], "order_ready", payload={"order_id": "A-1"}, correlation={"order_id": "A-1"}
        )
    assert raised.value.code == "no_waiting_case"
    assert table_counts(engine) == before
    assert _open_activities(engine, org, hidden) == []


def test_invisible_cases_never_make_a_message_ambiguous(engine: ProcessEngine, org: Org, messaging: None) -> None:
    hidden = _waiting(engine, org, "A-1", by="staff_D2")
    mine = _waiting(engine, org, "A-1", by="staff_D1")
    result = engine.runtime.deliver_message(
        org["staff_D1"], "order_ready", payload={"order_id": "A-1"}, correlation={"order_id": "A-1"}
    )
    assert result.delivered_to == (mine,)
    assert _open_activities(engine, org, hidden) == []


def test_naming_an_invisible_case_is_case_not_found(engine: ProcessEngine, org: Org, messaging: None) -> None:
    hidden = _waiting(engine, org, "A-1", by="staff_D2")
    with pytest.raises(NotFound) as raised:
        engine.runtime.deliver_message(org["staff_D3"], "order_ready", payload={}, instance_id=hidden)
    assert raised.value.code == "case_not_found"


def test_naming_a_visible_case_that_is_not_waiting_is_not_waiting(
    engine: ProcessEngine, org: Org, messaging: None
) -> None:
    case = engine.runtime.start(org["staff_D1"], "message_receiver", variables={"order_id": "A-1"})
    with pytest.raises(Conflict) as raised:
        engine.runtime.deliver_message(org["staff_D1"], "order_ready", payload={}, instance_id=case.id)
    assert raised.value.code == "not_waiting"


def test_with_the_case_named_the_payload_need_not_repeat_its_correlation_values(
    engine: ProcessEngine, org: Org, messaging: None
) -> None:
    case = _waiting(engine, org, "A-1")
    result = engine.runtime.deliver_message(org["staff_D1"], "order_ready", payload={"status": "ok"}, instance_id=case)
    assert result.delivered_to == (case,)
    view = engine.runtime.get(org["admin"], case)
    assert view.variables["order_ready_message"] == {"status": "ok"}
    assert _open_activities(engine, org, case) == ["ship_order"]


def test_without_the_case_named_a_payload_missing_a_correlation_property_is_refused(
    engine: ProcessEngine, org: Org, messaging: None
) -> None:
    _waiting(engine, org, "A-1")
    before = table_counts(engine)
    with pytest.raises(InvalidInput) as raised:
        engine.runtime.deliver_message(
            org["staff_D1"], "order_ready", payload={"status": "ok"}, correlation={"order_id": "A-1"}
        )
    assert [p.field for p in raised.value.problems] == ["/payload/order_id"]
    assert table_counts(engine) == before


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ([1, 2], "/payload", "type"),
        ({"order_id": "A-1", "x": {"typename": "BpmnWorkflow"}}, "/payload/x/typename", "reserved_key"),
        ({"order_id": "A-1", "n": float("nan")}, "/payload/n", "not_storable"),
        ({"order_id": "A-1", "_wt_tick_": 1}, "/payload/_wt_tick_", "reserved_name"),
    ],
    ids=["not an object", "typename", "nan", "sandbox name"],
)
def test_a_payload_that_is_not_storable_data_is_refused(
    engine: ProcessEngine, org: Org, messaging: None, payload: object, field: str, code: str
) -> None:
    case = _waiting(engine, org, "A-1")
    before = table_counts(engine)
    with pytest.raises(InvalidInput) as raised:
        engine.runtime.deliver_message(org["staff_D1"], "order_ready", payload=payload, instance_id=case)
    assert (raised.value.problems[0].field, raised.value.problems[0].code) == (field, code)
    assert table_counts(engine) == before


def _with_payload_schema(schema_name: str = "order_ready.json") -> dict[str, bytes]:
    files = corpus_files("message_receiver.bpmn")
    files["message_receiver.bpmn"] = files["message_receiver.bpmn"].replace(
        b'<bpmn:message id="order_ready" name="order_ready" />',
        b'<bpmn:message id="order_ready" name="order_ready"><bpmn:extensionElements><spiffworkflow:properties>'
        b'<spiffworkflow:property name="payloadJsonSchemaFilename" value="' + schema_name.encode() + b'" />'
        b"</spiffworkflow:properties></bpmn:extensionElements></bpmn:message>",
    )
    return files


def test_a_payload_is_checked_against_the_messages_payload_schema(engine: ProcessEngine, org: Org) -> None:
    files = _with_payload_schema()
    files["order_ready.json"] = json.dumps(PAYLOAD_SCHEMA).encode()
    engine.repository.deploy(org["designer"], files)
    case = _waiting(engine, org, "A-1")
    with pytest.raises(InvalidInput) as raised:
        engine.runtime.deliver_message(org["staff_D1"], "order_ready", payload={"status": "lost"}, instance_id=case)
    assert [p.field for p in raised.value.problems] == ["/payload/status"]
    result = engine.runtime.deliver_message(org["staff_D1"], "order_ready", payload={"status": "ok"}, instance_id=case)
    assert result.delivered_to == (case,)


def test_a_payload_schema_missing_from_the_upload_is_refused_at_deploy(engine: ProcessEngine, org: Org) -> None:
    with pytest.raises(InvalidModel) as raised:
        engine.repository.deploy(org["designer"], _with_payload_schema("absent.json"))
    assert [p.code for p in raised.value.problems] == ["form_missing"]


def test_a_message_a_completion_throws_is_recorded_after_the_completion_and_before_what_it_opens(
    engine: ProcessEngine, org: Org
) -> None:
    engine.repository.deploy(org["designer"], corpus_files("message_receiver.bpmn", "message_sender.bpmn"))
    receiver = _waiting(engine, org, "A-1")
    sender = engine.runtime.start(org["staff_D1"], "message_sender", variables={"order_id": "A-1", "status": "ok"})
    engine.tasks.complete(org["staff_D1"], sender.open_tasks[0].id)  # delivered inside the completion's step
    sent = [e.action for e in engine.history.case_events(org["admin"], sender.id)]
    assert sent.index("task.completed") < sent.index("case.completed")
    events = engine.history.case_events(org["admin"], receiver)
    received = [i for i, e in enumerate(events) if e.action == "message.received"]
    opened = [
        i
        for i, e in enumerate(events)
        if e.action == "task.created" and (e.details or {}).get("activity_id") == "ship_order"
    ]
    assert len(received) == 1 and len(opened) == 1
    assert received[0] < opened[0]  # the receiver's chain: the message, then what it caused
    assert events[received[0]].details["from"] == sender.id
    assert [e.seq for e in events] == sorted(e.seq for e in events)
