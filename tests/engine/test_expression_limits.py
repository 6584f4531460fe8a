"""Red-team regressions for expression limits (issue 8, items 3 and 4), through the real engine.

Each attack is a script task deployed as a designer and reached by completing a user task; each must
end as an incident within the test limits (0.5 s per expression, 1 s per command) with nothing
oversized stored. Inputs are scaled so an engine without the limit runs ten times longer or stores
hundreds of megabytes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from bench.common import script_loop_process
from engine import EngineConfig, FrozenClock, ProcessEngine
from engine.spiff.sandbox import SandboxLimits
from tests.engine.conftest import Org

LIMITS = SandboxLimits(max_seconds=0.5, max_command_seconds=1.0)


@pytest.fixture
def engine(database_url: str, clock: FrozenClock) -> Iterator[ProcessEngine]:
    process_engine = ProcessEngine(EngineConfig(database_url=database_url, sandbox=LIMITS), clock=clock)
    process_engine.upgrade_schema()
    yield process_engine
    process_engine.close()


def attack_process(key: str, script: str, again: str | None = None) -> bytes:
    """start -> user task ``prepare`` -> script ``work`` (repeated while ``again``) -> user task ``after``."""
    return script_loop_process(key, script, again, namespace="test")


def open_case(engine: ProcessEngine, org: Org, script: str, again: str | None = None) -> tuple[str, str]:
    """Deploy the attack and start a case; returns (case id, id of its ``prepare`` task)."""
    key = f"attack_{abs(hash((script, again))) % 10**8}"
    engine.repository.deploy(org["designer"], {f"{key}.bpmn": attack_process(key, script, again)})
    case = engine.runtime.start(org["staff_D1"], key)
    return case.id, case.open_tasks[0].id


def run_attack(
    engine: ProcessEngine, org: Org, script: str, data: dict[str, object] | None = None, again: str | None = None
) -> tuple[str, float]:
    """Complete ``prepare`` so the script runs; returns (case id, seconds the completion took)."""
    case, task = open_case(engine, org, script, again)
    started = time.monotonic()
    result = engine.tasks.complete(org["staff_D1"], task, data or {})
    elapsed = time.monotonic() - started
    assert result.case_state == "error"
    return case, elapsed


def incident_message(engine: ProcessEngine, org: Org, case: str) -> str:
    incidents = engine.runtime.get(org["admin"], case).incidents
    assert [i.code for i in incidents] == ["script_failed"]
    return incidents[0].message


# one round of a looping script: about 20 ms of conversions, nothing big left in the task data
ROUND = "n = n + 1\nbig = list(range(50000))\nsize = len(str(big)) + len(str(big))\ndel big"


# -- time ------------------------------------------------------------------------------------------


def test_modular_pow_of_huge_numbers_is_refused_before_it_runs(engine: ProcessEngine, org: Org) -> None:
    case, elapsed = run_attack(engine, org, "x = pow(7, 10**6000, 10**6000 + 7)")  # 16 s unbounded
    assert elapsed < 0.5
    assert "pow() with a modulus of" in incident_message(engine, org, case)


def test_add_working_days_with_a_huge_count_is_refused(engine: ProcessEngine, org: Org) -> None:
    case, elapsed = run_attack(engine, org, "due = add_working_days(date(2026, 3, 2), 10**9)")  # 18 s unbounded
    assert elapsed < 0.5
    assert "add_working_days counts at most 3,653 days" in incident_message(engine, org, case)


def test_a_loop_of_costly_builtin_calls_stops_at_the_time_limit(engine: ProcessEngine, org: Org) -> None:
    # 550 calls of ~15 ms each in C: 8 s when the clock is read only every 1,000 steps
    script = (
        "def spin():\n    big = list(range(10**6))\n    for i in range(550):\n        top = max(big)\n    return top\n"
        "result = spin()"
    )
    case, elapsed = run_attack(engine, org, script)
    assert elapsed < LIMITS.max_seconds + 1.0  # plus storing the incident
    assert "time budget exceeded" in incident_message(engine, org, case)


def test_converting_a_huge_list_to_text_is_refused_before_it_is_built(engine: ProcessEngine, org: Org) -> None:
    case, elapsed = run_attack(engine, org, "big = [10**1000] * 10**6\ntext = str(big)")
    assert elapsed < 3.0  # the text would be 1 GB; measuring the list takes a moment on a busy machine
    assert "str() of a container would produce" in incident_message(engine, org, case)


def test_the_expressions_of_one_command_share_the_command_budget(engine: ProcessEngine, org: Org) -> None:
    # each round stays under the 0.5 s expression limit; 600 rounds would take about 12 s
    script = ROUND
    case, elapsed = run_attack(engine, org, script, {"n": 0}, again="n < 600")
    assert elapsed < LIMITS.max_command_seconds + 1.0  # plus the last round and storing the incident
    assert "command time budget exceeded" in incident_message(engine, org, case)


def test_an_unrelated_completion_waits_at_most_the_command_budget(engine: ProcessEngine, org: Org) -> None:
    script = ROUND
    runaway_case, runaway_task = open_case(engine, org, script, again="n < 600")
    _, quiet_task = open_case(engine, org, "done = True")
    started = threading.Event()

    def runaway() -> None:
        started.set()
        engine.tasks.complete(org["staff_D1"], runaway_task, {"n": 0})

    thread = threading.Thread(target=runaway)
    thread.start()
    started.wait()
    time.sleep(0.1)  # the runaway holds the write transaction now
    began = time.monotonic()
    result = engine.tasks.complete(org["staff_D1"], quiet_task, {})
    waited = time.monotonic() - began
    thread.join(timeout=30)
    assert result.case_state == "running"
    assert waited <= LIMITS.max_command_seconds + 1
    assert "command time budget exceeded" in incident_message(engine, org, runaway_case)


# -- memory and stored size ------------------------------------------------------------------------


def test_copying_a_big_list_many_times_is_refused(engine: ProcessEngine, org: Org) -> None:
    # 200 copies of a million items: 1.6 GB unbounded (inside a function: nothing of it is task data)
    script = (
        "def hoard():\n    l = [0] * 10**6\n    kept = []\n    for i in range(200):\n        kept.append(l[:])\n"
        "    return len(kept)\ncount = hoard()"
    )
    case, _ = run_attack(engine, org, script)
    assert "memory budget exceeded" in incident_message(engine, org, case)


def test_a_list_aliased_into_itself_is_refused_before_it_is_stored(engine: ProcessEngine, org: Org) -> None:
    case, _ = run_attack(engine, org, "d = []\nfor i in range(22):\n    d = [d, d]")
    message = incident_message(engine, org, case)
    assert "variable 'd' would store more than" in message
    started = time.monotonic()
    view = engine.runtime.get(org["admin"], case)
    assert time.monotonic() - started < 0.5
    assert "d" not in view.variables


def test_a_million_references_to_a_megabyte_string_are_refused(engine: ProcessEngine, org: Org) -> None:
    case, _ = run_attack(engine, org, 'keep = 1\nr = ["a" * 10**6] * 10**6')
    assert "variable 'r' would store more than" in incident_message(engine, org, case)
    variables = engine.runtime.get(org["admin"], case).variables
    assert "r" not in variables and variables["keep"] == 1
