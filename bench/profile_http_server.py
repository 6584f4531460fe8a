"""Where a real HTTP request's CPU goes: client, gunicorn, Flask/smorest, authentication, engine (issue 13).

Runs ``wutong serve``'s gunicorn setup (one gthread worker, one thread, the same options) in a child
process with the Flask app wrapped in a WSGI middleware that measures the worker thread's CPU inside
the app; the parent drives the benchmark's flow (``bench_http_throughput``: start, then three times
list the open tasks and complete one) on one keep-alive connection with the chosen client and
measures its own CPU. Per request it prints: the client's CPU, the worker process's CPU, the part
of it inside the WSGI app (the rest is gunicorn: HTTP parsing, sockets, thread pool, access log),
and with ``--profile`` a cProfile split of the app part: authentication (``webapi.auth``), the
engine (``ProcessEngine.execute``/``query`` called by views), marshmallow's dumping, webargs'
parsing and the rest (Flask, Werkzeug, smorest, hooks). cProfile inflates the app part, so read
the profiled split as shares and the unprofiled run for the absolute numbers.

    .venv/bin/python bench/profile_http_server.py [--cases N] [--client lean|requests] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RESET = "profile-reset"
# (label, file suffix, function name): cumulative time of the outermost call
PARTS = (
    ("auth (webapi.auth.authenticate)", "webapi/auth.py", "authenticate"),
    ("engine execute (views)", "engine/core.py", "execute"),
    ("engine query (views + auth)", "engine/core.py", "query"),
    ("marshmallow dump", "marshmallow/schema.py", "dump"),
    ("webargs parse", "webargs/core.py", "parse"),
    ("json encode (flask)", "flask/json/provider.py", "dumps"),
)


def serve(port: int, url: str, out: str, profile: bool) -> None:
    """The child: gunicorn as ``wutong serve`` runs it, the app measured by a middleware."""
    from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

    from engine import ProcessEngine
    from webapi import settings
    from webapi.app import create_app

    os.environ["WUTONG_DATABASE_URL"] = url
    state: dict[str, Any] = {"cpu": 0.0, "requests": 0, "worker_cpu0": 0.0}
    profiler = cProfile.Profile(time.thread_time) if profile else None  # CPU, not waits

    def wrap(app: Any) -> Any:
        def middleware(environ: dict[str, Any], start_response: Any) -> Any:
            if environ.get("QUERY_STRING") == RESET:
                state.update(cpu=0.0, requests=0, worker_cpu0=sum(os.times()[:2]))
                if profiler is not None:
                    profiler.clear()
            started = time.thread_time()
            if profiler is not None:
                profiler.enable()
            try:
                result = app(environ, start_response)
                try:
                    body = list(result)
                finally:
                    getattr(result, "close", lambda: None)()
            finally:
                if profiler is not None:
                    profiler.disable()
                state["cpu"] += time.thread_time() - started
                state["requests"] += 1
            return body

        return middleware

    def factory() -> Any:
        app = create_app(settings.flask_config(), engine=ProcessEngine(settings.engine_config()))
        app.wsgi_app = wrap(app.wsgi_app)  # type: ignore[method-assign]
        return app

    def worker_exit(_server: Any, _worker: Any) -> None:
        parts: dict[str, float] = {}
        if profiler is not None:
            stats = pstats.Stats(profiler)
            for label, suffix, name in PARTS:
                parts[label] = sum(
                    row[3] for (file, _line, func), row in stats.stats.items()  # type: ignore[attr-defined]
                    if file.endswith(suffix) and func == name
                )
            stats.sort_stats("tottime")
            with open(out + ".top", "w") as top:
                stats.stream = top  # type: ignore[attr-defined]
                stats.print_stats(40)
        Path(out).write_text(json.dumps({
            "app_cpu": state["cpu"], "requests": state["requests"],
            "worker_cpu": sum(os.times()[:2]) - state["worker_cpu0"], "parts": parts,
        }))

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {
                "bind": f"127.0.0.1:{port}", "workers": 1, "worker_class": "gthread", "threads": 1,
                "keepalive": 75, "timeout": 120, "graceful_timeout": 10, "accesslog": "-", "errorlog": "-",
                "control_socket_disable": True, "worker_exit": worker_exit,
            }.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return factory()

    Server().run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--client", choices=("lean", "requests"), default="lean")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--serve", nargs=3, metavar=("PORT", "URL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1], args.serve[2], args.profile)
        return

    import requests

    from bench.bench_http_throughput import WARM_UP, Client, free_port, prepare

    directory = tempfile.mkdtemp()
    url = f"sqlite:///{directory}/profile.db"
    token = prepare(url)
    port = free_port()
    out = f"{directory}/server.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUTONG_")}
    env.update(WUTONG_SECRET_KEY="p" * 32, WUTONG_AUDIT_KEY="a" * 64, WUTONG_DATABASE_URL=url)
    command = [sys.executable, __file__, "--serve", str(port), url, out, *(["--profile"] if args.profile else [])]
    with open(f"{directory}/serve.log", "wb") as log:
        child = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(600):
            try:
                if requests.get(f"{base}/livez", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        driver = Client(base, token, client=args.client)
        for _ in range(WARM_UP):
            driver.drive_case()
        driver.call("reset", "GET", f"/livez?{RESET}")
        driver.latencies.clear()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(args.cases):
            driver.drive_case()
        client_cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    finally:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=30)
    server = json.loads(Path(out).read_text())
    count = args.cases * 7
    per = {"client": client_cpu, "worker process": server["worker_cpu"], "  inside the WSGI app": server["app_cpu"],
           "  gunicorn (worker - app)": server["worker_cpu"] - server["app_cpu"]}
    print(f"{args.cases} cases, {count} requests ({server['requests'] - 1} seen by the app), client {args.client}, "
          f"profile {'on' if args.profile else 'off'}, {args.cases / wall:.1f} cases/s, "
          f"load {os.getloadavg()[0]:.2f}")
    for label, seconds in per.items():
        print(f"{label:34s} {seconds * 1000 / count:7.2f} CPU ms/request")
    if server["parts"]:
        print("split of the app part under cProfile (cumulative, share of the app's profiled CPU):")
        app = server["app_cpu"]
        for label, seconds in server["parts"].items():
            print(f"  {label:34s} {seconds * 1000 / count:7.2f} ms/request  {seconds / app:6.1%}")
        print(f"top functions by own time: {out}.top")


if __name__ == "__main__":
    main()
