"""Timer lateness: how long after its due time does the worker fire a timer?

Starts N cases of a process that waits on one timer each, with due times spread evenly over a
window (default 10,000 timers over ten minutes), runs the engine's worker in this process against
the real clock, and reports, per database, p50/p90/p99/max lateness (fire time minus due time, from
the ``timer.fired`` audit events) and whether any timer fired twice or not at all.

    .venv/bin/python bench/bench_timer_lateness.py            # 10,000 timers over 600 s, both databases
    .venv/bin/python bench/bench_timer_lateness.py --quick    # 300 timers over 15 s
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from bench.common import engine_with_models, fmt, parse_args, per_database, percentile, print_table, write_json
from engine.persistence.tables import audit_events, timers
from engine.worker import Worker


def _extra(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timers", type=int, default=10_000, help="number of timers (cases)")
    parser.add_argument("--window", type=float, default=600.0, help="seconds over which they fall due")
    parser.add_argument("--poll", type=float, default=0.25, help="the worker's longest sleep, seconds")


def measure(url: str, count: int, window: float, poll: float) -> dict[str, Any]:
    engine, org = engine_with_models(url, "timer_wait.bpmn")
    started = time.monotonic()
    for _ in range(min(50, count)):  # calibrate how long creating the cases takes
        engine.runtime.start(org["staff_D1"], "timer_wait", variables={"due_at": "2099-01-01T00:00:00+00:00"})
    per_case = (time.monotonic() - started) / min(50, count)
    lead = per_case * count * 1.3 + 5.0
    first_due = datetime.now(UTC) + timedelta(seconds=lead)
    step = window / max(count - 1, 1)
    for index in range(count):
        due = first_due + timedelta(seconds=index * step)
        engine.runtime.start(org["staff_D1"], "timer_wait", variables={"due_at": due.isoformat()})
    setup_overran = (datetime.now(UTC) - first_due).total_seconds()
    with engine.db.transaction(write=False) as connection:
        due_by_case = {
            r.instance_id: r.due_at
            for r in connection.execute(select(timers.c.instance_id, timers.c.due_at))
            if r.due_at.year < 2099
        }
    stop = threading.Event()
    worker = Worker(engine, poll_seconds=poll)
    thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
    thread.start()
    deadline = time.monotonic() + lead + window + 120
    last_due = max(due_by_case.values())
    while time.monotonic() < deadline:
        time.sleep(1.0)
        if datetime.now(UTC) > last_due + timedelta(seconds=5):
            with engine.db.transaction(write=False) as connection:
                remaining = connection.execute(select(timers.c.instance_id).where(timers.c.due_at < last_due)).first()
            if remaining is None:
                break
    stop.set()
    thread.join(30)
    with engine.db.transaction(write=False) as connection:
        fired = connection.execute(
            select(audit_events.c.instance_id, audit_events.c.at).where(audit_events.c.action == "timer.fired")
        ).all()
    engine.close()
    fires = Counter(r.instance_id for r in fired)
    lateness = [(r.at - due_by_case[r.instance_id]).total_seconds() for r in fired if r.instance_id in due_by_case]
    return {
        "timers": count,
        "window_s": window,
        "poll_s": poll,
        "ms_per_start": round(per_case * 1000, 2),
        "setup_overran_s": round(max(setup_overran, 0.0), 2),
        "fired": len(lateness),
        "fired_twice": sum(1 for n in fires.values() if n > 1),
        "never_fired": sum(1 for case in due_by_case if case not in fires),
        "p50_s": round(percentile(lateness, 50), 3),
        "p90_s": round(percentile(lateness, 90), 3),
        "p99_s": round(percentile(lateness, 99), 3),
        "max_s": round(max(lateness, default=0.0), 3),
    }


def main() -> None:
    args = parse_args(__doc__ or "", extra=_extra)
    count, window = (300, 15.0) if args.quick else (args.timers, args.window)
    results, env = per_database(args.db, lambda _dbs, _backend, url: measure(url, count, window, args.poll))
    headers = ["database", "timers", "window s", "fired", "twice", "never", "p50 s", "p90 s", "p99 s", "max s"]
    rows = [
        [b, r["timers"], fmt(r["window_s"]), r["fired"], r["fired_twice"], r["never_fired"], fmt(r["p50_s"], 3),
         fmt(r["p90_s"], 3), fmt(r["p99_s"], 3), fmt(r["max_s"], 3)]
        for b, r in results.items()
    ]
    print_table("Timer lateness (fire time minus due time), one worker in-process", headers, rows)
    for backend, result in results.items():
        if result["setup_overran_s"] > 0:
            print(f"note: {backend}: creating the cases overran the first due time by {result['setup_overran_s']} s")
    if not args.no_json:
        write_json("timer_lateness", {"environment": env, "results": results, "quick": args.quick})


if __name__ == "__main__":
    main()
