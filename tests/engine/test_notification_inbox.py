"""Each user's notifications as an inbox (engine.services.notifications): unread until their recipient
marks them read, counted, and only ever the recipient's own; ``system`` (no user) has none."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import FrozenClock, ProcessEngine
from engine.actors import SYSTEM
from engine.worker import Worker
from tests.engine.conftest import Org, process_files


@pytest.fixture
def escalated(engine: ProcessEngine, org: Org, clock: FrozenClock) -> str:
    """deadlines.bpmn with its reply step overdue and escalated: supervisor_D2 and supervisor_D3 are told."""
    engine.repository.deploy(org["designer"], process_files("deadlines.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "deadlines", variables={"reply_limit": "P3D"}).id
    accept = [t.id for t in engine.runtime.get(org["admin"], case).open_tasks if t.activity_id == "accept"]
    engine.tasks.complete(org["staff_D1"], accept[0])
    clock.advance(timedelta(days=5))
    assert Worker(engine).run_once().escalated == 1
    return case


def test_a_notification_is_unread_until_its_recipient_marks_it(
    engine: ProcessEngine, org: Org, escalated: str, clock: FrozenClock
) -> None:
    mine = engine.notifications.mine(org["supervisor_D2"])
    assert mine.total == 1 and mine.items[0].read_at is None
    assert engine.notifications.unread_count(org["supervisor_D2"]) == 1
    assert engine.notifications.mark_read(org["supervisor_D2"], [mine.items[0].id]) == 1
    assert engine.notifications.mine(org["supervisor_D2"]).items[0].read_at == clock.now()
    assert engine.notifications.mine(org["supervisor_D2"], unread_only=True).total == 0
    assert engine.notifications.unread_count(org["supervisor_D3"]) == 1  # each recipient reads their own


def test_nobody_marks_anothers_notifications_not_even_an_admin(
    engine: ProcessEngine, org: Org, escalated: str
) -> None:
    for actor in (org["admin"], org["supervisor_D1"], SYSTEM):
        assert engine.notifications.mark_read(actor, None) == 0
        assert engine.notifications.mine(actor).total == 0
    assert engine.notifications.unread_count(org["supervisor_D2"]) == 1
