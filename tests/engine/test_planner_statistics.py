"""The worker refreshes the query planner's statistics at its start and once a day (``ANALYZE``): the
list queries' plans depend on them, and SQLite never gathers them by itself."""

from __future__ import annotations

from datetime import timedelta

from engine import FrozenClock, ProcessEngine
from engine.worker import Worker
from tests.engine.conftest import Org, process_files


def analyzed_tables(engine: ProcessEngine) -> set[str]:
    """The tables the database holds planner statistics for."""
    with engine.db.connect(write=False) as connection:
        if engine.db.dialect == "sqlite":
            stat1 = "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
            if not connection.exec_driver_sql(stat1).scalar():
                return set()
            return {row[0] for row in connection.exec_driver_sql("SELECT DISTINCT tbl FROM sqlite_stat1")}
        return {row[0] for row in connection.exec_driver_sql("SELECT DISTINCT tablename FROM pg_stats")}


def _start_a_case(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], process_files("deadlines.bpmn"))
    engine.runtime.start(org["staff_D1"], "deadlines", variables={"reply_limit": "P3D"})


def test_the_worker_analyzes_the_tables_when_it_starts(engine: ProcessEngine, org: Org) -> None:
    _start_a_case(engine, org)
    assert "tasks" not in analyzed_tables(engine)
    assert Worker(engine).refresh_statistics_if_due() is not None
    assert {"tasks", "process_instances"} <= analyzed_tables(engine)


def test_the_worker_analyzes_again_only_a_day_later(engine: ProcessEngine, org: Org, clock: FrozenClock) -> None:
    worker = Worker(engine)
    assert worker.refresh_statistics_if_due() is not None
    _start_a_case(engine, org)
    clock.advance(timedelta(hours=23))
    assert worker.refresh_statistics_if_due() is None
    assert "tasks" not in analyzed_tables(engine)  # the tasks table was empty at the first ANALYZE
    clock.advance(timedelta(hours=1))
    assert worker.refresh_statistics_if_due() is not None
    assert "tasks" in analyzed_tables(engine)
