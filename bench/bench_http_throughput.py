"""HTTP throughput of a whole case, and its ratio to SpiffWorkflow alone in the same run (issue 13).

A client drives ``bench/models/three_user_tasks.bpmn`` (three sequential user tasks, no forms or
scripts) start to finish over HTTP against a real ``wutong serve`` (gunicorn, as ``make run`` starts
it): start the case, then three times list the case's open tasks and complete the first one
(7 requests per case), on one keep-alive connection, and again with 4 concurrent clients. SQLite
with one server process; PostgreSQL with 1, 2 and 4 gunicorn workers. In the same run SpiffWorkflow
alone drives the same model in memory, and with a JSON save and reload of the whole workflow after
every completion; the table prints our rate as a fraction of each.

``--model utility`` drives the shipped utility-connection process instead (the demo organisation's
users, real form data, its message step: ``bench/utility_connection_driver.py``; 34 requests per case).

``--client`` picks the benchmark's own HTTP client: ``requests`` (a ``requests.Session``, the default
and the historical numbers) or ``lean`` (one ``http.client`` keep-alive connection, same requests):
the client shares the machine's cores with the server, so its CPU is printed per request
(``client CPU ms/req``, the process's CPU while the clients ran) to keep client and server apart.

``--synchronous`` sets SQLite's ``PRAGMA synchronous`` of the server (``WUTONG_SQLITE_SYNCHRONOUS``):
``full`` (the default, as shipped), ``normal``, or ``both`` (a server row of each, the ratio both ways).

    .venv/bin/python bench/bench_http_throughput.py [--quick] [--db sqlite|postgres|both] [--cases N]
        [--model three_user_tasks|utility] [--synchronous full|normal|both] [--client requests|lean]
"""

from __future__ import annotations

import http.client
import json
import json as _json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests

from bench import utility_connection_driver as utility
from bench.common import (
    MODELS,
    REPO_ROOT,
    databases,
    environment,
    fmt,
    make_engine,
    median,
    parse_args,
    percentile,
    print_environment,
    print_table,
    selected_backends,
    write_json,
)
from engine import SYSTEM

MODEL = MODELS / "three_user_tasks.bpmn"
PROCESS = "three_user_tasks"
WARM_UP = 5
WUTONG = Path(sys.executable).with_name("wutong")


def prepare(database_url: str) -> str:
    """Schema, one department, a staff member and a designer; deploys the model. Returns the token."""
    engine = make_engine(database_url)
    try:
        identity = engine.identity
        identity.create_department(SYSTEM, "D1", "部门一", "Department 1")
        identity.create_user(SYSTEM, "bench_staff", roles=["staff"], departments_=["D1"])
        identity.create_user(SYSTEM, "bench_designer", roles=["designer"], departments_=[])
        designer = identity.create_token(SYSTEM, identity.find_user("bench_designer").id).secret
        staff = identity.create_token(SYSTEM, identity.find_user("bench_staff").id).secret
        assert designer is not None and staff is not None
        engine.repository.deploy(identity.authenticate(designer), {MODEL.name: MODEL.read_bytes()})
        return staff
    finally:
        engine.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``wutong serve`` in its own process group, logs to a file, stopped with its workers."""

    def __init__(self, database_url: str, workers: int, log: Path, synchronous: str = "FULL") -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("WUTONG_")}
        env.update(WUTONG_DATABASE_URL=database_url, WUTONG_SECRET_KEY=secrets.token_hex(16),
                   WUTONG_AUDIT_KEY=secrets.token_hex(32), WUTONG_SQLITE_SYNCHRONOUS=synchronous)
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(WUTONG), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)],
                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT, start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/livez", timeout=1).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or still starting its workers
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"wutong serve did not answer: {log.read_text()[-2000:]}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)


class LeanSession:
    """The slice of ``requests.Session`` the drivers use, on one ``http.client`` keep-alive connection:
    a lighter client so that less of the shared CPU goes to the benchmark itself."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, url: str, timeout: float = 60, params: dict[str, Any] | None = None,
                json: Any = None, headers: dict[str, str] | None = None) -> LeanResponse:
        parts = urlsplit(url)
        if self.connection is None:
            self.connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
        query = "&".join(q for q in (parts.query, urlencode(params or {})) if q)
        target = parts.path + ("?" + query if query else "")
        sent = {**self.headers, **(headers or {}), "Accept": "application/json"}
        body = None
        if json is not None:
            body = _json.dumps(json).encode()
            sent["Content-Type"] = "application/json"
        self.connection.request(method, target, body=body, headers=sent)
        response = self.connection.getresponse()
        return LeanResponse(response.status, response.read())


class LeanResponse:
    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    def json(self) -> Any:
        return _json.loads(self.content)


class Client:
    """One keep-alive connection; records each request's latency by endpoint. ``token`` is the staff
    member's (three_user_tasks) or, for the utility model, a dict of tokens by demo username plus the
    applicant's id."""

    def __init__(self, base: str, token: Any, model: str = PROCESS, tag: str = "", client: str = "requests") -> None:
        self.base = base
        self.model = model
        self.tag = tag
        self.session: Any = LeanSession() if client == "lean" else requests.Session()
        if model == PROCESS:
            self.session.headers["Authorization"] = f"Bearer {token}"
        else:
            self.tokens, self.applicant_id = token
        self.latencies: dict[str, list[float]] = defaultdict(list)

    def call_as(self, label: str, user: str, method: str, path: str, **kwargs: Any) -> Any:
        return self.call(label, method, path, headers={"Authorization": f"Bearer {self.tokens[user]}"}, **kwargs)

    def call(self, label: str, method: str, path: str, **kwargs: Any) -> Any:
        started = time.perf_counter()
        response = self.session.request(method, self.base + path, timeout=60, **kwargs)
        self.latencies[label].append(time.perf_counter() - started)
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json()

    def drive_case(self) -> None:
        if self.model != PROCESS:
            utility.drive_case(self.call_as, self.applicant_id, self.tag)
            return
        case = self.call("start", "POST", f"/process-definitions/key/{PROCESS}/start", json={"department": "D1"})
        for _ in range(3):
            (task, *_rest) = self.call("list", "GET", "/tasks", params={"instance_id": case["id"], "state": "open"})
            self.call("complete", "POST", f"/tasks/{task['id']}/complete", json={"data": {}})


def run_clients(base: str, token: Any, cases: int, clients: int, model: str = PROCESS,
                client: str = "requests") -> dict[str, Any]:
    drivers = [Client(base, token, model, tag=f"{clients}c{i}-", client=client) for i in range(clients)]
    for driver in drivers:  # warm up every connection and worker
        for _ in range(WARM_UP if model == PROCESS else 1):
            driver.drive_case()
        driver.latencies.clear()
    share = [cases // clients + (1 if i < cases % clients else 0) for i in range(clients)]
    errors: list[BaseException] = []

    def work(driver: Client, count: int) -> None:
        try:
            for _ in range(count):
                driver.drive_case()
        except BaseException as error:  # reported after the run
            errors.append(error)

    threads = [threading.Thread(target=work, args=(d, n)) for d, n in zip(drivers, share, strict=True)]
    started = time.perf_counter()
    cpu_started = time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    client_cpu = time.process_time() - cpu_started
    if errors:
        raise errors[0]
    by_endpoint: dict[str, list[float]] = defaultdict(list)
    for driver in drivers:
        for label, values in driver.latencies.items():
            by_endpoint[label].extend(values)
    requests_made = sum(len(v) for v in by_endpoint.values())
    return {
        "clients": clients,
        "cases": cases,
        "seconds": elapsed,
        "instances_per_s": cases / elapsed,
        "requests_per_s": requests_made / elapsed,
        "client": client,
        "client_cpu_ms_per_request": client_cpu * 1000 / requests_made,
        "endpoints_ms": {
            label: {q: percentile(values, p) * 1000 for q, p in (("p50", 50), ("p95", 95), ("p99", 99))}
            for label, values in sorted(by_endpoint.items())
        },
    }


def spiff_alone(cases: int) -> dict[str, float]:
    """SpiffWorkflow 3.2 by itself on the same model: in memory, and saving and reloading its JSON
    (spec embedded, the library's default serializer) after every completion."""
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
    from SpiffWorkflow.util.task import TaskState

    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_file(str(MODEL))
    spec = parser.get_spec(PROCESS)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))

    def one(save: bool) -> None:
        workflow = BpmnWorkflow(spec)
        workflow.do_engine_steps()
        for _ in range(3):
            if save:
                workflow = serializer.deserialize_json(serializer.serialize_json(workflow))
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.run()
            workflow.do_engine_steps()
            if save:
                json.loads(serializer.serialize_json(workflow))
        assert workflow.is_completed()

    rates: dict[str, float] = {}
    for name, save in (("in_memory", False), ("save_and_reload", True)):
        for _ in range(WARM_UP):
            one(save)
        started = time.perf_counter()
        for _ in range(cases):
            one(save)
        rates[name] = cases / (time.perf_counter() - started)
    return rates


def main() -> None:
    def extra(p: Any) -> None:
        p.add_argument("--cases", type=int, default=None)
        p.add_argument("--model", choices=(PROCESS, "utility"), default=PROCESS)
        p.add_argument("--synchronous", choices=("full", "normal", "both"), default="full",
                       help="SQLite's PRAGMA synchronous for the server (both: a row of each)")
        p.add_argument("--client", choices=("requests", "lean"), default="requests",
                       help="the benchmark's HTTP client: requests.Session or one http.client connection")

    args = parse_args(__doc__.splitlines()[0], extra=extra)
    model = args.model
    cases = args.cases or (20 if args.quick else 300 if model == PROCESS else 40)
    per_case = 7 if model == PROCESS else utility.REQUESTS_PER_CASE
    runs: list[dict[str, Any]] = []
    spiff: list[dict[str, float]] = []
    with databases() as dbs:
        modes = ("FULL", "NORMAL") if args.synchronous == "both" else (args.synchronous.upper(),)
        for backend in selected_backends(args.db):
            for workers, synchronous in (
                [(1, mode) for mode in modes] if backend == "sqlite"
                else [(w, "-") for w in ((1,) if args.quick else (1, 2, 4))]
            ):
                # SpiffWorkflow alone is measured on the 3-user-task model only (the utility process
                # needs our script engine, forms and messages around it: not a like-for-like ratio)
                spiff.append(spiff_alone(cases) if model == PROCESS else {})
                url = dbs.fresh(backend)
                token: Any = prepare(url) if model == PROCESS else utility.prepare(url)
                server = Server(url, workers, dbs.directory / f"serve-{backend}-{workers}-{synchronous}.log",
                                "FULL" if synchronous == "-" else synchronous)
                try:
                    for clients in (1, 4):
                        result = run_clients(server.base, token, cases, clients, model, args.client)
                        result.update(backend=backend, workers=workers, spiff=spiff[-1], model=model,
                                      synchronous=synchronous)
                        runs.append(result)
                        print(f"{backend} synchronous={synchronous} workers={workers} clients={clients}: "
                              f"{fmt(result['instances_per_s'], 1)} instances/s, client ({args.client}) "
                              f"{fmt(result['client_cpu_ms_per_request'], 2)} CPU ms/request", flush=True)
                finally:
                    server.stop()
        env = environment(dbs)
    print_environment(env)
    rows = []
    for run in runs:
        base = [run["backend"], run["synchronous"], run["workers"], run["clients"], run["client"],
                fmt(run["client_cpu_ms_per_request"], 2), fmt(run["instances_per_s"], 1), fmt(run["requests_per_s"], 0)]
        if not run["spiff"]:
            run.update(ratio_in_memory=None, ratio_save_and_reload=None)
            rows.append([*base, "-", "-", "-", "-"])
            continue
        ratio_memory = run["instances_per_s"] / run["spiff"]["in_memory"]
        ratio_saved = run["instances_per_s"] / run["spiff"]["save_and_reload"]
        run.update(ratio_in_memory=ratio_memory, ratio_save_and_reload=ratio_saved)
        rows.append([*base, fmt(run["spiff"]["save_and_reload"], 0), fmt(ratio_saved, 3),
                     fmt(run["spiff"]["in_memory"], 0), fmt(ratio_memory, 3)])
    print_table(
        f"HTTP throughput, {model if model == PROCESS else utility.PROCESS}, {cases} cases per row "
        f"({per_case} requests each)",
        ["db", "synchronous", "workers", "clients", "client", "client CPU ms/req", "inst/s", "req/s",
         "spiff save+reload/s", "ratio", "spiff memory/s", "ratio"],
        rows,
    )
    endpoint_rows = [
        [run["backend"], run["synchronous"], run["workers"], run["clients"], label,
         *(fmt(v[q], 2) for q in ("p50", "p95", "p99"))]
        for run in runs for label, v in run["endpoints_ms"].items()
    ]
    print_table("latency per endpoint (ms)",
                ["db", "synchronous", "workers", "clients", "endpoint", "p50", "p95", "p99"],
                endpoint_rows)
    if not args.no_json:
        write_json("http_throughput" if model == PROCESS else "http_throughput_utility",
                   {"environment": env, "model": model, "cases": cases, "runs": runs,
                                       "median_ratio_save_and_reload": median(
                                           [r["ratio_save_and_reload"] for r in runs if r["clients"] == 1])
                                       if model == PROCESS else None})


if __name__ == "__main__":
    main()
