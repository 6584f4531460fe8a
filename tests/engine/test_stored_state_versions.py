"""Stored state records the serializer and layout versions that wrote it; older cases are migrated
on restore, unknown or newer ones refused clearly (issue: versioned stored state).

The legacy fixture is a case SpiffWorkflow 3.1.2 serialized (serializer 1.4):
tests/fixtures/legacy/make_spiff_3_1_2_case.py made it in a throw-away virtualenv.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as LIBRARY_SERIALIZER_VERSION
from sqlalchemy import delete, insert, select, update

from engine import Conflict, FrozenClock, ProcessEngine
from engine.consistency import live_document, stored_document
from engine.persistence.tables import case_state_rows, process_definitions, process_instances
from engine.spiff.state import document_rows
from engine.spiff.state_versions import LAYOUT_VERSION, SERIALIZER_VERSION, migrate_document
from tests.engine.conftest import Org, make_engine

LEGACY = Path(__file__).resolve().parent.parent / "fixtures" / "legacy"


def legacy_fixture() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((LEGACY / "spiff_3_1_2_case.json").read_text())
    return loaded


def deploy_legacy_process(engine: ProcessEngine, org: Org) -> None:
    files = {name: (LEGACY / name).read_bytes() for name in ("legacy_parent.bpmn", "legacy_child.bpmn")}
    engine.repository.deploy(org["designer"], files)


def versions(engine: ProcessEngine, table: Any, row_id: str) -> tuple[str, int]:
    with engine.db.transaction(write=False) as connection:
        row = connection.execute(
            select(table.c.serializer_version, table.c.layout_version).where(table.c.id == row_id)
        ).one()
    return row.serializer_version, row.layout_version


def start_waiting_case(engine: ProcessEngine, org: Org) -> str:
    """A case of legacy_parent started by today's engine, up to the gateway in its child."""
    view = engine.runtime.start(org["staff_D1"], "legacy_parent", variables={"order_id": "A-1"})
    (prepare,) = view.open_tasks
    engine.tasks.complete(org["staff_D1"], prepare.id, {"note": "prepared under SpiffWorkflow 3.1.2"})
    return view.id


def replace_with_legacy_state(engine: ProcessEngine, instance_id: str) -> None:
    """Store the 3.1.2 case and its 1.4 specs in place of the case and definition, as an old
    database would hold them, and forget everything cached."""
    document = legacy_fixture()["document"]
    assert document["serializer_version"] == "1.4"
    specs = {"spec": document["spec"], "subprocess_specs": document["subprocess_specs"]}
    with engine.db.transaction() as connection:
        definition_id = connection.execute(
            select(process_instances.c.definition_id).where(process_instances.c.id == instance_id)
        ).scalar_one()
        connection.execute(
            update(process_definitions)
            .where(process_definitions.c.id == definition_id)
            .values(spec_json=json.dumps(specs), serializer_version="1.4")
        )
        connection.execute(delete(case_state_rows).where(case_state_rows.c.instance_id == instance_id))
        connection.execute(
            insert(case_state_rows),
            [
                {
                    "instance_id": instance_id,
                    "row_key": row.key,
                    "owner": row.owner,
                    "seq": seq,
                    "digest": row.digest,
                    "content": row.content,
                }
                for seq, row in enumerate(document_rows(document))
            ],
        )
        connection.execute(
            update(process_instances)
            .where(process_instances.c.id == instance_id)
            .values(serializer_version="1.4", row_version=process_instances.c.row_version + 1)
        )
    engine.cases.clear()
    engine._definitions.clear()


def assert_reloads_equal(engine: ProcessEngine, database_url: str, clock: FrozenClock, instance_id: str) -> None:
    checker = make_engine(database_url, clock, cache=False)
    try:
        assert stored_document(checker, instance_id) == live_document(engine, instance_id)
    finally:
        checker.close()


def test_the_current_serializer_version_is_the_librarys() -> None:
    assert SERIALIZER_VERSION == LIBRARY_SERIALIZER_VERSION


def test_deployments_and_cases_record_the_versions_that_wrote_them(engine: ProcessEngine, org: Org) -> None:
    deploy_legacy_process(engine, org)
    instance_id = start_waiting_case(engine, org)
    case = engine.runtime.get(org["admin"], instance_id)
    assert versions(engine, process_instances, instance_id) == (SERIALIZER_VERSION, LAYOUT_VERSION)
    assert versions(engine, process_definitions, case.definition_id) == (SERIALIZER_VERSION, LAYOUT_VERSION)


def test_a_case_written_by_spiffworkflow_3_1_2_restores_and_runs_to_the_end(
    engine: ProcessEngine, org: Org, database_url: str, clock: FrozenClock
) -> None:
    deploy_legacy_process(engine, org)
    instance_id = start_waiting_case(engine, org)
    replace_with_legacy_state(engine, instance_id)

    restored = stored_document(engine, instance_id)  # migrated in memory, nothing written
    assert versions(engine, process_instances, instance_id) == ("1.4", LAYOUT_VERSION)
    waiting = [t for t in restored["subprocesses"].values() for t in t["tasks"].values() if t["state"] == 8]
    assert [t["task_spec"] for t in waiting] == ["wait"]  # 1.5 waits on the gateway alone

    result = engine.runtime.deliver_message(
        org["staff_D1"], "go_ahead", payload={"order_id": "A-1"}, instance_id=instance_id
    )
    assert result.delivered_to == (instance_id,)
    assert versions(engine, process_instances, instance_id) == (SERIALIZER_VERSION, LAYOUT_VERSION)
    assert_reloads_equal(engine, database_url, clock, instance_id)

    case = engine.runtime.get(org["staff_D1"], instance_id)
    assert [t.activity_id for t in case.open_tasks] == ["finish"]
    engine.tasks.complete(org["staff_D1"], case.open_tasks[0].id, {})
    assert_reloads_equal(engine, database_url, clock, instance_id)
    finished = engine.runtime.get(org["staff_D1"], instance_id)
    assert finished.state == "completed"
    assert finished.variables["go"] == {"order_id": "A-1"}
    assert finished.variables["note"] == "prepared under SpiffWorkflow 3.1.2"


def test_the_timer_a_3_1_2_gateway_was_waiting_for_still_fires_at_its_time(
    engine: ProcessEngine, org: Org, database_url: str, clock: FrozenClock
) -> None:
    deploy_legacy_process(engine, org)
    instance_id = start_waiting_case(engine, org)
    replace_with_legacy_state(engine, instance_id)
    due = datetime.fromisoformat(legacy_child_timer_due())

    clock.set(due - timedelta(minutes=1))
    engine.runtime.fire_due_timers()
    assert [t.activity_id for t in engine.runtime.get(org["staff_D1"], instance_id).open_tasks] == []

    clock.set(due + timedelta(minutes=1))
    engine.runtime.fire_due_timers()
    case = engine.runtime.get(org["staff_D1"], instance_id)
    assert [t.activity_id for t in case.open_tasks] == ["finish"]
    assert "child_end_late" in case.completed_activities
    assert_reloads_equal(engine, database_url, clock, instance_id)


def legacy_child_timer_due() -> str:
    """The due time 3.1.2 kept on the gateway's timer branch (1.5 keeps it on the gateway)."""
    document = legacy_fixture()["document"]
    (due,) = [
        task["internal_data"]["event_value"]
        for sub in document["subprocesses"].values()
        for task in sub["tasks"].values()
        if "event_value" in task["internal_data"]
    ]
    return str(due)


def test_the_1_3_step_marks_reached_loops_started_also_inside_subprocesses() -> None:
    loop_spec = {"task_specs": {"loop": {"typename": "StandardLoopTask"}, "plain": {"typename": "UserTask"}}}
    document: dict[str, Any] = {
        "spec": {"task_specs": {}},
        "tasks": {},
        "subprocess_specs": {"child": loop_spec},
        "subprocesses": {
            "s1": {
                "spec": "child",
                "tasks": {
                    "a": {"task_spec": "loop", "state": 8, "children": []},
                    "b": {"task_spec": "plain", "state": 8, "children": []},
                },
            }
        },
    }
    migrated = migrate_document(document, "1.3")
    tasks = migrated["subprocesses"]["s1"]["tasks"]
    assert (tasks["a"]["state"], tasks["b"]["state"]) == (32, 8)
    assert migrated["serializer_version"] == SERIALIZER_VERSION
    assert document["subprocesses"]["s1"]["tasks"]["a"]["state"] == 8  # the stored document is left alone


@pytest.mark.parametrize(
    ("serializer_version", "layout_version", "said"),
    [("9.9", LAYOUT_VERSION, "serializer 9.9"), ("1.1", LAYOUT_VERSION, "serializer 1.1"), ("1.5", 7, "layout 7")],
)
def test_a_case_of_an_unknown_or_newer_version_is_refused_clearly(
    engine: ProcessEngine, org: Org, serializer_version: str, layout_version: int, said: str
) -> None:
    deploy_legacy_process(engine, org)
    instance_id = start_waiting_case(engine, org)
    with engine.db.transaction() as connection:
        connection.execute(
            update(process_instances)
            .where(process_instances.c.id == instance_id)
            .values(serializer_version=serializer_version, layout_version=layout_version)
        )
    engine.cases.clear()
    with pytest.raises(Conflict, match=said) as refused:
        stored_document(engine, instance_id)
    assert refused.value.code == "unsupported_state_version"
    with pytest.raises(Conflict, match=said):
        engine.runtime.cancel(org["admin"], instance_id, "cannot be read")
