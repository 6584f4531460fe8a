"""Inbox at scale (issue 13.4): one page of 50 open tasks, sorted by due date, with the total, over
100,000 open tasks in 50 departments and 1,000,000 finished task instances.

About 1% of the cases run through the engine (``bench/models/three_user_tasks.bpmn``, started in
their department, some tasks completed); the rest are bulk-inserted as copies of the rows the engine
wrote (same columns and JSON shapes, new ids, numbers, departments, times). Then a real
``wutong serve`` answers, per database, for 200 requests each:

- ``staff_default``: a staff member of one department, ``GET /tasks?state=open&sort=due_at&page_size=50``
  (no department filter: the inbox the web application asks for);
- ``staff_department``: the same with ``department=`` the member's department;
- ``auditor_all_open``: an auditor's ``GET /tasks?state=open&sort=due_at&page_size=50``;
- ``staff_inbox``: the web application's inbox, ``GET /tasks?inbox=true&sort=due_at&page_size=50``;
- ``staff_inbox_counts``: its counts per status, ``GET /tasks/inbox-counts`` (five counts in one request).

Goal: p95 <= 25 ms.

    .venv/bin/python bench/bench_inbox_scale.py [--quick] [--db sqlite|postgres|both] [--open N] [--finished N]
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests
import sqlalchemy as sa

from bench.bench_http_throughput import MODEL, PROCESS, Server
from bench.common import (
    Databases,
    add_departments,
    add_user,
    analyze,
    fmt,
    make_engine,
    parse_args,
    per_database,
    percentile,
    print_table,
    write_json,
)
from engine import SYSTEM
from engine.persistence.tables import process_instances, tasks

DEPARTMENTS = [f"D{n:02d}" for n in range(1, 51)]
MEMBER_OF = "D07"
FINISHED_PER_CASE = 10
REQUESTS = 200
CHUNK = 5_000


def add_options(parser: Any) -> None:
    parser.add_argument("--open", type=int, default=None, help="open tasks (default 100,000)")
    parser.add_argument("--finished", type=int, default=None, help="finished task instances (default 1,000,000)")


def prepare(database_url: str, open_tasks: int) -> dict[str, str]:
    """Departments, a staff member of one department, an auditor; about 1% of the cases through the
    engine. Returns the two tokens."""
    engine = make_engine(database_url)
    try:
        add_departments(engine, DEPARTMENTS)
        designer, _ = add_user(engine, "inbox_designer", ["designer"], [])
        tokens = {
            "staff": add_user(engine, "inbox_staff", ["staff"], [MEMBER_OF])[1],
            "auditor": add_user(engine, "inbox_auditor", ["auditor"], [])[1],
        }
        engine.repository.deploy(designer, {MODEL.name: MODEL.read_bytes()})
        staff_by_department: dict[str, Any] = {}
        for index in range(max(open_tasks // 100, 10)):
            department = DEPARTMENTS[index % len(DEPARTMENTS)]
            case = engine.runtime.start(SYSTEM, PROCESS, department=department)
            if index % 3 == 0:  # some finished work written by the engine too
                task = engine.tasks.list(SYSTEM, instance_id=case.id, state="open").items[0]
                engine.tasks.complete(SYSTEM, task.id, {})
            staff_by_department.setdefault(department, case.id)
        return tokens
    finally:
        engine.close()


def bulk_insert(database_url: str, open_tasks: int, finished: int, seed: int = 7) -> float:
    """Copies of the engine's rows: one case per open task, ``finished // open`` finished tasks each."""
    rng = random.Random(seed)
    db = sa.create_engine(database_url)
    started = time.perf_counter()
    with db.begin() as connection:
        case_template = dict(connection.execute(sa.select(process_instances).limit(1)).mappings().one())
        task_template = dict(
            connection.execute(sa.select(tasks).where(tasks.c.state == "completed").limit(1)).mappings().one()
        )
        number_base = 10_000_000
        per_case = max(finished // max(open_tasks, 1), 0)
        now = datetime.now(UTC)
        cases: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []

        def flush(force: bool = False) -> None:
            if not (force or len(rows) >= CHUNK * 4):
                return
            if cases:  # the cases first: tasks refer to them
                connection.execute(sa.insert(process_instances), cases)
                cases.clear()
            if rows:
                connection.execute(sa.insert(tasks), rows)
                rows.clear()

        for index in range(open_tasks):
            case_id = str(uuid.uuid4())
            department = DEPARTMENTS[index % len(DEPARTMENTS)]
            started_at = now - timedelta(days=rng.randint(1, 365), seconds=rng.randint(0, 86_399))
            cases.append({
                **case_template,
                "id": case_id,
                "number": f"B{number_base + index}",
                "business_key": None,
                "state": "running",
                "department_code": department,
                "started_at": started_at,
                "ended_at": None,
            })
            for pass_ in range(per_case + 1):
                task_id = str(uuid.uuid4())
                row = {**task_template, "id": task_id, "instance_id": case_id, "department_code": department,
                       "created_at": started_at + timedelta(hours=pass_)}
                if "spiff_task_id" in task_template:
                    row["spiff_task_id"] = task_id
                if pass_ < per_case:
                    row.update(state="completed", ended_at=started_at + timedelta(hours=pass_ + 1),
                               due_at=started_at + timedelta(days=3))
                else:
                    due = now + timedelta(hours=rng.randint(-240, 480))
                    row.update(state="open", ended_at=None, completed_by=None, submitted_json=None,
                               assignee_user_id=None, due_at=due, original_due_at=due)
                rows.append(row)
            flush()
        flush(force=True)
    db.dispose()
    analyze(database_url)
    return time.perf_counter() - started


QUERIES: dict[str, tuple[str, dict[str, Any], str]] = {
    "staff_default": ("staff", {"state": "open", "sort": "due_at", "page_size": 50}, "/tasks"),
    "staff_department": (
        "staff", {"state": "open", "sort": "due_at", "page_size": 50, "department": MEMBER_OF}, "/tasks"),
    "auditor_all_open": ("auditor", {"state": "open", "sort": "due_at", "page_size": 50}, "/tasks"),
    "staff_inbox": ("staff", {"inbox": "true", "sort": "due_at", "page_size": 50}, "/tasks"),
    "staff_inbox_counts": ("staff", {}, "/tasks/inbox-counts"),
}


def measure(base: str, tokens: dict[str, str], requests_each: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for label, (who, params, path) in QUERIES.items():
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {tokens[who]}"
        latencies: list[float] = []
        total = None
        for attempt in range(requests_each + 5):
            started = time.perf_counter()
            response = session.get(base + path, params=params, timeout=60)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{label}: {response.status_code} {response.text[:300]}")
            total = response.headers.get("X-Total-Count") or response.headers.get("X-Pagination")
            if path.endswith("inbox-counts"):
                total = str(response.json()["all"])
            if attempt >= 5:  # warm-up
                latencies.append(elapsed)
        results[label] = {
            "p50_ms": percentile(latencies, 50) * 1000,
            "p95_ms": percentile(latencies, 95) * 1000,
            "total": float(_total(total)),
        }
    return results


def _total(header: str | None) -> int:
    if header is None:
        return -1
    if header.isdigit():
        return int(header)
    import json

    return int(json.loads(header).get("total", -1))


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], extra=add_options)
    open_tasks = args.open or (2_000 if args.quick else 100_000)
    finished = args.finished if args.finished is not None else (20_000 if args.quick else 1_000_000)
    requests_each = 30 if args.quick else REQUESTS

    def run(dbs: Databases, backend: str, url: str) -> dict[str, Any]:
        prep_started = time.perf_counter()
        tokens = prepare(url, open_tasks)
        engine_seconds = time.perf_counter() - prep_started
        insert_seconds = bulk_insert(url, open_tasks, finished)
        print(f"{backend}: engine cases {engine_seconds:.1f} s, bulk insert {insert_seconds:.1f} s", flush=True)
        server = Server(url, 1, dbs.directory / f"serve-{backend}.log")
        try:
            results = measure(server.base, tokens, requests_each)
        finally:
            server.stop()
        return {"backend": backend, "open": open_tasks, "finished": finished, "queries": results,
                "bulk_insert_s": insert_seconds}

    by_backend, env = per_database(args.db, run)
    runs = list(by_backend.values())
    rows = [
        [run["backend"], label, fmt(q["p50_ms"], 1), fmt(q["p95_ms"], 1), int(q["total"]),
         "yes" if q["p95_ms"] <= 25 else "no"]
        for run in runs
        for label, q in run["queries"].items()
    ]
    print_table(
        f"Inbox at scale: {open_tasks:,} open, {finished:,} finished task instances, {len(DEPARTMENTS)} departments",
        ["db", "query", "p50 ms", "p95 ms", "total", "p95 <= 25 ms"],
        rows,
    )
    if not args.no_json:
        write_json("inbox_scale", {"environment": env, "runs": runs})


if __name__ == "__main__":
    main()
