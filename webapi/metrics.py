"""``GET /metrics`` in Prometheus text format, and the measurements behind it.

Off unless ``WUTONG_METRICS_TOKEN`` is set; then only ``Authorization: Bearer <that token>`` gets
the page (anything else: 401), so the figures are never public by accident, whatever address the
server listens on. Under gunicorn every worker process writes its counters to
``PROMETHEUS_MULTIPROC_DIR`` (``wutong serve`` sets it up), and any worker answering a scrape
sums them all. Database figures (open tasks per department, work due for the timer worker) are
read at scrape time by one read transaction through ``engine.operations``.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator

from flask import Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from engine import ProcessEngine
from engine.errors import Conflict, DatabaseBusy, EngineError, NotFound, Unauthenticated

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "<unmatched>"  # requests no route matched: one label, never the raw path

REQUEST_SECONDS = Histogram(
    "wutong_http_request_duration_seconds",
    "Time to answer an HTTP request, per Flask endpoint and method.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
RESPONSES = Counter(
    "wutong_http_responses",
    "HTTP responses, per Flask endpoint, method and status code.",
    ["endpoint", "method", "status"],
)
COMMANDS = Counter(
    "wutong_commands",
    "Engine commands (one transaction each), per kind (the command class, e.g. CompleteTask) and outcome: ok, conflict "
    "(409, e.g. a concurrent change), busy (database lock wait ran out), refused (other domain errors), error.",
    ["kind", "outcome"],
)
COMMAND_SECONDS = Histogram(
    "wutong_command_duration_seconds",
    "Time one engine command took, per kind.",
    ["kind"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0),
)


def outcome_of(error: BaseException | None) -> str:
    if error is None:
        return "ok"
    if isinstance(error, DatabaseBusy):
        return "busy"
    if isinstance(error, Conflict):
        return "conflict"
    if isinstance(error, EngineError):
        return "refused"
    return "error"


def observe_command(kind: str, seconds: float, error: BaseException | None) -> None:
    """The engine's command observer: counts every command by kind and outcome, and times it."""
    COMMANDS.labels(kind, outcome_of(error)).inc()
    COMMAND_SECONDS.labels(kind).observe(seconds)


class DatabaseFigures(Collector):
    """Gauges read from the database when scraped (never stored in the process)."""

    def __init__(self, engine: ProcessEngine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        figures = self.engine.operations.figures()
        open_tasks = GaugeMetricFamily(
            "wutong_open_tasks", "Open (open or claimed) tasks per department.", labels=["department"]
        )
        for department, count in sorted(figures.open_tasks_by_department.items()):
            open_tasks.add_metric([department], count)
        yield open_tasks
        lags = []
        for name, due, what in (
            ("timers", figures.timers_due, "BPMN timers past their due time, not fired yet"),
            ("escalations", figures.escalations_due, "overdue tasks the worker has not escalated yet"),
        ):
            lateness = 0.0
            if due.oldest_due_at is not None:
                lateness = max(0.0, (figures.taken_at - due.oldest_due_at).total_seconds())
            lags.append(lateness)
            yield GaugeMetricFamily(f"wutong_{name}_due", f"Number of {what}.", value=due.count)
            yield GaugeMetricFamily(
                f"wutong_{name}_due_lateness_seconds",
                f"How long the oldest of the {what} has been due (0 when none).",
                value=lateness,
            )
        yield GaugeMetricFamily(
            "wutong_worker_lag_seconds",
            "How far the timer workers are behind: the longest any due timer or escalation has waited.",
            value=max(lags),
        )


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _record(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        endpoint = request.endpoint or UNMATCHED
        REQUEST_SECONDS.labels(endpoint, request.method).observe(time.perf_counter() - started)
        RESPONSES.labels(endpoint, request.method, str(response.status_code)).inc()
    return response


def _process_registry() -> CollectorRegistry:
    """Every worker's counters (multiprocess mode), or this process's own."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def metrics_page() -> Response:
    token = current_app.config.get("WUTONG_METRICS_TOKEN")
    if not token:
        raise NotFound("no such page")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), str(token).encode()):
        raise Unauthenticated("send 'Authorization: Bearer <WUTONG_METRICS_TOKEN>'", code="bad_token")
    engine: ProcessEngine = current_app.extensions["wutong"]
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseFigures(engine))
    body = generate_latest(_process_registry()) + generate_latest(database)
    return Response(body, mimetype=None, content_type=CONTENT_TYPE_LATEST)


def register(app: Flask, engine: ProcessEngine) -> None:
    """Time every request, count every command, serve ``/metrics`` (404 unless a token is set)."""
    app.before_request(_start_timer)
    app.after_request(_record)
    if observe_command not in engine.executor.metrics.observers:
        engine.executor.metrics.observers.append(observe_command)
    app.add_url_rule("/metrics", "metrics", metrics_page)
