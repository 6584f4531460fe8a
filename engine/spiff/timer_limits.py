"""Bounds on repeating timers, so one model cannot flood a case with work.

A cycle ``R100000/PT0S`` would start 100,000 paths at once. Refused: a period under
:data:`MIN_PERIOD_SECONDS`, more than :data:`MAX_REPETITIONS` repetitions, and an unbounded ``R/...``
with a period under :data:`MIN_UNBOUNDED_PERIOD_SECONDS`. Literal cycles are checked at deploy
(:func:`cycle_problem` from the lint); computed ones when their timer starts, where SpiffWorkflow
evaluates them: this module wraps ``CycleTimerEventDefinition.cycle_complete`` once, so a cycle out of
bounds fails its timer task, which becomes an incident before any path is started.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition

MIN_PERIOD_SECONDS = 1.0
MAX_REPETITIONS = 1000
MIN_UNBOUNDED_PERIOD_SECONDS = 60.0


def bounds_problem(cycles: int, period_seconds: float) -> str | None:
    """Why a cycle of ``cycles`` repetitions (-1: unbounded) every ``period_seconds`` is refused."""
    if period_seconds < MIN_PERIOD_SECONDS:
        return f"its period ({period_seconds:g} s) is under {MIN_PERIOD_SECONDS:g} s"
    if cycles > MAX_REPETITIONS:
        return f"it repeats {cycles} times, more than {MAX_REPETITIONS}"
    if cycles < 0 and period_seconds < MIN_UNBOUNDED_PERIOD_SECONDS:
        return (f"it repeats without end (R/...) every {period_seconds:g} s; an unbounded cycle needs a "
                f"period of at least {MIN_UNBOUNDED_PERIOD_SECONDS:g} s")
    return None


def cycle_problem(value: str) -> str | None:
    """Why the ISO 8601 repeating interval ``value`` is out of bounds (None if within; parse errors are
    left to the caller, which reports them as such)."""
    try:
        cycles, _start, duration = TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:  # SpiffWorkflow raises bare Exception, ValueError...: not ours to report
        return None
    return bounds_problem(cycles, duration.total_seconds())


_original_cycle_complete = CycleTimerEventDefinition.cycle_complete


def _checked_cycle_complete(self: Any, my_task: Any) -> bool:
    if my_task._get_internal_data("event_value") is None:  # first time: evaluate, check, remember
        expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(expression)
        reason = bounds_problem(cycles, duration.total_seconds())
        if reason is not None:
            raise WorkflowTaskException(f"timer cycle {expression!r} is refused: {reason}", task=my_task)
        my_task._set_internal_data(
            event_value={"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        )
    ready: bool = _original_cycle_complete(self, my_task)
    return ready


if CycleTimerEventDefinition.cycle_complete is _original_cycle_complete:
    CycleTimerEventDefinition.cycle_complete = _checked_cycle_complete
