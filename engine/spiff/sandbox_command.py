"""The expression budget of one command, shared by every expression the command runs.

Each expression has its own time limit, but a command may run many (a DMN table, a loop of script
tasks, a chain of gateways) while holding the database's write lock. ``command_budget`` sets one
deadline for all of them; every expression's budget ends at the earlier of its own limit and this.
It also adds up the task data the command's scripts leave (``charge_stored``): each task keeps its
own copy, so a loop of scripts each within the per-script size limit could otherwise store many
times it in one command.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class _Command:
    deadline: float  # monotonic
    seconds: float  # the budget as configured, for messages
    stored: list[int]  # bytes of task data left by the command's scripts so far (shared with nested commands)


_command: ContextVar[_Command | None] = ContextVar("wutong_command_deadline", default=None)


@contextlib.contextmanager
def command_budget(seconds: float, *, reported: float | None = None) -> Iterator[None]:
    """Expressions run inside share ``seconds`` of wall time; a nested command keeps the outer deadline.

    ``reported`` is the budget named in messages when ``seconds`` is what is left of it (a worker
    process continuing the server's command).
    """
    outer = _command.get()
    mine = _Command(time.monotonic() + seconds, reported or seconds, outer.stored if outer else [0])
    token = _command.set(mine if outer is None or mine.deadline < outer.deadline else outer)
    try:
        yield
    finally:
        _command.reset(token)


def command_deadline() -> tuple[float, float] | None:
    """The running command's (monotonic deadline, budget seconds), or None outside a command."""
    command = _command.get()
    return None if command is None else (command.deadline, command.seconds)


def charge_stored(size: int, limit: int) -> int | None:
    """Add ``size`` bytes of task data to the running command's total; returns the new total when it
    passes ``limit`` (the caller refuses the script), else None. Outside a command nothing is counted."""
    command = _command.get()
    if command is None:
        return None
    command.stored[0] += size
    return command.stored[0] if command.stored[0] > limit else None
