"""Bytes and time per completion of a standard-loop user task as its history grows.

One case of ``bench/models/standard_loop_bench.bpmn`` (the corpus ``standard_loop`` process with
``loopMaximum`` raised so that every pass is an ordinary pass) is driven through the task service:
``collect`` is completed with ``done=False`` N times (1,000; 100 with ``--quick``), on SQLite (a
temporary file, default settings: WAL, synchronous=FULL) and on a throw-away PostgreSQL server.

Per completion it records the state-row bytes the command wrote (``bench.common.state_bytes``), the
state rows written, the SQL statements, the wall time, and the probe's split of that time (see
bench/common.py). Per window of passes (1-10, 91-100, 991-1000) it prints medians and p90s,
and the size a full-blob save (SpiffWorkflow's whole serialized workflow, ``state.full_document``)
would have written at the same passes. At each window's end it records the rows and bytes stored for
the case and the time to rebuild it from its rows (what a case-cache miss costs).

Issue 13's cost-growth table ("cost growth") has exactly the rows at 10, 100 and 1,000 prior
completions per database: the median time and state bytes per completion in the window ending
there, and the ratio of the time to that of the first window (passes 1-10, the median standing for
pass 1 since one sample is noise; issue 13's goal is a ratio of at most 3).

    .venv/bin/python bench/bench_loop_persistence.py [--quick] [--db sqlite|postgres|both] [--passes N]
"""

from __future__ import annotations

import statistics
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bench.common import (
    CATEGORIES,
    MODELS,
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
from engine import ProcessEngine
from engine.persistence.tables import case_state_rows, process_instances
from engine.spiff.cases import LiveCase
from engine.spiff.state import dumps

MODEL = MODELS / "standard_loop_bench.bpmn"
PROCESS = "standard_loop_bench"
WINDOW_ENDS = (10, 100, 1000)
WINDOW = 10
SPLIT = (*CATEGORIES, "other")


def windows_for(passes: int) -> list[tuple[int, int]]:
    ends = sorted({e for e in WINDOW_ENDS if e <= passes} | {passes})
    return [(max(1, end - WINDOW + 1), end) for end in ends]


def blob_sizes(engine: ProcessEngine, instance_id: str) -> tuple[int, int]:
    """What a full-blob save would write now: the whole serialized workflow, with and without the spec."""
    cached = engine.cases.peek(instance_id)
    assert cached is not None, "the case cache must be on"
    document = cached.live.document()
    with_spec = len(dumps(document))
    document.pop("spec", None)
    document.pop("subprocess_specs", None)
    return with_spec, len(dumps(document))


def checkpoint(engine: ProcessEngine, instance_id: str, passes: int) -> dict[str, Any]:
    """Rows and bytes stored for the case, the live tree's size, and the cost of a reload from rows."""
    cached = engine.cases.peek(instance_id)
    assert cached is not None
    tasks = len(cached.live.workflow.tasks)
    started = time.perf_counter()
    with engine.db.transaction(write=False) as connection:
        definition_id = connection.execute(
            select(process_instances.c.definition_id).where(process_instances.c.id == instance_id)
        ).scalar_one()
        specs, _ = engine.definition(connection, definition_id)
        rows = connection.execute(
            select(case_state_rows.c.row_key, case_state_rows.c.owner, case_state_rows.c.content)
            .where(case_state_rows.c.instance_id == instance_id)
            .order_by(case_state_rows.c.seq)
        ).all()
    LiveCase.restore(specs, ((r.row_key, r.owner, r.content) for r in rows), engine.script_engine)
    reload_ms = (time.perf_counter() - started) * 1000
    stored = engine.query(
        lambda c: c.execute(
            select(func.count(), func.sum(func.length(case_state_rows.c.content))).where(
                case_state_rows.c.instance_id == instance_id
            )
        ).one()
    )
    with_spec, without_spec = blob_sizes(engine, instance_id)
    return {
        "pass": passes,
        "tree_tasks": tasks,
        "state_rows": int(stored[0]),
        "state_bytes": int(stored[1] or 0),
        "blob_bytes": with_spec,
        "blob_bytes_no_spec": without_spec,
        "reload_ms": round(reload_ms, 3),
    }


def run_backend(dbs: Databases, backend: str, passes: int, probe: Probe) -> dict[str, Any]:
    engine = make_engine(dbs.fresh(backend))
    probe.attach(engine)
    try:
        org = setup_org(engine)
        engine.repository.deploy(org["designer"], {MODEL.name: MODEL.read_bytes()})
        actor = org["staff_D1"]  # the task has no lane: it belongs to the starter's department, D1
        view, start = timed_command(probe, engine, lambda: engine.runtime.start(actor, PROCESS))
        instance_id = view.id
        task_id = next(t.id for t in view.open_tasks if t.activity_id == "collect")
        windows = windows_for(passes)
        in_window = {n for first, last in windows for n in range(first, last + 1)}
        samples: list[Sample] = []
        blobs: dict[int, tuple[int, int]] = {}
        checkpoints: list[dict[str, Any]] = []
        for n in range(1, passes + 1):
            complete = partial(engine.tasks.complete, actor, task_id, {"done": False})
            result, sample = timed_command(probe, engine, complete)
            samples.append(sample)
            assert result.case_state == "running", result
            task_id = next(t.id for t in result.open_tasks if t.activity_id == "collect")
            if n in in_window:
                blobs[n] = blob_sizes(engine, instance_id)
            if any(n == last for _, last in windows):
                checkpoints.append(checkpoint(engine, instance_id, n))
            if n % 100 == 0:
                print(f"  {backend}: {n}/{passes} passes, last {sample.ms:.1f} ms", flush=True)
        return {
            "backend": backend,
            "passes": passes,
            "start": start.as_json(),
            "windows": [summarise(samples, blobs, first, last) for first, last in windows],
            "checkpoints": checkpoints,
            "growth": growth(samples),
            "samples": [s.as_json() for s in samples],
        }
    finally:
        engine.close()


def summarise(samples: list[Sample], blobs: dict[int, tuple[int, int]], first: int, last: int) -> dict[str, Any]:
    window = samples[first - 1 : last]
    ms = [s.ms for s in window]
    sizes = [float(s.bytes_written) for s in window]
    rows = [float(s.counts["rows_upserted"] + s.counts["rows_deleted"]) for s in window]
    total = sum(ms) or 1.0
    return {
        "passes": f"{first}-{last}",
        "bytes_median": median(sizes),
        "bytes_p90": percentile(sizes, 90),
        "rows_median": median(rows),
        "largest_row_median": median([float(s.counts["largest_row"]) for s in window]),
        "statements_median": median([float(s.counts["statements"]) for s in window]),
        "blob_median": median([float(blobs[n][0]) for n in range(first, last + 1)]),
        "blob_no_spec_median": median([float(blobs[n][1]) for n in range(first, last + 1)]),
        "ms_median": median(ms),
        "ms_p90": percentile(ms, 90),
        "cpu_ms_median": median([s.cpu_ms for s in window]),
        "split_median_ms": {k: median([s.split_ms[k] for s in window]) for k in SPLIT},
        "split_share": {k: sum(s.split_ms[k] for s in window) / total for k in SPLIT},
    }


def growth(samples: list[Sample]) -> dict[str, float]:
    """Least-squares slope per pass of history (microseconds per pass; bytes per pass)."""
    if len(samples) < 3:
        return {}
    x = [float(i) for i in range(1, len(samples) + 1)]

    def slope(values: list[float]) -> float:
        return statistics.linear_regression(x, values).slope

    return {
        "ms_us_per_pass": slope([s.ms for s in samples]) * 1000,
        "spiff_us_per_pass": slope([s.split_ms["spiff"] for s in samples]) * 1000,
        "reads_us_per_pass": slope([s.split_ms["reads"] for s in samples]) * 1000,
        "rows_us_per_pass": slope([s.split_ms["rows"] for s in samples]) * 1000,
        "bytes_per_pass": slope([float(s.bytes_written) for s in samples]),
    }


def report(result: dict[str, Any]) -> list[str]:
    backend = result["backend"]
    tables = [
        print_table(
            f"{backend}: per completion of `collect` (bytes = state-row bytes written; blob = a full-blob save)",
            ["passes", "bytes med", "bytes p90", "rows", "largest row", "stmts", "blob", "blob w/o spec", "ms med",
             "ms p90", "cpu ms med"],
            [
                [
                    w["passes"], fmt(w["bytes_median"]), fmt(w["bytes_p90"]), fmt(w["rows_median"]),
                    fmt(w["largest_row_median"]), fmt(w["statements_median"]), fmt(w["blob_median"]),
                    fmt(w["blob_no_spec_median"]), fmt(w["ms_median"]), fmt(w["ms_p90"]), fmt(w["cpu_ms_median"]),
                ]
                for w in result["windows"]
            ],
        ),
        print_table(
            f"{backend}: where the time goes (median ms per completion; share of the window's total time)",
            ["passes", *SPLIT, "spiff share"],
            [
                [w["passes"], *(fmt(w["split_median_ms"][k]) for k in SPLIT), f"{w['split_share']['spiff']:.0%}"]
                for w in result["windows"]
            ],
        ),
        print_table(
            f"{backend}: the case at the end of each window",
            ["after pass", "tasks in tree", "rows stored", "bytes stored", "full blob", "blob w/o spec",
             "reload ms (cache miss)"],
            [
                [c["pass"], c["tree_tasks"], c["state_rows"], fmt(c["state_bytes"]), fmt(c["blob_bytes"]),
                 fmt(c["blob_bytes_no_spec"]), fmt(c["reload_ms"])]
                for c in result["checkpoints"]
            ],
        ),
    ]
    g = result["growth"]
    if g:
        line = (
            f"{backend}: growth per pass of history (least squares over all passes): "
            f"{g['ms_us_per_pass']:.1f} us total, {g['spiff_us_per_pass']:.1f} us SpiffWorkflow, "
            f"{g['reads_us_per_pass']:.1f} us reads, {g['rows_us_per_pass']:.1f} us rows, "
            f"{g['bytes_per_pass']:.3f} bytes written"
        )
        print(line, flush=True)
        tables.append(line)
    return tables


def cost_growth(results: list[dict[str, Any]]) -> str:
    """Issue 13's table: time and bytes per completion at 10, 100 and 1,000 prior completions,
    and the time as a ratio to the first window's (pass 1)."""
    rows = []
    for result in results:
        first = result["windows"][0]["ms_median"]
        for w in result["windows"]:
            ratio = w["ms_median"] / first if first else float("nan")
            w["ms_ratio_to_pass_1"] = ratio
            rows.append([result["backend"], w["passes"].split("-")[1], w["passes"], fmt(w["ms_median"]),
                         fmt(w["ms_p90"]), fmt(w["bytes_median"]), f"{ratio:.2f}x"])
    return print_table(
        "cost growth: per completion at N prior completions (median of the window ending at N; "
        "ratio = time / time of passes 1-10; goal <= 3x at 1,000)",
        ["db", "N", "window", "ms med", "ms p90", "bytes med", "time vs pass 1"],
        rows,
    )


def main() -> int:
    args = parse_args(
        __doc__.split("\n\n", 1)[0] if __doc__ else "",
        extra=lambda p: p.add_argument("--passes", type=int, help="completions (default 1000; 100 with --quick)"),
    )
    passes = args.passes or (100 if args.quick else 1000)
    probe = Probe(enabled=not args.no_probe)
    probe.install()
    results: list[dict[str, Any]] = []
    tables: list[str] = []
    with databases() as dbs:
        for backend in selected_backends(args.db):
            print(f"== {backend}: {passes} completions of one standard-loop task", flush=True)
            results.append(run_backend(dbs, backend, passes, probe))
            tables += report(results[-1])
        env = environment(dbs)
    print_environment(env)
    tables.append(cost_growth(results))
    if len(results) > 1:
        rows = []
        for result in results:
            for w in result["windows"]:
                rows.append([result["backend"], w["passes"], fmt(w["bytes_median"]), fmt(w["blob_median"]),
                             fmt(w["ms_median"]), fmt(w["split_median_ms"]["spiff"])])
        tables.append(print_table("summary", ["db", "passes", "bytes med", "full blob", "ms med", "spiff ms"], rows))
    if not args.no_json:
        write_json(
            "loop_persistence",
            {"benchmark": "loop_persistence", "quick": args.quick, "passes": passes, "model": MODEL.name,
             "environment": env, "results": results, "tables": tables},
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
