"""What a request costs before any work: the floor under issue 13's HTTP throughput.

Three servers answer the same keep-alive ``http.client`` connection, one request at a time:

- ``bare_wsgi``: a WSGI function returning ``{}``, under gunicorn with ``wutong serve``'s worker
  class and threads (``gthread``, 4 threads, keep-alive 5 s): gunicorn alone;
- ``livez``: ``wutong serve`` answering ``GET /livez`` (no token, no database): gunicorn, Flask and
  our request hooks (request id, read scope, metrics, security headers);
- ``task_list``: ``wutong serve`` answering ``GET /api/v1/tasks?page_size=1`` with a token: the
  token check and one read transaction besides.

It prints p50/p95 per request for each and writes JSON. A quarter of SpiffWorkflow's save-and-reload
rate (``bench_http_throughput.py``) leaves 2.1-2.4 ms per request on this machine; the ``livez`` row
is the part of that no engine change can give back.

    .venv/bin/python bench/bench_http_floor.py [--requests N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_http_throughput import LeanSession, Server, free_port, prepare
from bench.common import environment, fmt, percentile, print_environment, print_table, write_json

BARE_APP = '''
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
    return [b"{}"]
'''
WARM_UP = 100


def timed_requests(session: LeanSession, url: str, headers: dict[str, str], count: int) -> list[float]:
    """Milliseconds per request, after a warm-up; every answer must be a 200."""
    for _ in range(WARM_UP):
        session.request("GET", url, headers=headers)
    times: list[float] = []
    for _ in range(count):
        begin = time.perf_counter()
        response = session.request("GET", url, headers=headers)
        times.append((time.perf_counter() - begin) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:200]}")
    return times


def bare_wsgi(directory: Path, count: int) -> list[float]:
    """gunicorn with ``wutong serve``'s worker options around a WSGI function that does nothing."""
    (directory / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with (directory / "bare.log").open("wb") as log:
        process = subprocess.Popen(
            [str(gunicorn), "--worker-class", "gthread", "--threads", "4", "--keep-alive", "5",
             "--bind", f"127.0.0.1:{port}", "--chdir", str(directory), "bare_app:app"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                return timed_requests(LeanSession(), f"http://127.0.0.1:{port}/", {}, count)
            except OSError:  # not listening yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per row")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/*.json")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="wutong-floor-"))
    rows: dict[str, list[float]] = {"bare_wsgi": bare_wsgi(directory, args.requests)}
    url = f"sqlite:///{directory}/floor.db"
    token = prepare(url)
    server = Server(url, 1, directory / "serve.log")
    try:
        session = LeanSession()
        rows["livez"] = timed_requests(session, server.base.removesuffix("/api/v1") + "/livez", {}, args.requests)
        rows["task_list"] = timed_requests(session, f"{server.base}/tasks?page_size=1",
                                           {"Authorization": f"Bearer {token}"}, args.requests)
    finally:
        server.stop()
    env = environment()
    print_environment(env)
    results: dict[str, Any] = {
        name: {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "requests": len(times)}
        for name, times in rows.items()
    }
    print_table(
        f"One request at a time on one keep-alive connection, {args.requests} requests per row",
        ["what answers", "p50 ms", "p95 ms"],
        [[name, fmt(r["p50_ms"]), fmt(r["p95_ms"])] for name, r in results.items()],
    )
    if not args.no_json:
        write_json("http_floor", {"environment": env, "requests": args.requests, "rows": results})


if __name__ == "__main__":
    main()
