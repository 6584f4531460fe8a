"""Shared benchmark helpers: databases, an engine with a small organisation, timing probes,
statistics, table printing, environment facts and JSON results.

The probe instruments the engine *from the outside*, in the benchmark process only: it wraps
methods of ``LiveCase`` and the state-row functions, and listens to SQLAlchemy's cursor events, to
split each command's wall time into SpiffWorkflow's own step, our reads of the live task tree, our
row conversion and diff, SQL statements and the commit. Nothing in ``engine/`` is changed.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from xml.sax.saxutils import escape

import sqlalchemy as sa

from engine import SYSTEM, Actor, EngineConfig, ProcessEngine, SystemClock
from engine.audit_chain import AuditKeyring
from engine.commands.executor import StateBytesProbe

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = REPO_ROOT / "tests" / "fixtures" / "corpus"
MODELS = Path(__file__).resolve().parent / "models"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
BACKENDS = ("sqlite", "postgres")

# --- command line ---------------------------------------------------------------------------------


def parse_args(
    description: str,
    argv: Sequence[str] | None = None,
    extra: Callable[[argparse.ArgumentParser], object] | None = None,
) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    if extra is not None:
        extra(parser)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run (< 30 s)")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both", help="databases to measure")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/*.json")
    parser.add_argument(
        "--no-probe", action="store_true", help="no instrumentation (checks the probe's overhead; no time split)"
    )
    return parser.parse_args(argv)


def selected_backends(choice: str) -> tuple[str, ...]:
    return BACKENDS if choice == "both" else (choice,)


# --- databases ------------------------------------------------------------------------------------


def _load_pg_test_server() -> ModuleType:
    """scripts/pg_test_server.py, loaded the way tests/conftest.py loads it."""
    name = "wutong_pg_test_server"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "scripts" / "pg_test_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class Databases:
    """Fresh, empty databases on demand: SQLite files in a temporary directory, and databases on one
    throw-away PostgreSQL server (started on first use; ``WUTONG_TEST_POSTGRES_URL`` names an
    existing server instead). ``close()`` removes the files and stops the server."""

    def __init__(self) -> None:
        self._tmp = Path(tempfile.mkdtemp(prefix="wutong-bench-"))
        self._pg_url: str | None = None
        self._pg_stop: Callable[[], None] | None = None
        self._admin: sa.Engine | None = None
        self._created: list[str] = []

    @property
    def directory(self) -> Path:
        """The temporary directory of the SQLite files (removed by ``close()``), for logs beside them."""
        return self._tmp

    def fresh(self, backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self._tmp / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        admin = self._postgres_admin()
        name = f"b_{uuid.uuid4().hex[:16]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return sa.make_url(admin.url).set(database=name).render_as_string(hide_password=False)

    def _postgres_admin(self) -> sa.Engine:
        if self._admin is None:
            external = os.environ.get("WUTONG_TEST_POSTGRES_URL")
            if external:
                self._pg_url = external
            else:
                self._pg_url, self._pg_stop = _load_pg_test_server().start()
            self._admin = sa.create_engine(
                sa.make_url(self._pg_url).set(database="postgres"),
                isolation_level="AUTOCOMMIT",
                poolclass=sa.pool.NullPool,
            )
        return self._admin

    def postgres_version(self) -> str | None:
        if self._admin is None:
            return None
        with self._admin.connect() as conn:
            return str(conn.exec_driver_sql("SHOW server_version").scalar())

    def postgres_settings(self) -> dict[str, str]:
        if self._admin is None:
            return {}
        names = ("fsync", "synchronous_commit", "full_page_writes", "shared_buffers")
        with self._admin.connect() as conn:
            return {n: str(conn.exec_driver_sql(f"SHOW {n}").scalar()) for n in names}

    def close(self) -> None:
        if self._admin is not None and self._pg_stop is None:  # an external server: drop what we made
            with self._admin.connect() as conn:
                for name in self._created:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if self._admin is not None:
            self._admin.dispose()
        if self._pg_stop is not None:
            self._pg_stop()
        if os.environ.get("WUTONG_BENCH_KEEP"):  # keep the SQLite files to inspect (EXPLAIN QUERY PLAN)
            print(f"kept the SQLite files in {self._tmp}", file=sys.stderr)
        else:
            shutil.rmtree(self._tmp, ignore_errors=True)


@contextmanager
def databases() -> Iterator[Databases]:
    dbs = Databases()
    try:
        yield dbs
    finally:
        dbs.close()


# --- an engine with an organisation ---------------------------------------------------------------


@dataclass
class Org:
    """Actors by name: staff_D1..D3, staff_all (member of D1, D2 and D3), admin, designer."""

    actors: dict[str, Actor] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Actor:
        return self.actors[name]


def make_engine(
    database_url: str, *, cache: bool = True, env: Mapping[str, str] | None = None, synchronous: str = "FULL"
) -> ProcessEngine:
    """An engine with default settings (SQLite: WAL, ``synchronous`` FULL unless told) and the real clock;
    the audit key is WUTONG_AUDIT_KEY(_FILE) of ``env`` (default: this process's environment) when set,
    else a throw-away one."""
    keys = AuditKeyring.from_env(env) or AuditKeyring.parse("bench:" + secrets.token_hex(16))
    config = EngineConfig(database_url=database_url, cache_cases=cache, audit_keys=keys,
                          sqlite_synchronous=synchronous)
    engine = ProcessEngine(config, clock=SystemClock())
    engine.upgrade_schema()
    return engine


def add_departments(engine: ProcessEngine, codes: Sequence[str]) -> None:
    """Departments named after their codes (``部门<code>``)."""
    for code in codes:
        engine.identity.create_department(SYSTEM, code, f"部门{code.lstrip('D')}", f"Department {code.lstrip('D')}")


def add_user(engine: ProcessEngine, username: str, roles: list[str], departments: list[str]) -> tuple[Actor, str]:
    """A user with a token: the actor (for in-process calls) and the token's secret (for HTTP)."""
    identity = engine.identity
    identity.create_user(SYSTEM, username, roles=roles, departments_=departments)
    token = identity.create_token(SYSTEM, identity.find_user(username).id)
    assert token.secret is not None
    return identity.authenticate(token.secret), token.secret


def setup_org(engine: ProcessEngine) -> Org:
    """Departments D1-D3 and their staff, like tests/engine/conftest.py, plus a staff member of all three."""
    add_departments(engine, ("D1", "D2", "D3"))
    org = Org()
    for code in ("D1", "D2", "D3"):
        org.actors[f"staff_{code}"] = add_user(engine, f"staff_{code}", ["staff"], [code])[0]
    org.actors["staff_all"] = add_user(engine, "staff_all", ["staff"], ["D1", "D2", "D3"])[0]
    org.actors["admin"] = add_user(engine, "admin", ["admin"], [])[0]
    org.actors["designer"] = add_user(engine, "designer", ["designer"], [])[0]
    return org


def engine_with_models(database_url: str, *models: str, cache: bool = True) -> tuple[ProcessEngine, Org]:
    """:func:`make_engine` with :func:`setup_org` and the named ``bench/models`` files deployed."""
    engine = make_engine(database_url, cache=cache)
    org = setup_org(engine)
    if models:
        engine.repository.deploy(org["designer"], {name: (MODELS / name).read_bytes() for name in models})
    return engine, org


def analyze(database_url: str) -> None:
    """Fresh planner statistics after a bulk insert, as a DBA would keep them (no VACUUM: on PostgreSQL
    the visibility map stays as a bulk insert leaves it, before autovacuum comes by)."""
    db = sa.create_engine(database_url)
    try:
        if db.dialect.name == "postgresql":
            with db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")
        else:
            with db.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
    finally:
        db.dispose()


def per_database(choice: str, measure: Callable[[Databases, str, str], Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run ``measure(dbs, backend, fresh_url)`` on each selected database; its results by backend and
    the environment (load average taken at the end), printed."""
    results: dict[str, Any] = {}
    with databases() as dbs:
        for backend in selected_backends(choice):
            results[backend] = measure(dbs, backend, dbs.fresh(backend))
        env = environment(dbs)
    print_environment(env)
    return results, env


# --- timing probe ---------------------------------------------------------------------------------

SPIFF = "spiff"  # SpiffWorkflow's own step: task.run() + do_engine_steps() (LiveCase.complete/run/start)
READS = "reads"  # our scans of the live tree for projections: open tasks, variables, activities, timers
ROWS = "rows"  # our state rows: convert every task, JSON, digest, diff with the stored digests
RESTORE = "restore"  # rebuilding a workflow from its rows (a case-cache miss)
SQL_STATE = "sql_state"  # DB-API time of statements on case_state_rows
SQL_OTHER = "sql_other"  # DB-API time of every other statement (projections, audit, checks, BEGIN)
COMMIT = "commit"
SQLALCHEMY = "sqlalchemy"  # inside Connection.execute but outside the driver: compiling, binding, result set-up
CATEGORIES = (SPIFF, READS, ROWS, RESTORE, SQL_STATE, SQL_OTHER, SQLALCHEMY, COMMIT)

_LIVE_METHODS = {
    **dict.fromkeys(("start", "run", "complete", "fire_timers", "retry"), SPIFF),
    "restore": RESTORE,
    **dict.fromkeys(
        ("ready_user_tasks", "variables", "completed_activities", "active_activities", "waiting_timers",
         "waiting_messages", "has_task", "finished"),
        READS,
    ),
}


class Probe:
    """Accumulates seconds per category and counts (statements, state rows) between ``take()`` calls."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.seconds: dict[str, float] = dict.fromkeys(CATEGORIES, 0.0)
        self.counts: dict[str, int] = {"statements": 0, "rows_upserted": 0, "rows_deleted": 0, "largest_row": 0}
        self._inside = False
        self._patched = False
        self._execute_wall = 0.0  # seconds inside Connection.execute / exec_driver_sql

    def take(self) -> tuple[dict[str, float], dict[str, int]]:
        seconds, counts = self.seconds, self.counts
        seconds[SQLALCHEMY] = max(0.0, self._execute_wall - seconds[SQL_STATE] - seconds[SQL_OTHER])
        self._execute_wall = 0.0
        self.seconds = dict.fromkeys(CATEGORIES, 0.0)
        self.counts = dict.fromkeys(counts, 0)
        return seconds, counts

    def _timed(self, category: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if self._inside:  # nested (LiveCase.complete calls run): count the outer call only
                return function(*args, **kwargs)
            self._inside = True
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[category] += time.perf_counter() - started
                self._inside = False

        wrapper.__wrapped__ = function  # type: ignore[attr-defined]
        return wrapper

    def install(self) -> None:
        """Wrap LiveCase methods and the state-row functions (process-wide, once)."""
        if self._patched or not self.enabled:
            return
        self._patched = True
        import engine.case_saving as casework  # save_case calls diff_rows by this module's name
        from engine.spiff import row_cache
        from engine.spiff.cases import LiveCase

        for name, category in _LIVE_METHODS.items():
            attribute = LiveCase.__dict__[name]
            if isinstance(attribute, classmethod):
                setattr(LiveCase, name, classmethod(self._timed(category, attribute.__func__)))
            elif isinstance(attribute, property):
                assert attribute.fget is not None
                setattr(LiveCase, name, property(self._timed(category, attribute.fget)))
            else:
                setattr(LiveCase, name, self._timed(category, attribute))
        row_cache.workflow_rows = self._timed(ROWS, row_cache.workflow_rows)
        original_diff = vars(casework)["diff_rows"]

        def counting_diff(*args: Any, **kwargs: Any) -> Any:
            changes = original_diff(*args, **kwargs)
            self.counts["rows_upserted"] += len(changes.upserts)
            self.counts["rows_deleted"] += len(changes.deletes)
            largest = max((len(row.content) for row in changes.upserts), default=0)
            self.counts["largest_row"] = max(self.counts["largest_row"], largest)
            return changes

        vars(casework)["diff_rows"] = self._timed(ROWS, counting_diff)
        for name in ("execute", "exec_driver_sql"):
            setattr(sa.Connection, name, self._execute_timer(getattr(sa.Connection, name)))

    def _execute_timer(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self._execute_wall += time.perf_counter() - started

        return wrapper

    def attach(self, engine: ProcessEngine) -> None:
        """Listen to the engine's SQL statements and wrap its commits."""
        if not self.enabled:
            return
        engines = {id(e): e for e in (engine.db.write_engine, engine.db.read_engine)}.values()
        for sa_engine in engines:
            sa.event.listen(sa_engine, "before_cursor_execute", self._before_execute)
            sa.event.listen(sa_engine, "after_cursor_execute", self._after_execute)
            dialect = sa_engine.dialect
            do_commit = dialect.do_commit

            def timed_commit(dbapi_connection: Any, _do_commit: Callable[[Any], None] = do_commit) -> None:
                started = time.perf_counter()
                try:
                    _do_commit(dbapi_connection)
                finally:
                    self.seconds[COMMIT] += time.perf_counter() - started

            dialect.do_commit = timed_commit  # type: ignore[method-assign]

    def _before_execute(self, conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after_execute(self, conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        elapsed = time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
        self.seconds[SQL_STATE if "case_state_rows" in statement else SQL_OTHER] += elapsed
        self.counts["statements"] += 1


@dataclass
class Sample:
    """One command: wall time, the probe's split of it, and what it wrote."""

    ms: float
    cpu_ms: float  # this process's CPU time (less sensitive to other load than wall time; excludes the PG server)
    split_ms: dict[str, float]
    counts: dict[str, int]
    bytes_written: int

    def as_json(self) -> dict[str, Any]:
        return {
            "ms": round(self.ms, 4),
            "cpu_ms": round(self.cpu_ms, 4),
            "split_ms": {k: round(v, 4) for k, v in self.split_ms.items()},
            "counts": self.counts,
            "bytes_written": self.bytes_written,
        }


_STATE_BYTES: weakref.WeakKeyDictionary[ProcessEngine, StateBytesProbe] = weakref.WeakKeyDictionary()


def state_bytes(engine: ProcessEngine) -> StateBytesProbe:
    """The engine's probe of state-row bytes per command (an interceptor added on first use)."""
    probe = _STATE_BYTES.get(engine)
    if probe is None:
        probe = _STATE_BYTES[engine] = StateBytesProbe()
        engine.executor.add(probe)
    return probe


def timed_command(probe: Probe, engine: ProcessEngine, call: Callable[[], Any]) -> tuple[Any, Sample]:
    """Run one engine command, timing it and splitting the time with the probe."""
    written = state_bytes(engine)
    probe.take()
    cpu_started = time.process_time()
    started = time.perf_counter()
    result = call()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    seconds, counts = probe.take()
    split = {k: v * 1000 for k, v in seconds.items()}
    split["other"] = max(0.0, elapsed * 1000 - sum(split.values()))
    return result, Sample(elapsed * 1000, cpu * 1000, split, counts, written.last)


# --- statistics and tables ------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def timed_ms(call: Callable[[], Any], runs: int, warm_up: int = 1) -> list[float]:
    """Wall milliseconds of ``runs`` calls after ``warm_up`` untimed ones (statement caches, pages)."""
    for _ in range(warm_up):
        call()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return times


def p50_p95(values_ms: Sequence[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(values_ms, 50), 1), "p95_ms": round(percentile(values_ms, 95), 1)}


def fmt(value: float, digits: int = 2) -> str:
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Print (and return) a Markdown table, aligned for reading in a terminal."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        padded = (c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        return "| " + " | ".join(padded) + " |"

    text = "\n".join(
        [f"\n{title}\n", line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells[1:])]
    )
    print(text, flush=True)
    return text


# --- environment and results ----------------------------------------------------------------------


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment(dbs: Databases | None = None) -> dict[str, Any]:
    status = _git("status", "--porcelain")
    return {
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "postgresql": dbs.postgres_version() if dbs is not None else None,
        "postgresql_settings": dbs.postgres_settings() if dbs is not None else {},
        "spiffworkflow": _version("spiffworkflow"),
        "sqlalchemy": _version("sqlalchemy"),
        "psycopg": _version("psycopg"),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty_files": len(status.splitlines()) if status else 0,
        "sqlite_tmpdir": tempfile.gettempdir(),
    }


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def print_environment(env: dict[str, Any]) -> None:
    keys = (
        "load_average", "cpu_count", "cpu_model", "python", "sqlite", "postgresql", "spiffworkflow", "sqlalchemy",
        "git_commit",
    )
    print("environment: " + ", ".join(f"{k}={env.get(k)}" for k in keys), flush=True)
    if env.get("postgresql_settings"):
        print(f"postgresql settings: {env['postgresql_settings']}", flush=True)


def write_json(name: str, payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(f"\nwrote {path.relative_to(REPO_ROOT)}", flush=True)
    return path


def script_loop_process(
    key: str, script: str, again: str | None = None, namespace: str = "bench", *, wait_for: str | None = None
) -> bytes:
    """start -> user task ``prepare`` -> script ``work`` (repeated while ``again``) -> user task ``after``:
    completing ``prepare`` runs the script in one command (the expression-limit tests and
    bench_slow_expression use it). With ``wait_for``, ``prepare`` is a catch event of that message
    instead: the command that delivers it (see ``message_sender_process``) runs the script."""
    first = (
        f'<bpmn:intermediateCatchEvent id="prepare" name="Wait"><bpmn:messageEventDefinition id="prepare_message" '
        f'messageRef="{wait_for}" /></bpmn:intermediateCatchEvent>'
        if wait_for
        else '<bpmn:userTask id="prepare" name="Prepare" />'
    )
    message = f'<bpmn:message id="{wait_for}" name="{wait_for}" />' if wait_for else ""
    loop = (
        '<bpmn:exclusiveGateway id="again" default="f_done" />'
        f'<bpmn:sequenceFlow id="f_again" sourceRef="again" targetRef="work"><bpmn:conditionExpression>'
        f"{escape(again)}</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="f_done" sourceRef="again" targetRef="after" />'
        '<bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="again" />'
        if again
        else '<bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="after" />'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
        f'targetNamespace="http://wutong.example/{namespace}">{message}'
        f'<bpmn:process id="{key}" name="{key}" isExecutable="true">'
        '<bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="prepare" />'
        f"{first}"
        '<bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="work" />'
        f'<bpmn:scriptTask id="work" name="Work"><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>'
        f"{loop}"
        '<bpmn:userTask id="after" name="After" /><bpmn:sequenceFlow id="f4" sourceRef="after" targetRef="end" />'
        '<bpmn:endEvent id="end" /></bpmn:process></bpmn:definitions>'
    ).encode()


def message_sender_process(key: str, message: str, namespace: str = "bench") -> bytes:
    """start -> user task ``prepare`` -> throw message ``message`` -> end: completing ``prepare`` hands the
    message to the case waiting for it (a ``script_loop_process`` with ``wait_for=message``), in the same
    command."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
        f'targetNamespace="http://wutong.example/{namespace}">'
        f'<bpmn:message id="{message}" name="{message}" />'
        f'<bpmn:process id="{key}" name="{key}" isExecutable="true">'
        '<bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="prepare" />'
        '<bpmn:userTask id="prepare" name="Prepare" />'
        '<bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="send" />'
        '<bpmn:intermediateThrowEvent id="send" name="Send">'
        f'<bpmn:messageEventDefinition id="send_message" messageRef="{message}" /></bpmn:intermediateThrowEvent>'
        '<bpmn:sequenceFlow id="f3" sourceRef="send" targetRef="end" />'
        '<bpmn:endEvent id="end" /></bpmn:process></bpmn:definitions>'
    ).encode()
