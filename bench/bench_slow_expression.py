"""Two clients on SQLite: one completes tasks whose script runs ~0.5 s, the other completes simple tasks.

Measures what the simple client gets (completions per second, median and worst latency) while the
slow one keeps running, and how many slow completions went through. Before the engine step ran
outside SQLite's write lock, every simple completion waited for the slow script in progress; run it
against an older checkout with ``PYTHONPATH=<checkout>`` to compare.

With ``--receiver`` the slow script runs in another case: each slow completion throws a message, and
the case waiting for it runs the script in the same command (before messages were delivered inside
the engine step, that script ran under the write lock).

    .venv/bin/python bench/bench_slow_expression.py [--seconds S] [--receiver]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import make_engine, message_sender_process, script_loop_process, setup_org
from engine.errors import DatabaseBusy

LOOP = "n = n + 1\nbig = list(range(50000))\nsize = len(str(big)) + len(str(big))\ndel big"


def main() -> None:
    seconds = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 10.0
    receiver = "--receiver" in sys.argv
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        org = setup_org(engine)
        staff = org["staff_D1"]
        quick = {"quick.bpmn": script_loop_process("quick", "done = True")}
        if receiver:  # the slow client's completions throw "slow_ready"; a waiting case runs the loop
            engine.repository.deploy(
                org["designer"],
                {"slow_receiver.bpmn": script_loop_process("slow_receiver", LOOP, "n < 25", wait_for="slow_ready"),
                 "slow.bpmn": message_sender_process("slow", "slow_ready"), **quick},
            )
            for _ in range(60):
                engine.runtime.start(staff, "slow_receiver", variables={"n": 0})
        else:
            engine.repository.deploy(
                org["designer"], {"slow.bpmn": script_loop_process("slow", LOOP, "n < 25"), **quick}
            )
        slow_tasks = [engine.runtime.start(staff, "slow").open_tasks[0].id for _ in range(60)]
        quick_tasks = [engine.runtime.start(staff, "quick").open_tasks[0].id for _ in range(3000)]
        stop = threading.Event()
        slow_ms: list[float] = []

        def slow_client() -> None:
            for task_id in slow_tasks:
                if stop.is_set():
                    return
                began = time.perf_counter()
                engine.tasks.complete(staff, task_id, {"n": 0})
                slow_ms.append((time.perf_counter() - began) * 1000)

        quick_ms: list[float] = []
        busy = 0
        thread = threading.Thread(target=slow_client)
        thread.start()
        time.sleep(0.3)
        ends = time.monotonic() + seconds
        for task_id in quick_tasks:
            if time.monotonic() >= ends:
                break
            began = time.perf_counter()
            try:
                engine.tasks.complete(staff, task_id, {})
            except DatabaseBusy:  # 503: no write lock within the lock wait (5 s)
                busy += 1
                continue
            quick_ms.append((time.perf_counter() - began) * 1000)
        stop.set()
        thread.join()
        engine.close()
    variant = "receiver " if receiver else ""
    print(f"{variant}{seconds:g} s: quick completions {len(quick_ms)} ({len(quick_ms) / seconds:.1f}/s), "
          f"median {statistics.median(quick_ms):.1f} ms, max {max(quick_ms):.0f} ms, {busy} answered 503 busy; "
          f"slow completions {len(slow_ms)}, median {statistics.median(slow_ms):.0f} ms")


if __name__ == "__main__":
    main()
