"""The ledger and the summary at size: 100,000 closed and 10,000 open cases.

About 1% of the cases go through the engine (``ledger_case``: started, most completed); the rest are
bulk-inserted with the shape the engine writes (a ``process_instances`` row and its ``ledger_cases``
row), spread over a year, 20 departments and 8 categories. Then, per database, the p50/p95 of:

- the summary over everything (``engine.reports.summary`` as an auditor: totals, rates, percentiles,
  per department, per category and per month);
- the same summary over 10 February to 20 November (``summary_window``): whole months from the
  monthly totals (``engine/ledger_totals.py``), the partial months at the edges scanned;
- a ledger page of 50 filtered by department and sorted by due date, as an auditor and as a staff
  member (whose visibility is paged per branch, engine/services/ledger_list.py), and the same staff
  page through the single visibility filter used before 0012_perf (``staff_page_before``);
- a staff member's default ledger page (no filter, newest first), for a member of an owning
  department (D1) and of a lead department that has the cases' tasks (X07);
- the same two staff members' case list (``GET /process-instances``: ``runtime.list``, page of 50,
  newest first), paged per visibility branch (``access.cases.visible_case_branches``) since
  0016_caselist; ``*_case_list_query`` times its count and page of ids alone, ``*_query_before`` the
  same under the one OR-ed filter it replaced.

With ``--engine-only`` no case is bulk-inserted: every case is started (and nine in ten completed)
through the engine's services, owned by D1-D3 and led by X01-X20.

    .venv/bin/python bench/bench_ledger.py            # 100,000 closed + 10,000 open, both databases
    .venv/bin/python bench/bench_ledger.py --quick    # 10,000 + 1,000
    .venv/bin/python bench/bench_ledger.py --engine-only --closed 9000 --open 1000   # 10,000 engine-made
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import and_, exists, insert, or_, select

from bench.common import (
    add_departments,
    add_user,
    analyze,
    engine_with_models,
    fmt,
    p50_p95,
    parse_args,
    per_database,
    print_table,
    timed_ms,
    write_json,
)
from engine import SYSTEM, Actor, ProcessEngine, ledger_totals
from engine.access.cases import visible_case_branches, visible_case_ids
from engine.paging import branch_page, capped_count
from engine.persistence.tables import ledger_cases, process_definitions, process_instances, tasks
from engine.services import ledger_list
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
    parser.add_argument("--engine-only", action="store_true",
                        help="every case through the engine, none bulk-inserted (e.g. --closed 9000 --open 1000)")


def _through_engine(engine: ProcessEngine, count: int, open_share: float) -> float:
    """Start ``count`` cases through the engine (owned by D1-D3, led by X01-X20, whose staff get the
    task) and complete all but ``open_share`` of them; seconds per case."""
    rng = random.Random(5)
    began = time.perf_counter()
    for n in range(count):
        view = engine.runtime.start(SYSTEM, "ledger_case", department=("D1", "D2", "D3")[n % 3], variables={
            "company": f"企业{rng.randint(1, 3000)}", "category": CATEGORIES[n % 8],
            "lead_department": DEPARTMENTS[n % len(DEPARTMENTS)], "accepted": True, "closed": False,
            "terminate": False})
        if rng.random() >= open_share:
            engine.tasks.complete(SYSTEM, view.open_tasks[0].id, {"closed": True, "satisfaction": 1 + n % 5})
    return (time.perf_counter() - began) / max(count, 1)


def _bulk(engine: ProcessEngine, closed: int, open_: int) -> float:
    rng = random.Random(11)
    zone = engine.policy.zone
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
                # local months, as the engine projects them (the summary's windows are local dates)
                "start_month": started.astimezone(zone).strftime("%Y-%m"),
                "end_month": ended.astimezone(zone).strftime("%Y-%m") if ended else None,
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
        ledger_totals.recount(connection)  # the summary's monthly totals, as the engine keeps them
    return time.perf_counter() - began


@contextmanager
def single_visibility_filter() -> Iterator[None]:
    """The staff ledger as it was before 0012_perf, for the ratio in the same run: one condition, an
    ``IN`` over every case the actor may see (``access.cases.visible_case_ids``), instead of the paged
    branches. ``ledger_page`` runs a single condition as one plain count and one plain page query,
    which is exactly what the old ``list_ledger`` ran."""
    original = ledger_list.visible_branches

    def old(actor: Actor) -> list[Any] | None:
        if actor.reads_every_report:
            return None
        condition = ledger_cases.c.instance_id.in_(visible_case_ids(actor))
        if actor.has("supervisor"):
            return [or_(ledger_cases.c.department_code.in_(sorted(actor.departments)), condition)]
        return [condition]

    ledger_list.visible_branches = old
    try:
        yield
    finally:
        ledger_list.visible_branches = original


def _before(call: Any) -> Any:
    def run() -> Any:
        with single_visibility_filter():
            return call()

    return run


def case_list_query_only(engine: ProcessEngine, actor: Actor) -> int:
    """What ``runtime.list`` asks the database for a staff member's first page (the capped count and the
    page of 50 ids, each visibility branch paged apart and merged), without building the 50 case views."""
    branches = visible_case_branches(actor)
    order = (process_instances.c.started_at, True)

    def run(connection: Any) -> int:
        total, _capped, ids = branch_page(connection, process_instances, [], branches, order, 1, 50,
                                          engine.config.count_cap)
        connection.execute(ids).all()
        return total

    return engine.query(run)


def case_list_query_before(engine: ProcessEngine, actor: Actor) -> int:
    """The same two statements under the one OR-ed visibility filter used before 0016_caselist (the
    applicant, the owning departments, ``EXISTS`` a task of one of the departments), for the ratio."""
    codes = sorted(actor.departments)
    clause = or_(
        process_instances.c.applicant_user_id == actor.user_id,
        process_instances.c.department_code.in_(codes),
        exists().where(and_(tasks.c.instance_id == process_instances.c.id, tasks.c.department_code.in_(codes))),
    )
    query = select(process_instances.c.id).where(clause)

    def run(connection: Any) -> int:
        total, _capped = capped_count(connection, query, engine.config.count_cap)
        page = query.order_by(process_instances.c.started_at.desc(), process_instances.c.id).limit(50)
        connection.execute(page).all()
        return total

    return engine.query(run)


def measure(url: str, closed: int, open_: int, runs: int, engine_only: bool) -> dict[str, Any]:
    engine, org = engine_with_models(url, "ledger_case.bpmn")
    add_departments(engine, DEPARTMENTS)
    auditor = add_user(engine, "bench_auditor", ["auditor"], [])[0]
    staff_x07 = add_user(engine, "bench_staff_x07", ["staff"], ["X07"])[0]
    total = closed + open_
    through = total if engine_only else max(10, total // 100)
    per_case = _through_engine(engine, through, open_ / max(total, 1))
    bulk_s = 0.0 if engine_only else _bulk(engine, closed, open_)
    analyze(url)
    by_due = LedgerQuery(equal={**dict.fromkeys(EQUAL_FILTERS), "department_code": "X07"}, sort="due_at")
    default = LedgerQuery(equal={})
    window = ReportFilter(from_=date(2025, 2, 10), to=date(2025, 11, 20))  # partial months at both edges
    reports = engine.reports
    queries = {
        "summary": lambda: reports.summary(auditor, ReportFilter()),
        "summary_window": lambda: reports.summary(auditor, window),
        "auditor_page": lambda: reports.ledger(auditor, by_due, 1, 50),
        "staff_page": lambda: reports.ledger(org["staff_D1"], by_due, 1, 50),
        "staff_default": lambda: reports.ledger(org["staff_D1"], default, 1, 50),
        "staff_x07_default": lambda: reports.ledger(staff_x07, default, 1, 50),
        "staff_page_before": _before(lambda: reports.ledger(org["staff_D1"], by_due, 1, 50)),
        "staff_default_before": _before(lambda: reports.ledger(org["staff_D1"], default, 1, 50)),
        "staff_case_list": lambda: engine.runtime.list(org["staff_D1"], page_size=50),
        "staff_x07_case_list": lambda: engine.runtime.list(staff_x07, page_size=50),
        "staff_case_list_query": lambda: case_list_query_only(engine, org["staff_D1"]),
        "staff_case_list_query_before": lambda: case_list_query_before(engine, org["staff_D1"]),
        "staff_x07_case_list_query": lambda: case_list_query_only(engine, staff_x07),
        "staff_x07_case_list_query_before": lambda: case_list_query_before(engine, staff_x07),
    }
    timings = {label: p50_p95(timed_ms(call, runs)) for label, call in queries.items()}
    counts = {
        "staff_page": reports.ledger(org["staff_D1"], by_due, 1, 50).total,
        "staff_page_before": _before(lambda: reports.ledger(org["staff_D1"], by_due, 1, 50).total)(),
        "staff_default": reports.ledger(org["staff_D1"], default, 1, 50).total,
        "staff_x07_default": reports.ledger(staff_x07, default, 1, 50).total,
        "staff_case_list": engine.runtime.list(org["staff_D1"], page_size=50).total,
        "staff_x07_case_list": engine.runtime.list(staff_x07, page_size=50).total,
    }
    received = reports.summary(auditor, ReportFilter())["received"]
    engine.close()
    return {
        "cases": received, "through_engine": through, "ms_per_engine_case": round(per_case * 1000, 1),
        "seed_engine_s": round(per_case * through, 1), "bulk_insert_s": round(bulk_s, 1),
        "queries": timings, "totals": counts,
    }


LABELS = ("summary", "summary_window", "auditor_page", "staff_page", "staff_page_before", "staff_default",
          "staff_default_before",
          "staff_x07_default", "staff_case_list", "staff_x07_case_list",
          "staff_case_list_query", "staff_case_list_query_before", "staff_x07_case_list_query",
          "staff_x07_case_list_query_before")


def main() -> None:
    args = parse_args(__doc__ or "", extra=_extra)
    closed, open_ = (10_000, 1_000) if args.quick else (args.closed, args.open)
    results, env = per_database(
        args.db, lambda _dbs, _backend, url: measure(url, closed, open_, args.runs, args.engine_only)
    )
    rows = [[b, r["cases"], r["through_engine"], label, fmt(r["queries"][label]["p50_ms"], 1),
             fmt(r["queries"][label]["p95_ms"], 1)] for b, r in results.items() for label in LABELS]
    print_table("The summary and ledger pages of 50 (ms)", ["database", "cases", "via engine", "query", "p50", "p95"],
                rows)
    for backend, result in results.items():
        print(f"{backend}: seeding {result['seed_engine_s']} s through the engine "
              f"({result['ms_per_engine_case']} ms per case), bulk insert {result['bulk_insert_s']} s; "
              f"totals {result['totals']}")
    if not args.no_json:
        write_json("ledger", {"environment": env, "results": results, "quick": args.quick,
                              "engine_only": args.engine_only, "runs": args.runs})


if __name__ == "__main__":
    main()
