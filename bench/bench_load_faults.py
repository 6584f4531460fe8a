"""Load with faults on PostgreSQL (issue 13, benchmark 5): 8 client threads against 4 gunicorn
workers and 2 timer workers, random valid operations (start, claim, complete, message, cancel,
reassign) for a bounded time, one web worker and one timer worker killed with SIGKILL mid-run (the
timer worker restarted); then every acknowledged operation must be in the history, ``wutong check``
must pass and no timer may have fired twice. Prints a table and writes bench/results/load_faults.json.

    .venv/bin/python bench/bench_load_faults.py [--seconds 120] [--clients 8] [--db postgres|sqlite]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import databases, environment, fmt, median, percentile, print_environment, print_table, write_json
from bench.load_faults import Outcome, Settings, run


def report(outcome: Outcome) -> dict[str, Any]:
    rows = []
    for kind in sorted(outcome.latencies):
        times = outcome.latencies[kind]
        answered = sum(n for (k, _), n in outcome.statuses.items() if k == kind)
        ok = sum(n for (k, status), n in outcome.statuses.items() if k == kind and status < 300)
        rows.append([kind, answered, ok, answered - ok, outcome.dropped[kind],
                     fmt(median(times) * 1000, 1), fmt(percentile(times, 95) * 1000, 1)])
    print_table("Operations (ms)", ["operation", "answered", "2xx", "4xx/5xx", "dropped", "p50", "p95"], rows)
    checks = {
        "acknowledged": len(outcome.acknowledged),
        "acknowledged_missing_from_history": len(outcome.missing),
        "missing_by_operation": dict(Counter(kind for _, kind in outcome.missing)),
        "timers_fired_twice": len(outcome.timers_fired_twice),
        "timers_overdue_left": outcome.timers_overdue_left,
        "server_errors_5xx": outcome.server_errors,
        "wutong_check_returncode": outcome.check_returncode,
        "kills": outcome.kills,
    }
    print_table("Checks", ["check", "value"], [[k, v] for k, v in checks.items()])
    for request_id, kind in outcome.missing[:10]:
        print(f"acknowledged but not in the history: {kind} {request_id}")
    for (kind, status), body in sorted(outcome.samples.items()):
        print(f"{kind} {status}: {body}")
    return {"operations": rows, "checks": checks,
            "statuses": {f"{k} {s}": n for (k, s), n in sorted(outcome.statuses.items())}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--timer-workers", type=int, default=2)
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--no-json", action="store_true")
    args = parser.parse_args(argv)
    with databases() as dbs:
        env = environment(dbs if args.db == "postgres" else None)
        print_environment(env)
        settings = Settings(dbs.fresh(args.db), seconds=args.seconds, clients=args.clients,
                            web_workers=args.web_workers, timer_workers=args.timer_workers,
                            workdir=Path(tempfile.mkdtemp(prefix="wutong-load-")))
        outcome = run(settings)
        result = report(outcome)
    if not args.no_json:
        print(write_json("load_faults", {"environment": env, "settings": vars(args), **result}))
    ok = not outcome.missing and not outcome.timers_fired_twice and outcome.check_returncode == 0 \
        and outcome.server_errors == 0 and outcome.timers_overdue_left == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
