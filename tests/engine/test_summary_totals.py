"""The summary read from the monthly totals (engine/ledger_totals.py) agrees with the summary computed
the plain way over the ledger rows, for any window (whole months, partial months at either edge, open
ends), filter and scope; and the totals each save keeps equal the totals recounted from the ledger."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from engine import SYSTEM, ProcessEngine, ledger_totals
from engine.ledger import _upsert
from engine.persistence.tables import (
    ledger_month_cells,
    ledger_month_closures,
    ledger_month_days,
    process_definitions,
    process_instances,
)
from engine.services.reports import ReportFilter
from tests.engine.conftest import Org, process_files
from tests.engine.summary_reference import plain_summary

START = datetime(2024, 12, 1, tzinfo=UTC)


def _row(rng: random.Random, instance_id: str, n: int, started: datetime, process: str, ended: bool) -> dict[str, Any]:
    """A ledger row of the shape the projection writes (months local: Asia/Shanghai, UTC+8)."""
    how = rng.choice(("completed", "completed", "completed", "terminated", "cancelled")) if ended else None
    accepted = rng.random() > 0.1
    closed = accepted and how == "completed" and rng.random() > 0.15
    end = started + timedelta(days=rng.randint(0, 50), hours=rng.randint(0, 23)) if how else None
    due = rng.choice((None, started + timedelta(days=rng.randint(1, 30))))
    return {
        "instance_id": instance_id, "number": f"T-{n:05d}", "business_key": None, "process_key": process,
        "department_code": rng.choice((None, "", "D1", "D1", "D2", "D3")), "owner_department_code": None,
        "applicant_user_id": None, "company": None, "credit_code": None,
        "category": rng.choice((None, "", "A", "A", "B", "类别三")), "outcome": None,
        "state": ("running" if rng.random() > 0.2 else "error") if how is None else
                 ("cancelled" if how == "cancelled" else "completed"),
        "ended_how": how, "accepted": accepted, "closed": closed,
        "satisfaction": rng.choice((None, 1, 2, 3, 4, 5)), "started_at": started, "ended_at": end,
        "start_month": (started + timedelta(hours=8)).strftime("%Y-%m"),
        "end_month": (end + timedelta(hours=8)).strftime("%Y-%m") if end else None,
        "due_at": due, "original_due_at": due,
        "handling_days": rng.randint(0, 30) if end else None,
        "on_time": (end <= due) if closed and end and due else None,
        "on_time_original": (end <= due - timedelta(days=2)) if closed and end and due else None,
        "current_steps": "", "current_departments": "", "extra_json": "{}",
    }


@pytest.fixture
def ledger(engine: ProcessEngine, org: Org) -> list[dict[str, Any]]:
    """240 cases from December 2024 to April 2025 in two processes, many starting near a local month's
    edge, written through the projection; then a third of them change (closed, moved to another
    category or department) and some are written again unchanged, as later commands would."""
    engine.repository.deploy(org["designer"], process_files("deadlines.bpmn"))
    rng = random.Random(7)
    rows: list[dict[str, Any]] = []
    with engine.db.transaction() as connection:
        definition = connection.execute(select(process_definitions.c.id, process_definitions.c.key)).first()
        assert definition is not None
        for n in range(240):
            started = START + timedelta(days=rng.randint(0, 140), hours=rng.choice((0, 3, 15, 16, 17, 23)))
            process = rng.choice((definition.key, "other_process"))
            instance_id = str(uuid.uuid4())
            connection.execute(insert(process_instances).values(
                id=instance_id, number=f"T-{n:05d}", definition_id=definition.id, process_key=process,
                state="running", variables_json="{}", completed_activities_json="[]",
                active_activities_json="[]", row_version=1, serializer_version="1.4", layout_version=1,
                started_at=started,
            ))
            row = _row(rng, instance_id, n, started, process, ended=rng.random() > 0.3)
            _upsert(connection, row)
            rows.append(row)
    with engine.db.transaction() as connection:
        for row in rows[::3]:
            changed = {**_row(rng, row["instance_id"], 0, row["started_at"], row["process_key"], ended=True),
                       "number": row["number"]}
            _upsert(connection, changed)
            row.update(changed)
        for row in rows[1::7]:
            _upsert(connection, dict(row))
    return rows


WINDOWS = [
    ReportFilter(),
    ReportFilter(from_=date(2025, 1, 1), to=date(2025, 3, 31)),  # whole months only
    ReportFilter(from_=date(2024, 12, 15), to=date(2025, 3, 10)),  # partial months at both edges
    ReportFilter(from_=date(2025, 2, 3), to=date(2025, 2, 20)),  # inside one month
    ReportFilter(from_=date(2025, 1, 31), to=date(2025, 3, 1)),  # one day at each edge
    ReportFilter(from_=date(2025, 1, 17)),
    ReportFilter(to=date(2025, 2, 14)),
    ReportFilter(from_=date(2025, 2, 1), to=date(2025, 2, 28), process="other_process"),
    ReportFilter(from_=date(2024, 12, 2), department="D1"),
    ReportFilter(department=""),
    ReportFilter(to=date(2025, 4, 30), category="A"),
    ReportFilter(from_=date(2025, 1, 10), to=date(2025, 4, 9), category="类别三", department="D2"),
    ReportFilter(from_=date(2026, 1, 1)),  # nothing
]


@pytest.mark.parametrize("where", WINDOWS, ids=[str(n) for n in range(len(WINDOWS))])
def test_the_summary_agrees_with_a_plain_count_of_the_ledger(
    engine: ProcessEngine, ledger: list[dict[str, Any]], where: ReportFilter
) -> None:
    assert engine.reports.summary(SYSTEM, where) == plain_summary(engine, where)


def test_a_supervisors_summary_agrees_with_a_plain_count_of_their_departments(
    engine: ProcessEngine, org: Org, ledger: list[dict[str, Any]]
) -> None:
    for where in (ReportFilter(), ReportFilter(from_=date(2024, 12, 20), to=date(2025, 2, 27))):
        summary = engine.reports.summary(org["supervisor_D1"], where)
        assert summary == plain_summary(engine, where, frozenset({"D1"}))
        assert summary["received"] > 0


def _totals(engine: ProcessEngine) -> list[list[tuple[Any, ...]]]:
    def read(connection: Any) -> list[list[tuple[Any, ...]]]:
        return [sorted(tuple(r) for r in connection.execute(select(t)))
                for t in (ledger_month_cells, ledger_month_days, ledger_month_closures)]

    return engine.query(read)


def test_the_totals_kept_by_every_save_equal_a_recount(engine: ProcessEngine, ledger: list[dict[str, Any]]) -> None:
    kept = _totals(engine)
    with engine.db.transaction() as connection:
        ledger_totals.recount(connection)
    recounted = _totals(engine)
    # a save that moves a case leaves its old key at zero; the recount has no such row
    keys = (4, 5, 5)  # key columns of the cells, days and closures
    assert [[r for r in table if any(r[width:])] for table, width in zip(kept, keys, strict=True)] == recounted
    assert all(recounted)
