"""Two real `wutong worker` processes fire every timer exactly once, even when one is killed with
SIGKILL mid-run and restarted, and when both are down while timers fall due."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import SYSTEM, EngineConfig, ProcessEngine, SystemClock
from engine.persistence.tables import audit_events, process_instances, timers

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "tests" / "engine" / "processes" / "timer_wait.bpmn"
WUTONG = Path(sys.executable).with_name("wutong")
CASES = 60


@pytest.fixture
def engine(database_url: str) -> Iterator[ProcessEngine]:
    process_engine = ProcessEngine(EngineConfig(database_url=database_url), clock=SystemClock())
    process_engine.upgrade_schema()
    yield process_engine
    process_engine.close()


def _worker(database_url: str, name: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "WUTONG_DATABASE_URL": database_url}
    log = open(f"/tmp/wutong-worker-{name}-{os.getpid()}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([str(WUTONG), "worker", "--poll", "0.1"], env=env, stdout=log, stderr=subprocess.STDOUT)


def _fired(engine: ProcessEngine) -> Counter[str]:
    with engine.db.transaction(write=False) as connection:
        rows = connection.execute(
            select(audit_events.c.instance_id).where(audit_events.c.action == "timer.fired")
        ).scalars()
        return Counter(rows)


def test_every_timer_fires_exactly_once_across_killed_and_restarted_workers(
    engine: ProcessEngine, database_url: str
) -> None:
    engine.identity.create_department(SYSTEM, "D1", "一部")
    engine.identity.create_user(SYSTEM, "starter", roles=["staff"], departments_=["D1"])
    token = engine.identity.create_token(SYSTEM, engine.identity.find_user("starter").id)
    assert token.secret is not None
    starter = engine.identity.authenticate(token.secret)
    engine.repository.deploy(SYSTEM, {"timer_wait.bpmn": MODEL.read_bytes()})
    first_due = datetime.now(UTC) + timedelta(seconds=3)
    cases = [
        engine.runtime.start(
            starter, "timer_wait", variables={"due_at": (first_due + timedelta(seconds=i * 0.15)).isoformat()}
        ).id
        for i in range(CASES)
    ]
    workers = {"a": _worker(database_url, "a"), "b": _worker(database_url, "b")}
    try:
        time.sleep(max(0.0, (first_due - datetime.now(UTC)).total_seconds()) + 2.0)
        workers["a"].send_signal(signal.SIGKILL)  # mid-run: timers are falling due every 0.15 s
        workers["a"].wait(10)
        time.sleep(1.0)
        workers["b"].send_signal(signal.SIGKILL)  # now nobody runs while more timers fall due
        workers["b"].wait(10)
        time.sleep(2.0)
        workers["a"] = _worker(database_url, "a2")
        workers["b"] = _worker(database_url, "b2")
        last_due = first_due + timedelta(seconds=CASES * 0.15)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with engine.db.transaction(write=False) as connection:
                left = connection.execute(select(timers.c.instance_id)).first()
            if left is None and datetime.now(UTC) > last_due:
                break
            time.sleep(0.3)
    finally:
        for process in workers.values():
            process.terminate()
        for process in workers.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
    fired = _fired(engine)
    assert sorted(fired) == sorted(cases), f"{len(fired)} of {CASES} cases fired"
    assert {n for n in fired.values()} == {1}, [c for c, n in fired.items() if n > 1]
    with engine.db.transaction(write=False) as connection:
        states = Counter(connection.execute(select(process_instances.c.state)).scalars())
    assert states == {"completed": CASES}
