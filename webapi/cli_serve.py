"""``wutong serve`` (gunicorn by default, Flask's development server with ``--dev``) and ``wutong worker``
(timers and escalations)."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from engine import ProcessEngine
from engine.worker import Worker
from webapi import settings
from webapi.cli_support import open_engine

if TYPE_CHECKING:
    from flask import Flask


def _app_factory() -> Callable[[], Flask]:
    """Check the configuration now; build the engine and the app when called (per worker)."""
    config = settings.engine_config()
    flask_config = settings.flask_config()

    def factory() -> Flask:
        from webapi.app import create_app

        return create_app(flask_config, engine=ProcessEngine(config))

    return factory


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def _metrics_directory() -> None:
    """Set up prometheus-client's multiprocess mode before any worker starts: every worker writes
    its counters to files in ``PROMETHEUS_MULTIPROC_DIR`` and a scrape of any worker sums them.
    An operator's directory is emptied of the last run's files; otherwise a private one is made."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        return
    directory = tempfile.mkdtemp(prefix="wutong-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    master = os.getpid()

    def remove() -> None:  # forked workers run atexit handlers too: only the master removes it
        if os.getpid() == master:
            shutil.rmtree(directory, ignore_errors=True)

    atexit.register(remove)


def _worker_exited(_server: Any, worker: Any) -> None:
    """gunicorn's child_exit hook: drop the dead worker's live gauges (its counters stay summed)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def _gunicorn(factory: Callable[[], Flask], options: dict[str, Any]) -> None:
    from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return factory()

    Server().run()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="gunicorn worker processes (several need PostgreSQL to scale: SQLite serialises writers).",
)
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Threads per worker (gunicorn's gthread worker class; keep-alive connections need threads).",
)
@click.option(
    "--keepalive",
    default=5,
    show_default=True,
    type=click.IntRange(0, 300),
    help="Seconds an idle keep-alive connection stays open.",
)
@click.option(
    "--timeout",
    default=60,
    show_default=True,
    type=click.IntRange(1),
    help="Seconds before a silent worker is restarted.",
)
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn (development only).")
def serve(host: str, port: int, workers: int, threads: int, keepalive: int, timeout: int, dev: bool) -> None:
    """Serve the API and pages with gunicorn (gthread workers), or Flask's development server with --dev."""
    settings.require_audit_key()
    with open_engine():
        pass  # fail early (settings, reachable database, current schema) before binding the port
    factory = _app_factory()
    base = f"http://{_bind(host, port)}"
    how = "Flask's development server" if dev else f"gunicorn, {workers} workers x {threads} threads"
    click.echo(f"Wutong ({how}): API {base}/api/v1, interactive docs {base}/api/docs", err=True)
    if dev:
        factory().run(host=host, port=port, debug=False, use_reloader=False, threaded=True)
        return
    _metrics_directory()
    _gunicorn(
        factory,
        {
            "bind": _bind(host, port),
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "keepalive": keepalive,
            "timeout": timeout,
            "graceful_timeout": 10,
            "accesslog": "-",
            "errorlog": "-",
            "proc_name": "wutong",
            # gunicorn's control socket lives at one path per user ($HOME/.gunicorn/gunicorn.ctl):
            # two servers (or a server and the tests) would fight over it; Wutong does not use it.
            "control_socket_disable": True,
            "child_exit": _worker_exited,
        },
    )


@click.command()
@click.option(
    "--poll",
    default=0.25,
    show_default=True,
    type=click.FloatRange(0.01, 60),
    help="Longest sleep between looks for due work, in seconds.",
)
@click.option("--once", is_flag=True, help="Fire what is due now, then exit.")
def worker(poll: float, once: bool) -> None:
    """Fire due timers and escalate overdue tasks; run it beside `wutong serve` (several may run)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings.require_audit_key()
    with open_engine() as engine:
        runner = Worker(engine, poll_seconds=poll)
        if once:
            done = runner.run_once()
            click.echo(f"fired {done.fired} timers, raised {done.escalated} escalations")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        click.echo(f"Wutong worker: looking for due work at least every {poll} s", err=True)
        runner.run_forever(stop)
