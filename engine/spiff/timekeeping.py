"""Make SpiffWorkflow read time from the engine's clock.

SpiffWorkflow calls ``datetime.now`` in its timer module and ``time.time`` in its task module.
Both module globals are replaced once by shims that read a context variable, so each command
(in any thread) sees the clock of the engine that runs it, and tests can move time.
"""

from __future__ import annotations

import contextlib
import time as _time
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime, tzinfo
from types import SimpleNamespace

from SpiffWorkflow import task as _spiff_task
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

from engine.clock import Clock

_current_clock: ContextVar[Clock | None] = ContextVar("wutong_clock", default=None)


class ClockDatetime(datetime):
    """``datetime`` whose ``now`` follows the active engine clock."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        clock = _current_clock.get()
        if clock is None:
            return datetime.now(tz)
        moment = clock.now()
        return moment.astimezone(tz) if tz is not None else moment


def _clock_time() -> float:
    clock = _current_clock.get()
    return clock.now().timestamp() if clock is not None else _time.time()


_spiff_timer.datetime = ClockDatetime
_spiff_task.time = SimpleNamespace(time=_clock_time)


@contextlib.contextmanager
def using_clock(clock: Clock) -> Iterator[None]:
    """Run the enclosed SpiffWorkflow calls against ``clock``."""
    token = _current_clock.set(clock)
    try:
        yield
    finally:
        _current_clock.reset(token)
