"""Load with faults (issue 13, benchmark 5): client threads doing random valid operations against
``wutong serve`` (gunicorn) and ``wutong worker`` processes while a web worker and a timer worker are
killed with SIGKILL mid-run; afterwards every acknowledged (2xx) operation must be in the history,
``wutong check`` must pass and no timer may have fired twice.

Every request carries its own ``X-Request-ID``; the engine writes it on each history event of that
request, so "acknowledged means durable" is checked exactly: each 2xx request id has its event.
Used by ``bench/bench_load_faults.py`` (120 s, a table and JSON) and by
``tests/e2e/test_load_with_faults.py`` (bounded for ``make test``).
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from bench.common import MODELS, REPO_ROOT, make_engine
from engine import SYSTEM
from engine.persistence.tables import audit_events, timers

MODEL = MODELS / "load_mix.bpmn"
PROCESS = "load_mix"
WUTONG = Path(sys.executable).with_name("wutong")
# what each operation must leave in the history when it was acknowledged
EVENT_OF = {
    "start": "case.started",
    "claim": "task.claimed",
    "complete": "task.completed",
    "message": "message.received",
    "cancel": "case.cancelled",
    "reassign": "task.reassigned",
}
WEIGHTS = {"start": 20, "claim": 15, "complete": 35, "message": 12, "cancel": 3, "reassign": 15}
STAFF = ("d1_a", "d1_b", "d1_c", "d2_a")


@dataclass
class Settings:
    database_url: str
    seconds: float = 120.0
    clients: int = 8
    web_workers: int = 4
    timer_workers: int = 2
    seed: int = 1
    workdir: Path = field(default_factory=lambda: Path("/tmp"))


@dataclass
class Outcome:
    """What the clients did and what the checks found."""

    attempts: Counter[str] = field(default_factory=Counter)
    acknowledged: dict[str, str] = field(default_factory=dict)  # request id -> operation
    claimed_task: dict[str, tuple[str, str]] = field(default_factory=dict)  # claim's request id -> (task, user)
    user_ids: dict[str, str] = field(default_factory=dict)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)  # no answer (connection cut by a kill)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    kills: list[str] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # acknowledged but not in the history
    timers_fired_twice: list[str] = field(default_factory=list)
    timers_overdue_left: int = 0
    check_returncode: int | None = None
    check_output: str = ""
    server_errors: int = 0
    samples: dict[tuple[str, int], str] = field(default_factory=dict)  # one answer body per refusal kind


def environment(settings: Settings) -> dict[str, str]:
    """The environment every server and worker process shares (same secret and audit keys)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUTONG_")}
    env.update(WUTONG_DATABASE_URL=settings.database_url, WUTONG_SECRET_KEY=secrets.token_hex(16),
               WUTONG_AUDIT_KEY=secrets.token_hex(32))
    return env


def prepare(database_url: str, env: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Departments D1 and D2, three D1 and one D2 staff member, a supervisor of both, the model
    (with the servers' audit key, so ``wutong check`` verifies these events too). Returns each
    user's token and user id."""
    engine = make_engine(database_url, env=env)
    try:
        identity = engine.identity
        identity.create_department(SYSTEM, "D1", "部门一", "Department 1")
        identity.create_department(SYSTEM, "D2", "部门二", "Department 2")
        users = {name: (["staff"], [name[:2].upper()]) for name in STAFF}
        users["supervisor"] = (["supervisor", "staff"], ["D1", "D2"])
        users["designer"] = (["designer"], [])
        tokens, ids = {}, {}
        for name, (roles, departments) in users.items():
            user = identity.create_user(SYSTEM, f"load_{name}", roles=roles, departments_=departments)
            secret = identity.create_token(SYSTEM, user.id).secret
            assert secret is not None
            tokens[name], ids[name] = secret, user.id
        engine.repository.deploy(identity.authenticate(tokens["designer"]), {MODEL.name: MODEL.read_bytes()})
        return tokens, ids
    finally:
        engine.close()


class Processes:
    """The gunicorn server and the timer workers, each in its own process group, logging to files."""

    def __init__(self, settings: Settings, env: dict[str, str], port: int) -> None:
        self.settings, self.env, self.port = settings, env, port
        self.server = self._spawn("serve", ["serve", "--host", "127.0.0.1", "--port", str(port),
                                            "--workers", str(settings.web_workers)])
        self.workers = [self._spawn(f"worker{i}", ["worker", "--poll", "0.2"]) for i in range(settings.timer_workers)]
        deadline = time.monotonic() + 90
        while not self._answers():
            if time.monotonic() > deadline or self.server.poll() is not None:
                self.stop()
                raise RuntimeError("wutong serve did not answer /livez")
            time.sleep(0.2)

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = (self.settings.workdir / f"load-{name}-{time.monotonic_ns()}.log").open("wb")
        return subprocess.Popen([str(WUTONG), *args], env=self.env, cwd=REPO_ROOT, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def _answers(self) -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{self.port}/api/v1/livez", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def kill_web_worker(self) -> str:
        """SIGKILL one gunicorn worker (the master starts a new one)."""
        children = subprocess.run(["pgrep", "-P", str(self.server.pid)], capture_output=True, text=True).stdout.split()
        if not children:
            return "no web worker to kill"
        victim = int(random.choice(children))
        os.kill(victim, signal.SIGKILL)
        return f"web worker {victim} killed"

    def kill_timer_worker(self, restart_after: float) -> str:
        """SIGKILL the first timer worker, and start a new one ``restart_after`` seconds later."""
        victim = self.workers[0]
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(10)
        time.sleep(restart_after)
        self.workers[0] = self._spawn("worker-restarted", ["worker", "--poll", "0.2"])
        return f"timer worker {victim.pid} killed and restarted"

    def stop(self) -> None:
        for process in [self.server, *self.workers]:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)


class LoadClient(threading.Thread):
    """One client thread: random valid operations until the deadline, each with its own request id."""

    def __init__(self, base: str, tokens: dict[str, str], outcome: Outcome, tickets: list[tuple[str, float]],
                 lock: threading.Lock, deadline: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.base, self.tokens, self.outcome, self.tickets, self.lock = base, tokens, outcome, tickets, lock
        self.deadline, self.rng = deadline, random.Random(seed)
        self.session = requests.Session()

    def run(self) -> None:
        kinds, weights = zip(*WEIGHTS.items(), strict=True)
        while time.monotonic() < self.deadline:
            kind = self.rng.choices(kinds, weights)[0]
            try:
                getattr(self, f"op_{kind}")()
            except requests.RequestException:
                with self.lock:
                    self.outcome.dropped[kind] += 1

    def _call(self, kind: str | None, user: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        request_id = kwargs.pop("request_id", None) or f"load-{uuid.uuid4().hex}"
        headers = {"Authorization": f"Bearer {self.tokens[user]}", "X-Request-ID": request_id}
        started = time.perf_counter()
        response = self.session.request(method, self.base + path, headers=headers, timeout=30, **kwargs)
        elapsed = time.perf_counter() - started
        with self.lock:
            label = kind or "list"
            self.outcome.latencies[label].append(elapsed)
            self.outcome.statuses[(label, response.status_code)] += 1
            if response.status_code >= 500:
                self.outcome.server_errors += 1
            if response.status_code >= 400:
                self.outcome.samples.setdefault((label, response.status_code), response.text[:300])
            if kind is not None:
                self.outcome.attempts[kind] += 1
                if response.status_code < 300:
                    self.outcome.acknowledged[request_id] = kind
        return response

    def _open_task(self, user: str, department: str, **params: Any) -> dict[str, Any] | None:
        query = {"state": "open", "department": department, "page_size": 20, **params}
        response = self._call(None, user, "GET", "/tasks", params=query)
        found = response.json() if response.status_code == 200 else []
        return self.rng.choice(found) if found else None

    def op_start(self) -> None:
        ticket = f"T-{uuid.uuid4().hex[:12]}"
        due_at = (datetime.now(UTC) + timedelta(seconds=self.rng.uniform(1, 8))).isoformat()
        response = self._call("start", self.rng.choice(STAFF[:3]), "POST", f"/process-definitions/key/{PROCESS}/start",
                              json={"business_key": ticket, "variables": {"ticket": ticket, "due_at": due_at}})
        if response.status_code < 300:
            with self.lock:
                self.tickets.append((ticket, time.monotonic()))

    def op_claim(self) -> None:
        user = self.rng.choice(STAFF)
        task = self._open_task(user, "D2" if user.startswith("d2") else "D1")
        if task is not None:
            request_id = f"load-{uuid.uuid4().hex}"
            with self.lock:
                self.outcome.claimed_task[request_id] = (task["id"], user)
            self._call("claim", user, "POST", f"/tasks/{task['id']}/claim", request_id=request_id)

    def op_complete(self) -> None:
        user = self.rng.choice(STAFF)
        department = "D2" if user.startswith("d2") else "D1"
        mine = self._call(None, user, "GET", "/tasks", params={"state": "claimed", "assignee": "me", "page_size": 5})
        claimed = mine.json() if mine.status_code == 200 else []
        task = claimed[0] if claimed else self._open_task(user, department)
        if task is not None:
            self._call("complete", user, "POST", f"/tasks/{task['id']}/complete", json={"data": {}})

    def op_message(self) -> None:
        # a case waits for the message once its task and timer (at most 8 s) are done: pick older ones
        with self.lock:
            ripe = [ticket for ticket, started in self.tickets if time.monotonic() - started > 6]
        ticket = self.rng.choice(ripe) if ripe else None
        if ticket is not None:
            self._call("message", "d1_a", "POST", "/messages",
                       json={"name": "load_confirm", "correlation": {"ticket": ticket},
                             "payload": {"ticket": ticket, "ok": True}})

    def op_cancel(self) -> None:
        response = self._call(None, "supervisor", "GET", "/process-instances",
                              params={"state": "running", "page_size": 20})
        cases = response.json() if response.status_code == 200 else []
        if cases:
            case = self.rng.choice(cases)
            self._call("cancel", "supervisor", "POST", f"/process-instances/{case['id']}/cancel",
                       json={"reason": "load test: withdrawn"})

    def op_reassign(self) -> None:
        task = self._open_task("supervisor", "D1")
        if task is not None:
            self._call("reassign", "supervisor", "POST", f"/tasks/{task['id']}/assign",
                       json={"department": "D2", "reason": "load test: D2 handles it"})


def _claimed_by(outcome: Outcome, request_id: str) -> tuple[str, str] | None:
    task_user = outcome.claimed_task.get(request_id)
    return (task_user[0], outcome.user_ids[task_user[1]]) if task_user else None


def verify(settings: Settings, env: dict[str, str], outcome: Outcome) -> None:
    """Fill in the checks: acknowledged operations in the history, timers, ``wutong check``."""
    engine = make_engine(settings.database_url, env=env)
    try:
        with engine.db.transaction(write=False) as connection:
            found: set[tuple[str, str]] = set()
            ids = list(outcome.acknowledged)
            for offset in range(0, len(ids), 500):
                rows = connection.execute(
                    select(audit_events.c.request_id, audit_events.c.action)
                    .where(audit_events.c.request_id.in_(ids[offset:offset + 500]))
                ).all()
                found |= {(row.request_id, row.action) for row in rows}
            # claiming a task one already holds answers 200 and changes nothing (another thread of the
            # same user claimed it first): that claim is reflected by the first claim's event
            claimed = {
                (row.task_id, row.actor_user_id)
                for row in connection.execute(
                    select(audit_events.c.task_id, audit_events.c.actor_user_id)
                    .where(audit_events.c.action == "task.claimed")
                )
            }
            outcome.missing = [
                (rid, kind) for rid, kind in outcome.acknowledged.items()
                if (rid, EVENT_OF[kind]) not in found
                and not (kind == "claim" and _claimed_by(outcome, rid) in claimed)
            ]
            fired = connection.execute(
                select(audit_events.c.instance_id, func.count())
                .where(audit_events.c.action == "timer.fired").group_by(audit_events.c.instance_id)
            ).all()
            outcome.timers_fired_twice = [row[0] for row in fired if row[1] > 1]
            overdue = datetime.now(UTC) - timedelta(seconds=5)
            outcome.timers_overdue_left = connection.execute(
                select(func.count()).select_from(timers).where(timers.c.due_at < overdue)
            ).scalar_one()
    finally:
        engine.close()
    check = subprocess.run([str(WUTONG), "check"], env=env, cwd=REPO_ROOT, capture_output=True, text=True)
    outcome.check_returncode = check.returncode
    outcome.check_output = (check.stdout + check.stderr)[-2000:]


def run(settings: Settings) -> Outcome:
    """Prepare, load for ``settings.seconds`` with the two kills at 40 % and 60 % of it, drain, verify."""
    from bench.bench_http_throughput import free_port

    random.seed(settings.seed)
    env = environment(settings)
    tokens, user_ids = prepare(settings.database_url, env)
    outcome = Outcome(user_ids=user_ids)
    processes = Processes(settings, env, free_port())
    try:
        lock = threading.Lock()
        tickets: list[tuple[str, float]] = []
        deadline = time.monotonic() + settings.seconds
        base = f"http://127.0.0.1:{processes.port}/api/v1"
        clients = [LoadClient(base, tokens, outcome, tickets, lock, deadline, settings.seed * 100 + i)
                   for i in range(settings.clients)]
        for client in clients:
            client.start()
        time.sleep(settings.seconds * 0.4)
        outcome.kills.append(processes.kill_web_worker())
        time.sleep(settings.seconds * 0.2)
        outcome.kills.append(processes.kill_timer_worker(restart_after=2.0))
        for client in clients:
            client.join()
        drain_until = time.monotonic() + 30  # the timers set during the run (at most 8 s ahead) fall due
        engine = make_engine(settings.database_url, env=env)
        try:
            while time.monotonic() < drain_until:
                with engine.db.transaction(write=False) as connection:
                    left = connection.execute(
                        select(func.count()).select_from(timers).where(timers.c.due_at < datetime.now(UTC))
                    ).scalar_one()
                if left == 0 and time.monotonic() > deadline + 9:
                    break
                time.sleep(0.5)
        finally:
            engine.close()
    finally:
        processes.stop()
    verify(settings, env, outcome)
    return outcome
