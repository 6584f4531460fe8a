"""The expression budget of one command, shared by every expression the command runs.

Each expression has its own time limit, but a command may run many (a DMN table, a loop of script
tasks, a chain of gateways) while holding the database's write lock. ``command_budget`` sets one
deadline for all of them; every expression's budget ends at the earlier of its own limit and this.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar

_deadline: ContextVar[tuple[float, float] | None] = ContextVar("wutong_command_deadline", default=None)


@contextlib.contextmanager
def command_budget(seconds: float) -> Iterator[None]:
    """Expressions run inside share ``seconds`` of wall time; a nested command keeps the outer deadline."""
    outer = _deadline.get()
    mine = (time.monotonic() + seconds, seconds)
    token = _deadline.set(mine if outer is None or mine[0] < outer[0] else outer)
    try:
        yield
    finally:
        _deadline.reset(token)


def command_deadline() -> tuple[float, float] | None:
    """The running command's (monotonic deadline, budget seconds), or None outside a command."""
    return _deadline.get()
