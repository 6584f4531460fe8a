"""The HTTP benchmark's flow in-process, through Flask's test client, with its cost per request.

Same model and requests as ``bench/bench_http_throughput.py`` (start, then three times list the
case's open tasks and complete one), on a fresh SQLite file, no server: prints instances/s, ms and
SQL statements per request, CPU ms per request (this process's CPU time: steadier than the wall
clock on a shared machine) in all and per endpoint, and with ``--profile`` the top entries of a
cProfile run (our code and SQLAlchemy's statement building), which is where the request path's time goes.
``--synchronous normal`` runs SQLite with ``PRAGMA synchronous=NORMAL`` (default FULL, as shipped).

    .venv/bin/python bench/profile_http_inprocess.py [--cases N] [--profile] [--synchronous full|normal]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event

from bench.bench_http_throughput import PROCESS, prepare
from bench.common import make_engine
from webapi.app import create_app

BASE = "/api/v1"
PROFILE_TOP = int(os.environ.get("PROFILE_TOP", "30"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top entries")
    parser.add_argument("--synchronous", choices=("full", "normal"), default="full",
                        help="SQLite's PRAGMA synchronous (default full, as shipped)")
    args = parser.parse_args()
    url = f"sqlite:///{tempfile.mkdtemp()}/profile.db"
    token = prepare(url)
    engine = make_engine(url, synchronous=args.synchronous.upper())
    client = create_app({"SECRET_KEY": "profile" * 5}, engine=engine).test_client()
    headers = {"Authorization": f"Bearer {token}"}
    statements = [0]

    def count(*_: Any) -> None:
        statements[0] += 1

    for target in {engine.db.write_engine, engine.db.read_engine}:
        event.listen(target, "before_cursor_execute", count)

    cpu_by_endpoint = {"start": 0.0, "list": 0.0, "complete": 0.0}

    def timed(endpoint: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        begin = time.process_time()
        response = call(*args, **kwargs)
        cpu_by_endpoint[endpoint] += time.process_time() - begin
        return response

    def case() -> None:
        started = timed("start", client.post, f"{BASE}/process-definitions/key/{PROCESS}/start",
                        json={"department": "D1"}, headers=headers)
        assert started.status_code < 300, started.text
        for _ in range(3):
            listed = timed("list", client.get, f"{BASE}/tasks",
                           query_string={"instance_id": started.json["id"], "state": "open"}, headers=headers)
            done = timed("complete", client.post, f"{BASE}/tasks/{listed.json[0]['id']}/complete",
                         json={"data": {}}, headers=headers)
            assert done.status_code < 300, done.text

    for _ in range(5):  # warm up: imports, compiled statements, the case cache
        case()
    statements[0] = 0
    cpu_by_endpoint.update(start=0.0, list=0.0, complete=0.0)
    profiler = cProfile.Profile() if args.profile else None
    begin, begin_cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for _ in range(args.cases):
        case()
    if profiler:
        profiler.disable()
    elapsed, cpu = time.perf_counter() - begin, time.process_time() - begin_cpu
    engine.close()
    requests_made = 7 * args.cases
    if profiler:
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(r"/(engine|webapi)/|sqlalchemy/sql/coercions|cache_key|sqlite3|webargs/core", PROFILE_TOP)
    print(f"{args.cases / elapsed:.1f} instances/s, {elapsed / requests_made * 1000:.2f} ms/request, "
          f"{statements[0] / requests_made:.2f} SQL statements/request, "
          f"{cpu / requests_made * 1000:.2f} CPU ms/request")
    per_call = {"start": args.cases, "list": 3 * args.cases, "complete": 3 * args.cases}
    print("CPU ms per request by endpoint: " + ", ".join(
        f"{name} {cpu_by_endpoint[name] / per_call[name] * 1000:.2f}" for name in per_call))


if __name__ == "__main__":
    main()
