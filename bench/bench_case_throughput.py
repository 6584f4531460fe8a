"""Cases per second and milliseconds per engine command for a small parallel process.

Drives ``tests/fixtures/corpus/parallel.bpmn`` (a split into three lane tasks D1/D2/D3, a join and a
final task: four user tasks) through the engine services, the way a client of the API would: start
a case, then complete the first task of the ``open_tasks`` each command returns until none is left
(five commands per case). The acting user is a staff member of D1, D2 and D3, so every open task is
visible and workable and no extra listing command is needed. N cases (200; 20 with ``--quick``)
after a few warm-up cases, on SQLite (temporary file, WAL, synchronous=FULL) and PostgreSQL, with the
case cache on and off. Each command is timed and its time split by the probe (see bench/common.py).

    .venv/bin/python bench/bench_case_throughput.py [--quick] [--db sqlite|postgres|both] [--cases N]
"""

from __future__ import annotations

import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    CATEGORIES,
    CORPUS,
    Databases,
    Probe,
    Sample,
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
    setup_org,
    timed_command,
    write_json,
)
from engine import Actor, ProcessEngine

MODEL = CORPUS / "parallel.bpmn"
PROCESS = "parallel"
WARM_UP = 5
SPLIT = (*CATEGORIES, "other")


def drive_case(engine: ProcessEngine, probe: Probe, actor: Actor) -> list[tuple[str, Sample]]:
    """Start one case and complete its open tasks one by one; returns (command, sample) pairs."""
    view, sample = timed_command(probe, engine, lambda: engine.runtime.start(actor, PROCESS, department="D1"))
    samples = [("start", sample)]
    open_tasks = view.open_tasks
    state = view.state
    while open_tasks:
        result, sample = timed_command(probe, engine, partial(engine.tasks.complete, actor, open_tasks[0].id))
        samples.append(("complete", sample))
        open_tasks, state = result.open_tasks, result.case_state
    assert state == "completed", f"the case ended {state}"
    return samples


def run_variant(dbs: Databases, backend: str, cache: bool, cases: int, probe: Probe) -> dict[str, Any]:
    engine = make_engine(dbs.fresh(backend), cache=cache)
    probe.attach(engine)
    try:
        org = setup_org(engine)
        engine.repository.deploy(org["designer"], {MODEL.name: MODEL.read_bytes()})
        actor = org["staff_all"]
        for _ in range(WARM_UP):
            drive_case(engine, probe, actor)
        samples: list[tuple[str, Sample]] = []
        started = time.perf_counter()
        for _ in range(cases):
            samples += drive_case(engine, probe, actor)
        wall = time.perf_counter() - started
    finally:
        engine.close()
    return summarise(backend, cache, cases, wall, samples)


def summarise(backend: str, cache: bool, cases: int, wall: float, samples: list[tuple[str, Sample]]) -> dict[str, Any]:
    every = [s for _, s in samples]
    ms = [s.ms for s in every]
    total = sum(ms) or 1.0

    def of(kind: str) -> list[float]:
        return [s.ms for k, s in samples if k == kind]

    return {
        "backend": backend,
        "cache": cache,
        "cases": cases,
        "commands": len(samples),
        "wall_s": wall,
        "cases_per_s": cases / wall,
        "commands_per_s": len(samples) / wall,
        "ms_median": median(ms),
        "ms_p90": percentile(ms, 90),
        "cpu_ms_median": median([s.cpu_ms for s in every]),
        "start_ms_median": median(of("start")),
        "start_ms_p90": percentile(of("start"), 90),
        "complete_ms_median": median(of("complete")),
        "complete_ms_p90": percentile(of("complete"), 90),
        "statements_median": median([float(s.counts["statements"]) for s in every]),
        "bytes_median": median([float(s.bytes_written) for s in every]),
        "rows_median": median([float(s.counts["rows_upserted"] + s.counts["rows_deleted"]) for s in every]),
        "split_mean_ms": {k: sum(s.split_ms[k] for s in every) / len(every) for k in SPLIT},
        "split_share": {k: sum(s.split_ms[k] for s in every) / total for k in SPLIT},
        "samples": [{"command": kind, **s.as_json()} for kind, s in samples],
    }


def label(result: dict[str, Any]) -> str:
    return f"{result['backend']}, cache {'on' if result['cache'] else 'off'}"


def report(results: list[dict[str, Any]]) -> list[str]:
    return [
        print_table(
            f"throughput: {results[0]['cases']} cases of `{PROCESS}` (5 commands each: start + 4 completions)",
            ["variant", "cases/s", "commands/s", "ms/cmd med", "ms/cmd p90", "cpu ms/cmd med", "start med", "start p90",
             "complete med", "complete p90", "stmts/cmd", "state bytes/cmd", "rows/cmd"],
            [
                [
                    label(r), fmt(r["cases_per_s"], 1), fmt(r["commands_per_s"], 1), fmt(r["ms_median"]),
                    fmt(r["ms_p90"]), fmt(r["cpu_ms_median"]), fmt(r["start_ms_median"]), fmt(r["start_ms_p90"]),
                    fmt(r["complete_ms_median"]), fmt(r["complete_ms_p90"]), fmt(r["statements_median"]),
                    fmt(r["bytes_median"]), fmt(r["rows_median"]),
                ]
                for r in results
            ],
        ),
        print_table(
            "throughput: where the time goes (mean ms per command; spiff/sql/commit shares of the total)",
            ["variant", *SPLIT, "spiff %", "sql+commit %"],
            [
                [
                    label(r), *(fmt(r["split_mean_ms"][k]) for k in SPLIT), f"{r['split_share']['spiff']:.0%}",
                    f"{sum(r['split_share'][k] for k in ('sql_state', 'sql_other', 'commit')):.0%}",
                ]
                for r in results
            ],
        ),
    ]


def main() -> int:
    args = parse_args(
        __doc__.split("\n\n", 1)[0] if __doc__ else "",
        extra=lambda p: p.add_argument("--cases", type=int, help="cases per variant (default 200; 20 with --quick)"),
    )
    cases = args.cases or (20 if args.quick else 200)
    probe = Probe(enabled=not args.no_probe)
    probe.install()
    results: list[dict[str, Any]] = []
    with databases() as dbs:
        for backend in selected_backends(args.db):
            for cache in (True, False):
                print(f"== {backend}, case cache {'on' if cache else 'off'}: {cases} cases", flush=True)
                results.append(run_variant(dbs, backend, cache, cases, probe))
                print(f"   {results[-1]['cases_per_s']:.1f} cases/s", flush=True)
        env = environment(dbs)
    tables = report(results)
    print_environment(env)
    if not args.no_json:
        write_json(
            "case_throughput",
            {"benchmark": "case_throughput", "quick": args.quick, "cases": cases, "warm_up": WARM_UP,
             "model": MODEL.name, "environment": env, "results": results, "tables": tables},
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
