"""Task instances of their own: every opening of a user task (a loop pass, a multi-instance child, a
step reopened by a send-back) is a row with its own id; a later opening never overwrites an earlier
one, and the history keeps each round's assignee and data."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command

from engine import FrozenClock, ProcessEngine
from engine.consistency import live_document, stored_document
from engine.persistence import migrate
from engine.persistence.tables import tasks
from tests.engine.conftest import Org, corpus_files, process_files


def _rows(engine: ProcessEngine, case: str, activity: str) -> list[dict[str, Any]]:
    with engine.db.transaction(write=False) as connection:
        query = sa.select(tasks).where(tasks.c.instance_id == case, tasks.c.activity_id == activity)
        return [dict(r) for r in connection.execute(query.order_by(tasks.c.created_at, tasks.c.id)).mappings()]


def _open(engine: ProcessEngine, org: Org, case: str, activity: str) -> str:
    return next(t.id for t in engine.runtime.get(org["admin"], case).open_tasks if t.activity_id == activity)


def _sent_back_once(engine: ProcessEngine, org: Org, clock: FrozenClock) -> str:
    """The ``deadlines`` case: reply answered "first" by staff_D2, then the review sent it back."""
    engine.repository.deploy(org["designer"], process_files("deadlines.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "deadlines", variables={"reply_limit": "P3D"}).id
    engine.tasks.complete(org["staff_D1"], _open(engine, org, case, "accept"))
    engine.tasks.complete(org["staff_D2"], _open(engine, org, case, "reply"), {"answer": "first"})
    engine.tasks.complete(org["staff_D2"], _open(engine, org, case, "quick"))
    clock.advance(60)  # the second round opens a minute after the first
    engine.supervision.send_back(org["supervisor_D1"], _open(engine, org, case, "review"), "incomplete")
    return case


def test_a_send_back_opens_a_new_task_instance_and_keeps_the_first_round(
    engine: ProcessEngine, org: Org, clock: FrozenClock
) -> None:
    case = _sent_back_once(engine, org, clock)
    engine.tasks.claim(org["supervisor_D2"], _open(engine, org, case, "reply"))
    engine.tasks.complete(org["supervisor_D2"], _open(engine, org, case, "reply"), {"answer": "second"})
    first, second = _rows(engine, case, "reply")
    assert first["id"] != second["id"] and first["spiff_task_id"] == second["spiff_task_id"]
    assert (first["state"], first["completed_by"], first["submitted_json"]) == (
        "completed",
        org["staff_D2"].user_id,
        '{"answer":"first"}',
    )
    assert (second["state"], second["completed_by"], second["submitted_json"]) == (
        "completed",
        org["supervisor_D2"].user_id,
        '{"answer":"second"}',
    )
    assert first["ended_at"] is not None and second["ended_at"] is not None


def test_the_reopened_instance_is_the_one_the_api_completes(
    engine: ProcessEngine, org: Org, clock: FrozenClock
) -> None:
    case = _sent_back_once(engine, org, clock)
    reopened = _open(engine, org, case, "reply")
    first = _rows(engine, case, "reply")[0]
    assert reopened != first["id"] and engine.tasks.get(org["admin"], first["id"]).state == "completed"
    result = engine.tasks.complete(org["staff_D2"], reopened, {"answer": "second"})
    assert result.task.id == reopened and result.task.state == "completed"
    assert [t.activity_id for t in engine.runtime.get(org["admin"], case).open_tasks] == ["quick"]


def test_the_history_shows_each_rounds_assignee_and_data(engine: ProcessEngine, org: Org, clock: FrozenClock) -> None:
    case = _sent_back_once(engine, org, clock)
    engine.tasks.complete(org["supervisor_D2"], _open(engine, org, case, "reply"), {"answer": "second"})
    first, second = (r["id"] for r in _rows(engine, case, "reply"))
    events = engine.history.case_events(org["auditor"], case)
    completed = [
        (e.task_id, e.actor_user_id, (e.details or {})["data"])
        for e in events
        if e.action == "task.completed" and e.task_id in (first, second)
    ]
    assert completed == [
        (first, org["staff_D2"].user_id, {"answer": "first"}),
        (second, org["supervisor_D2"].user_id, {"answer": "second"}),
    ]
    created = [
        (e.task_id, (e.details or {})["department"])
        for e in events
        if e.action == "task.created" and e.task_id in (first, second)
    ]
    assert created == [(first, "D2"), (second, "D2")]


def test_a_loop_gives_one_task_instance_per_pass(engine: ProcessEngine, org: Org, clock: FrozenClock) -> None:
    engine.repository.deploy(org["designer"], corpus_files("standard_loop.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "standard_loop").id
    for value in ("a", "b"):
        clock.advance(60)  # each pass opens a minute after the one before
        engine.tasks.complete(org["staff_D1"], _open(engine, org, case, "collect"), {"done": False, "entry": value})
    engine.tasks.complete(org["staff_D1"], _open(engine, org, case, "collect"), {"done": True, "entry": "c"})
    rows = _rows(engine, case, "collect")
    assert [r["submitted_json"] for r in rows] == [
        f'{{"done":{str(v == "c").lower()},"entry":"{v}"}}' for v in ("a", "b", "c")
    ]
    assert len({r["id"] for r in rows}) == 3 and {r["state"] for r in rows} == {"completed"}


def test_a_multi_instance_gives_one_task_instance_per_child(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], corpus_files("multi_instance.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "multi_instance", variables={"items": ["a", "b", "c"]}).id
    for _ in range(3):
        engine.tasks.complete(org["staff_D1"], _open(engine, org, case, "review_item"), {"result": "ok"})
    rows = _rows(engine, case, "review_item")
    assert len(rows) == 3 and len({r["spiff_task_id"] for r in rows}) == 3
    assert {r["state"] for r in rows} == {"completed"}
    assert [t.activity_id for t in engine.runtime.get(org["admin"], case).open_tasks] == ["summarize"]


def test_a_case_with_reopened_instances_reloads_exactly(engine: ProcessEngine, org: Org, clock: FrozenClock) -> None:
    case = _sent_back_once(engine, org, clock)
    engine.tasks.complete(org["staff_D2"], _open(engine, org, case, "reply"), {"answer": "second"})
    assert stored_document(engine, case) == live_document(engine, case)


def test_the_migration_gives_existing_rows_their_own_id_as_workflow_task(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], process_files("deadlines.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "deadlines", variables={"reply_limit": "P3D"}).id
    config = migrate.alembic_config(engine.db)
    with engine.db.transaction() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008_authpath")
    engine.upgrade_schema()
    [row] = _rows(engine, case, "accept")
    assert row["spiff_task_id"] == row["id"]
