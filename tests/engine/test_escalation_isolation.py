"""The worker's escalation run isolates failures: one overdue task whose escalation fails does not
stop the escalation of the other overdue tasks (as the timer run already does for timers)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from engine import FrozenClock, ProcessEngine
from engine.persistence.tables import process_definitions, process_instances, tasks
from tests.engine.conftest import Org, make_engine, process_files

HEALTHY_CASES = 3


def _accept_tasks(engine: ProcessEngine, process_key: str) -> dict[str, object]:
    """The escalated_at of each case's first task ("accept") of one process."""
    with engine.db.transaction(write=False) as connection:
        return dict(
            connection.execute(
                select(tasks.c.id, tasks.c.escalated_at)
                .join(process_instances, process_instances.c.id == tasks.c.instance_id)
                .where(process_instances.c.process_key == process_key, tasks.c.activity_id == "accept")
            ).all()
        )


def test_one_failing_escalation_does_not_stop_the_others(
    engine: ProcessEngine, org: Org, clock: FrozenClock, database_url: str
) -> None:
    source = process_files("deadlines.bpmn")["deadlines.bpmn"]
    broken = source.replace(b'id="deadlines"', b'id="broken"')
    broken = broken.replace(b'processRef="deadlines"', b'processRef="broken"')
    engine.repository.deploy(org["designer"], {"deadlines.bpmn": source})
    engine.repository.deploy(org["designer"], {"broken.bpmn": broken})
    engine.runtime.start(org["staff_D1"], "broken", variables={"reply_limit": "P3D"})
    clock.advance(timedelta(days=1))  # the broken case's task is due first, so it is tried first
    for _ in range(HEALTHY_CASES):
        engine.runtime.start(org["staff_D1"], "deadlines", variables={"reply_limit": "P3D"})
    clock.advance(timedelta(days=3))
    with engine.db.transaction() as connection:  # its stored model no longer reads: escalating it fails
        connection.execute(
            update(process_definitions).where(process_definitions.c.key == "broken").values(model_json="{not json")
        )
    worker_engine = make_engine(database_url, clock)  # no definitions cached yet
    try:
        raised = worker_engine.supervision.escalate_overdue()
    finally:
        worker_engine.close()

    assert raised == HEALTHY_CASES
    assert list(_accept_tasks(engine, "broken").values()) == [None]
    healthy = _accept_tasks(engine, "deadlines")
    assert len(healthy) == HEALTHY_CASES and all(at is not None for at in healthy.values())
