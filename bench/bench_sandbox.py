"""Cost of the expression sandbox per expression, inline and in the worker-process pool.

Runs typical gateway conditions and scripts through the sandbox's script environment (the same
path every BPMN expression takes) three ways and reports the best of five runs per expression:

* ``inline``: ``WUTONG_SANDBOX_ISOLATION=inline``, everything in the server process;
* ``process``: the default, plain expressions inline and the rest in a worker under OS limits;
* ``worker``: every expression forced through a worker (the floor of a pool round trip).

Then the same round trip with a 100 KB task-data context, how long the pool takes to replace a
killed worker, and what it adds to a whole command: completing a task through a real engine
(SQLite file) when the next steps are a two-statement script (in a worker) and a gateway
``len(items) > 3`` (inline), with each isolation. Prints lines, then one JSON object (``--json FILE``
also writes it).

    .venv/bin/python bench/bench_sandbox.py [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import setup_org
from engine import EngineConfig, ProcessEngine, SystemClock
from engine.audit_chain import AuditKeyring
from engine.spiff.sandbox import SandboxEnvironment, SandboxLimits
from engine.spiff.sandbox_compile import needs_worker
from engine.spiff.sandbox_pool import shared_pool

DATA: dict[str, Any] = {
    "amount": 120,
    "category": "loan",
    "items": list(range(20)),
    "company": "梧桐",
    "approved": True,
}
EXPRESSIONS = {
    "gateway `amount > 100`": ("eval", "amount > 100"),
    "gateway `category in ('loan', 'grant') and approved`": ("eval", "category in ('loan', 'grant') and approved"),
    "gateway with a call `len(items) > 3`": ("eval", "len(items) > 3"),
    "script `total = amount * 2`": ("exec", "total = amount * 2"),
    "script `total = sum(items) * 2`": ("exec", "total = sum(items) * 2"),
    "script of two statements": ("exec", "total = sum(items)\ndouble = total * 2"),
    "script, loop of 1,000 steps": ("exec", "t = 0\nfor i in range(1000):\n    t = t + i"),
}


def best_of_five(run: Callable[[], None], count: int) -> float:
    """Seconds per call, best of five rounds of ``count`` calls."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(count):
            run()
        best = min(best, (time.perf_counter() - started) / count)
    return best


def runner(
    environment: SandboxEnvironment, mode: str, source: str, data: dict[str, Any], forced: bool
) -> Callable[[], None]:
    def run() -> None:
        context = dict(data)
        if forced:
            environment._in_worker("eval" if mode == "eval" else "exec", source, context, {})
        elif mode == "eval":
            environment.evaluate(source, context)
        else:
            environment.execute(source, context)

    return run


def per_expression(repeat: int, inline: SandboxEnvironment, process: SandboxEnvironment) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name, (mode, source) in EXPRESSIONS.items():
        count = max(repeat // 10, 10) if "loop" in name else repeat
        row: dict[str, Any] = {"expression": name, "in_worker_by_default": needs_worker(source, mode)}  # type: ignore[arg-type]
        row["inline_us"] = best_of_five(runner(inline, mode, source, DATA, False), count) * 1e6
        row["process_us"] = best_of_five(runner(process, mode, source, DATA, False), count) * 1e6
        row["worker_us"] = best_of_five(runner(process, mode, source, DATA, True), count) * 1e6
        rows.append(row)
        print(
            f"{name}: inline {row['inline_us']:.1f} µs, process {row['process_us']:.1f} µs"
            f" ({'worker' if row['in_worker_by_default'] else 'inline'}), forced worker {row['worker_us']:.1f} µs"
        )
    return rows


def big_context(repeat: int, process: SandboxEnvironment) -> float:
    data = {**DATA, "blob": "x" * 100_000}
    seconds = best_of_five(runner(process, "eval", "len(items) > 3", data, True), max(repeat // 4, 10))
    print(f"worker round trip, 100 KB context: {seconds * 1e6:.0f} µs")
    return seconds * 1e6


def restart(limits: SandboxLimits) -> float:
    """Kill one idle worker and time until the pool is back to full strength."""
    pool = shared_pool(limits.workers, limits.max_memory_mb)
    worker = pool._idle.get()
    started = time.perf_counter()
    os.kill(worker.pid, signal.SIGKILL)
    pool._replace(worker)
    while pool.idle_workers() < limits.workers:
        time.sleep(0.001)
    seconds = time.perf_counter() - started
    print(f"worker replacement after a kill: {seconds * 1000:.0f} ms")
    return seconds * 1000


COMMAND_PROCESS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
    b'targetNamespace="http://wutong.example/bench">'
    b'<bpmn:process id="scripted" name="Scripted" isExecutable="true">'
    b'<bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill" />'
    b'<bpmn:userTask id="fill" name="Fill" /><bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="work" />'
    b"<bpmn:scriptTask id=\"work\" name=\"Work\"><bpmn:script>total = sum(items)\ndouble = total * 2"
    b"</bpmn:script></bpmn:scriptTask>"
    b'<bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="gw" />'
    b'<bpmn:exclusiveGateway id="gw" default="f_small" />'
    b'<bpmn:sequenceFlow id="f_big" sourceRef="gw" targetRef="big"><bpmn:conditionExpression>'
    b"len(items) &gt; 3</bpmn:conditionExpression></bpmn:sequenceFlow>"
    b'<bpmn:sequenceFlow id="f_small" sourceRef="gw" targetRef="big" />'
    b'<bpmn:userTask id="big" name="Big" /><bpmn:sequenceFlow id="f4" sourceRef="big" targetRef="end" />'
    b'<bpmn:endEvent id="end" /></bpmn:process></bpmn:definitions>'
)


def per_command(cases: int) -> dict[str, float]:
    """Median milliseconds of one completion that runs the script and the gateway, per isolation."""
    result: dict[str, float] = {}
    for isolation in ("inline", "process"):
        with tempfile.TemporaryDirectory() as directory:
            config = EngineConfig(
                database_url=f"sqlite:///{directory}/bench.db",
                sandbox=SandboxLimits(isolation=isolation),
                audit_keys=AuditKeyring.parse("bench:" + secrets.token_hex(16)),
            )
            engine = ProcessEngine(config, clock=SystemClock())
            engine.upgrade_schema()
            org = setup_org(engine)
            engine.repository.deploy(org["designer"], {"scripted.bpmn": COMMAND_PROCESS})
            times: list[float] = []
            for _ in range(cases + 5):
                case = engine.runtime.start(org["staff_D1"], "scripted", variables={"items": list(range(20))})
                started = time.perf_counter()
                engine.tasks.complete(org["staff_D1"], case.open_tasks[0].id, {})
                times.append(time.perf_counter() - started)
            engine.close()
        milliseconds = result[f"{isolation}_ms"] = statistics.median(times[5:]) * 1000
        print(f"completion running a two-statement script and a gateway, {isolation}: {milliseconds:.2f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    repeat = 200 if args.quick else 2000
    limits = SandboxLimits()
    started = time.perf_counter()
    process = SandboxEnvironment(limits)
    pool_start_ms = (time.perf_counter() - started) * 1000
    print(f"pool start ({limits.workers} workers): {pool_start_ms:.0f} ms")
    inline = SandboxEnvironment(SandboxLimits(isolation="inline"))
    rows = per_expression(repeat, inline, process)
    result = {
        "machine": {"cpus": os.cpu_count(), "load": os.getloadavg(), "python": platform.python_version()},
        "pool_start_ms": pool_start_ms,
        "expressions": rows,
        "worker_100kb_context_us": big_context(repeat, process),
        "worker_restart_ms": restart(limits),
        "command": per_command(20 if args.quick else 200),
    }
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
