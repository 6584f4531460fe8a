"""Cost of the expression sandbox per expression, and what a warm worker process would add.

Runs typical gateway conditions and scripts through the sandbox's script environment (the same
path every BPMN expression takes) and reports the best of five runs per expression. Then measures
one round trip of a task-data context to a warm worker process over a pipe, the floor of what an
OS-limited subprocess pool (``RLIMIT_CPU``/``RLIMIT_AS``) would add to every expression.

    .venv/bin/python bench/bench_sandbox.py [--quick]
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from multiprocessing.connection import Connection
from typing import Any

from engine.runtime.sandbox import SandboxEnvironment, SandboxLimits

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
    "script `total = sum(items) * 2`": ("exec", "total = sum(items) * 2"),
    "script, loop of 1,000 steps": ("exec", "t = 0\nfor i in range(1000):\n    t = t + i"),
}


def per_expression(repeat: int) -> None:
    environment = SandboxEnvironment(SandboxLimits())
    for name, (mode, source) in EXPRESSIONS.items():
        count = repeat // 10 if "loop" in name else repeat
        best = float("inf")
        for _ in range(5):
            context = dict(DATA)
            started = time.perf_counter()
            for _ in range(count):
                if mode == "eval":
                    environment.evaluate(source, context)
                else:
                    environment.execute(source, context)
            best = min(best, (time.perf_counter() - started) / count)
        print(f"{name}: {best * 1e6:.1f} µs")


def _echo(connection: Connection) -> None:
    while (message := connection.recv()) is not None:
        connection.send(message)


def worker_round_trip(repeat: int) -> None:
    context = multiprocessing.get_context("forkserver")
    ours, theirs = context.Pipe()
    worker = context.Process(target=_echo, args=(theirs,))
    started = time.perf_counter()
    worker.start()
    ours.send(1)
    ours.recv()
    print(f"worker start (forkserver): {(time.perf_counter() - started) * 1000:.0f} ms")
    for label, payload in (("small context", DATA), ("100 KB context", {**DATA, "blob": "x" * 100_000})):
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(repeat // 4):
                ours.send(("eval", "amount > 100", payload))
                ours.recv()
            best = min(best, (time.perf_counter() - started) / (repeat // 4))
        print(f"worker round trip, {label}: {best * 1e6:.0f} µs")
    ours.send(None)
    worker.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    args = parser.parse_args()
    repeat = 200 if args.quick else 2000
    per_expression(repeat)
    worker_round_trip(repeat)


if __name__ == "__main__":
    main()
