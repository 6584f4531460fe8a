"""OS-enforced limits on expressions (issue 8 items 3 and 4), through the real engine and real worker processes.

The attacks here are C-level work the in-process counters cannot see: ``map`` calls a builtin from
C, so neither the call guard nor the step counter runs. Unlimited, the memory attack allocates
tens of gigabytes and the CPU attack runs for hours; in a worker they are stopped by RLIMIT_AS and by
the wall-clock kill (RLIMIT_CPU behind it), the case gets an incident, other cases keep running and
the pool replaces the worker. Test limits: 0.5 s per expression, 1 s per command, 256 MB per worker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date

import pytest

from engine import EngineConfig, FrozenClock, ProcessEngine
from engine.spiff.sandbox import SandboxLimits
from engine.spiff.sandbox_compile import needs_worker
from engine.spiff.sandbox_pool import shared_pool
from tests.engine.conftest import Org
from tests.engine.test_expression_limits import incident_message, open_case, run_attack
from tests.engine.test_instruction_templates import open_task

LIMITS = SandboxLimits(max_seconds=0.5, max_command_seconds=1.0, max_memory_mb=256, workers=2)
MEMORY_BOMB = "blocks = list(map(list, [range(10**6)] * 1000))"  # 1,000 lists of a million ints: ~36 GB
CPU_BOMB = "total = sum(map(sum, [range(10**6)] * 10**6))"  # 10**12 additions in C: hours


@pytest.fixture
def engine(database_url: str, clock: FrozenClock) -> Iterator[ProcessEngine]:
    process_engine = ProcessEngine(EngineConfig(database_url=database_url, sandbox=LIMITS), clock=clock)
    process_engine.upgrade_schema()
    yield process_engine
    process_engine.close()


def pool_recovers(engine: ProcessEngine, org: Org) -> None:
    """Both workers serve again: two cases whose scripts need a worker run to their next task."""
    pool = shared_pool(LIMITS.workers, LIMITS.max_memory_mb)
    deadline = time.monotonic() + 30
    while pool.idle_workers() < LIMITS.workers and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.idle_workers() == LIMITS.workers
    for _ in range(LIMITS.workers):
        _, task = open_case(engine, org, "squares = [i * i for i in range(5)]")
        result = engine.tasks.complete(org["staff_D1"], task, {})
        assert result.case_state == "running"


def test_an_allocation_past_the_memory_limit_gives_an_incident(engine: ProcessEngine, org: Org) -> None:
    case, elapsed = run_attack(engine, org, MEMORY_BOMB)
    assert elapsed < LIMITS.max_command_seconds + 2.0
    message = incident_message(engine, org, case)
    assert "memory limit exceeded" in message or "stopped by the operating system" in message
    assert "blocks" not in engine.runtime.get(org["admin"], case).variables
    pool_recovers(engine, org)


def test_a_c_level_loop_is_stopped_at_the_wall_clock_limit(engine: ProcessEngine, org: Org) -> None:
    case, elapsed = run_attack(engine, org, CPU_BOMB)
    assert elapsed < LIMITS.max_seconds + 2.0  # the grace before the kill, then storing the incident
    assert "worker process was stopped" in incident_message(engine, org, case)
    pool_recovers(engine, org)


def test_other_cases_keep_running_while_a_worker_is_killed(engine: ProcessEngine, org: Org) -> None:
    attack_case, attack_task = open_case(engine, org, CPU_BOMB)
    quiet = [open_case(engine, org, f"value = max([{n}, 1, 2])")[1] for n in range(3)]
    states: list[str] = []

    def attack() -> None:
        engine.tasks.complete(org["staff_D1"], attack_task, {})

    thread = threading.Thread(target=attack)
    thread.start()
    time.sleep(0.1)  # the attack holds one worker (and the write transaction on SQLite)
    for task in quiet:
        states.append(engine.tasks.complete(org["staff_D1"], task, {}).case_state)
    thread.join(timeout=30)
    assert states == ["running"] * 3
    assert "worker process was stopped" in incident_message(engine, org, attack_case)


def test_a_template_with_a_c_level_loop_renders_the_fallback_on_time(engine: ProcessEngine, org: Org) -> None:
    # the map filter calls the sum builtin from C: a million sums of 100,000 numbers (about 10 minutes), unticked
    task = open_task(engine, org, "{{ ([range(100000)] * 10**6) | map('sum') | sum }}")
    started = time.monotonic()
    view = engine.tasks.get(org["staff_D1"], task)
    assert time.monotonic() - started < LIMITS.max_seconds + 1.5
    assert view.instructions is not None and "(instructions could not be rendered:" in view.instructions
    assert "worker process was stopped" in view.instructions
    assert engine.tasks.complete(org["staff_D1"], task, {}).case_state == "running"


def test_helpers_in_a_worker_see_the_command_time_and_the_calendar_overrides(
    engine: ProcessEngine, org: Org, clock: FrozenClock
) -> None:
    # 2026-03-02 is a Monday; declaring Tuesday closed moves the next working day to Wednesday
    engine.calendars.set_day(org["admin"], date(2026, 3, 3), working=False, note="park closed")
    script = (
        "today = datetime.now().date()\nnext_day = add_working_days(today, 1).isoformat()\n"
        "now = today.isoformat()\ndel today"
    )
    case, task = open_case(engine, org, script)
    engine.tasks.complete(org["staff_D1"], task, {})
    variables = engine.runtime.get(org["admin"], case).variables
    assert variables["now"] == clock.now().date().isoformat() == "2026-03-02"
    assert variables["next_day"] == "2026-03-04"


def test_the_task_data_of_one_command_is_limited_in_total(database_url: str, clock: FrozenClock, org: Org) -> None:
    # each round leaves 1 MB of task data, within the per-script limit; ten rounds would store 10 MB
    limits = SandboxLimits(max_seconds=2.0, max_command_stored_bytes=3 * 1024 * 1024)
    engine = ProcessEngine(EngineConfig(database_url=database_url, sandbox=limits), clock=clock)
    try:
        script = "n = n + 1\nblob = 'x' * 10**6"
        case, _ = run_attack(engine, org, script, {"n": 0}, again="n < 10")
        message = incident_message(engine, org, case)
        assert "command stored size exceeded" in message
        assert "more than the limit of 3,145,728" in message
    finally:
        engine.close()


def test_isolation_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WUTONG_SANDBOX_ISOLATION", "inline")
    monkeypatch.setenv("WUTONG_SANDBOX_MAX_MEMORY_MB", "300")
    monkeypatch.setenv("WUTONG_SANDBOX_WORKERS", "3")
    monkeypatch.setenv("WUTONG_SANDBOX_MAX_COMMAND_STORED_BYTES", "1000")
    sandbox = EngineConfig.from_env().sandbox
    assert (sandbox.isolation, sandbox.max_memory_mb, sandbox.workers) == ("inline", 300, 3)
    assert sandbox.max_command_stored_bytes == 1000


def test_an_unknown_isolation_is_refused_at_start(database_url: str, clock: FrozenClock) -> None:
    with pytest.raises(ValueError, match="isolation must be 'process' or 'inline'"):
        ProcessEngine(EngineConfig(database_url=database_url, sandbox=SandboxLimits(isolation="thread")), clock=clock)


@pytest.mark.parametrize(
    ("mode", "source", "in_worker"),
    [
        ("eval", "amount > 100", False),
        ("eval", "len(items) > 3 and category in ('loan', 'grant')", False),
        ("eval", "amount * 1.1 > limit", False),
        ("exec", "total = sum(items) * 2", False),
        ("exec", "", False),
        ("eval", "sum(map(sum, rows))", True),  # a builtin called from C
        ("eval", "max(items, key=len)", True),  # a callback
        ("eval", "items.count(1)", True),  # a method
        ("eval", "[items] * 10**6 == other", True),  # a million deep comparisons in one C call
        ("eval", "'%s' % ([[items] * 100] * 100,)", True),  # repetitions multiply
        ("eval", "price * quantity > 1000", True),  # either may be a sequence
        ("eval", "[i for i in items]", True),
        ("exec", "a = [items]\na = a + a", True),  # a variable reused doubles what it holds
    ],
)
def test_only_plain_expressions_stay_in_process(mode: str, source: str, in_worker: bool) -> None:
    assert needs_worker(source, mode) is in_worker  # type: ignore[arg-type]
