"""The inbox benchmark's three requests in-process on a kept SQLite file, each statement timed.

Run ``bench/bench_inbox_scale.py --db sqlite`` with ``WUTONG_BENCH_KEEP=1`` first (it prints where it
kept the file), then point this at a copy of that file. Per request it prints the wall and CPU
milliseconds through Flask's test client, the SQL time and the statements that took it, which
separates the database's work from ours (authentication, views, marshmallow, JSON).

    .venv/bin/python bench/profile_inbox_inprocess.py /tmp/wutong-bench-XXXX/bench-YYYY.db [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event

from bench.bench_inbox_scale import QUERIES
from bench.common import make_engine
from engine import SYSTEM
from webapi.app import create_app

USERS = {"staff": "inbox_staff", "auditor": "inbox_auditor"}
REQUESTS = 40


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path, help="a copy of the SQLite file the inbox benchmark kept")
    parser.add_argument("--profile", action="store_true", help="also print cProfile's top entries")
    args = parser.parse_args()
    engine = make_engine(f"sqlite:///{args.database}")
    identity = engine.identity
    tokens = {who: identity.create_token(SYSTEM, identity.find_user(name).id).secret for who, name in USERS.items()}
    client = create_app({"SECRET_KEY": "profile" * 5}, engine=engine).test_client()
    timings: list[tuple[float, str]] = []

    def before(conn: Any, *_: Any) -> None:
        conn.info["started"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        timings.append((time.perf_counter() - conn.info["started"], " ".join(statement.split())[:140]))

    for target in {engine.db.write_engine, engine.db.read_engine}:
        event.listen(target, "before_cursor_execute", before)
        event.listen(target, "after_cursor_execute", after)
    for label, (who, params) in QUERIES.items():
        headers = {"Authorization": f"Bearer {tokens[who]}"}
        for _ in range(5):  # warm up
            assert client.get("/api/v1/tasks", query_string=params, headers=headers).status_code == 200
        timings.clear()
        began, began_cpu = time.perf_counter(), time.process_time()
        for _ in range(REQUESTS):
            client.get("/api/v1/tasks", query_string=params, headers=headers)
        wall = (time.perf_counter() - began) / REQUESTS * 1000
        cpu = (time.process_time() - began_cpu) / REQUESTS * 1000
        sql = sum(seconds for seconds, _ in timings) / REQUESTS * 1000
        print(f"\n{label}: {wall:.1f} ms wall, {cpu:.1f} CPU ms, SQL {sql:.1f} ms, "
              f"{len(timings) / REQUESTS:.1f} statements per request")
        totals: dict[str, list[float]] = {}
        for seconds, statement in timings:
            totals.setdefault(statement, []).append(seconds)
        for statement, each in sorted(totals.items(), key=lambda item: -sum(item[1]))[:5]:
            print(f"  {sum(each) / REQUESTS * 1000:7.2f} ms  {statement}")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(20):
                client.get("/api/v1/tasks", query_string=params, headers=headers)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    engine.close()


if __name__ == "__main__":
    main()
