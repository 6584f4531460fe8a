"""The ledger and the summary at size: 100,000 closed and 10,000 open cases.

About 1% of the cases go through the engine (``ledger_case``: started, most completed); the rest are
bulk-inserted with the shape the engine writes (a ``process_instances`` row and its ``ledger_cases``
row), spread over a year, 20 departments and 8 categories. Then, per database, the p50/p95 of:

- the summary over everything (``engine.reports.summary`` as an auditor: totals, rates, percentiles,
  per department, per category and per month);
- a ledger page of 50 filtered by department and sorted by due date (as an auditor, and as a staff
  member, whose visibility adds a sub-query).

    .venv/bin/python bench/bench_ledger.py            # 100,000 closed + 10,000 open, both databases
    .venv/bin/python bench/bench_ledger.py --quick    # 10,000 + 1,000
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select

from bench.common import (
    MODELS,
    databases,
    environment,
    fmt,
    make_engine,
    parse_args,
    percentile,
    print_environment,
    print_table,
    selected_backends,
    setup_org,
    write_json,
)
from engine import ProcessEngine
from engine.persistence.tables import ledger_cases, process_definitions, process_instances
from engine.services.identity import actor_for
from engine.services.ledger_list import EQUAL_FILTERS, LedgerQuery
from engine.services.reports import ReportFilter

DEPARTMENTS = tuple(f"X{n:02d}" for n in range(1, 21))
CATEGORIES = ("water_power", "land_construction", "planning", "financing", "premises_transport",
              "talent_recruitment", "schooling_housing", "other")
YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)


def _extra(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--closed", type=int, default=100_000, help="closed cases")
    parser.add_argument("--open", type=int, default=10_000, help="open cases")
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each query")


def _through_engine(engine: ProcessEngine, org: Any, count: int) -> float:
    """Start ``count`` cases through the engine and complete nine in ten; seconds per case."""
    began = time.perf_counter()
    actor = org["staff_D1"]
    for n in range(count):
        view = engine.runtime.start(actor, "ledger_case", variables={
            "company": f"企业{n}", "category": CATEGORIES[n % 8], "lead_department": "D1", "accepted": True,
            "closed": False, "terminate": False})
        if n % 10:
            engine.tasks.complete(actor, view.open_tasks[0].id, {"closed": True, "satisfaction": 1 + n % 5})
    return (time.perf_counter() - began) / max(count, 1)


def _bulk(engine: ProcessEngine, closed: int, open_: int) -> float:
    rng = random.Random(11)
    began = time.perf_counter()
    with engine.db.transaction() as connection:
        definition = connection.execute(select(process_definitions.c.id, process_definitions.c.key)).first()
        assert definition is not None
        cases, rows = [], []
        for n in range(closed + open_):
            is_open = n >= closed
            started = YEAR_START + timedelta(minutes=rng.randint(0, 360 * 24 * 60))
            due = started + timedelta(days=rng.randint(3, 30))
            ended = None if is_open else started + timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 8))
            instance_id = str(uuid.uuid4())
            department = rng.choice(DEPARTMENTS)
            owner = ("D1", "D2", "D3")[n % 3]
            state = "running" if is_open else "completed"
            cases.append({
                "id": instance_id, "number": f"WT-B-{n:08d}", "definition_id": definition.id,
                "process_key": definition.key, "business_key": None, "state": state, "owner_user_id": None,
                "department_code": owner, "applicant_user_id": None, "variables_json": "{}",
                "completed_activities_json": "[]", "active_activities_json": "[]", "row_version": 1,
                "serializer_version": "1.4", "layout_version": 1, "started_at": started, "ended_at": ended,
                "due_at": due, "original_due_at": due,
            })
            satisfaction = rng.choice((None, 1, 2, 3, 4, 5, 5, 4))
            rows.append({
                "instance_id": instance_id, "number": f"WT-B-{n:08d}", "business_key": None,
                "process_key": definition.key, "department_code": department, "owner_department_code": owner,
                "applicant_user_id": None, "company": f"企业{rng.randint(1, 3000)}", "credit_code": None,
                "category": rng.choice(CATEGORIES), "outcome": None, "state": state,
                "ended_how": None if is_open else "completed", "accepted": True, "closed": not is_open,
                "satisfaction": None if is_open else satisfaction, "started_at": started, "ended_at": ended,
                "start_month": started.strftime("%Y-%m"), "end_month": ended.strftime("%Y-%m") if ended else None,
                "due_at": due, "original_due_at": due,
                "handling_days": None if ended is None else max(0, (ended - started).days * 5 // 7),
                "on_time": None if ended is None else ended <= due,
                "on_time_original": None if ended is None else ended <= due,
                "current_steps": "办理" if is_open else "", "current_departments": f",{department}," if is_open else "",
                "extra_json": "{}",
            })
            if len(rows) == 5000:
                connection.execute(insert(process_instances), cases)
                connection.execute(insert(ledger_cases), rows)
                cases, rows = [], []
        if rows:
            connection.execute(insert(process_instances), cases)
            connection.execute(insert(ledger_cases), rows)
    with engine.db.connect() as connection:  # fresh statistics for the planner, as a DBA would keep them
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    return time.perf_counter() - began


def _timed(call: Any, runs: int) -> list[float]:
    call()  # warm the statement caches
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return times


def measure(url: str, closed: int, open_: int, runs: int) -> dict[str, Any]:
    engine = make_engine(url)
    org = setup_org(engine)
    auditor = engine.identity.create_user(org["admin"], "bench_auditor", roles=["auditor"], departments_=[])
    auditor_actor = engine.query(lambda c: actor_for(c, auditor.id))
    engine.repository.deploy(org["designer"], {"ledger_case.bpmn": (MODELS / "ledger_case.bpmn").read_bytes()})
    through = max(10, (closed + open_) // 100)
    per_case = _through_engine(engine, org, through)
    bulk_s = _bulk(engine, closed, open_)
    page = LedgerQuery(equal={**dict.fromkeys(EQUAL_FILTERS), "department_code": "X07"}, sort="due_at")
    summary = _timed(lambda: engine.reports.summary(auditor_actor, ReportFilter()), runs)
    ledger_all = _timed(lambda: engine.reports.ledger(auditor_actor, page, 1, 50), runs)
    ledger_staff = _timed(lambda: engine.reports.ledger(org["staff_D1"], page, 1, 50), runs)
    total = engine.reports.summary(auditor_actor, ReportFilter())["received"]
    engine.close()
    return {
        "cases": total, "through_engine": through, "ms_per_engine_case": round(per_case * 1000, 1),
        "bulk_insert_s": round(bulk_s, 1),
        "summary_p50_ms": round(percentile(summary, 50), 1), "summary_p95_ms": round(percentile(summary, 95), 1),
        "ledger_page_p50_ms": round(percentile(ledger_all, 50), 1),
        "ledger_page_p95_ms": round(percentile(ledger_all, 95), 1),
        "ledger_page_staff_p50_ms": round(percentile(ledger_staff, 50), 1),
        "ledger_page_staff_p95_ms": round(percentile(ledger_staff, 95), 1),
    }


def main() -> None:
    args = parse_args(__doc__ or "", extra=_extra)
    closed, open_ = (10_000, 1_000) if args.quick else (args.closed, args.open)
    results: dict[str, Any] = {}
    with databases() as dbs:
        for backend in selected_backends(args.db):
            results[backend] = measure(dbs.fresh(backend), closed, open_, args.runs)
        env = environment(dbs)
    print_environment(env)
    headers = ["database", "cases", "summary p50 ms", "summary p95 ms", "page p50 ms", "page p95 ms",
               "staff page p50 ms", "staff page p95 ms"]
    rows = [[b, r["cases"], fmt(r["summary_p50_ms"]), fmt(r["summary_p95_ms"]), fmt(r["ledger_page_p50_ms"]),
             fmt(r["ledger_page_p95_ms"]), fmt(r["ledger_page_staff_p50_ms"]), fmt(r["ledger_page_staff_p95_ms"])]
            for b, r in results.items()]
    print_table("The summary and a ledger page (50, one department, by due date)", headers, rows)
    if not args.no_json:
        write_json("ledger", {"environment": env, "results": results, "quick": args.quick})


if __name__ == "__main__":
    main()
