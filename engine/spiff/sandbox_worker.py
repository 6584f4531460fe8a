"""What runs inside a sandbox worker process: its OS limits and one expression per job.

A worker is a pre-started process (see ``sandbox_pool``) serving jobs over a pipe (``serve``).
Its address space is capped with ``RLIMIT_AS`` once, at start, and its CPU time with ``RLIMIT_CPU``
before every job (the limit counts the process's whole life, so each job gets "what it used so far + its own
seconds"). Inside, the expression runs through the same in-process sandbox as inline mode, so the
counters still stop Python-level loops with a clear message; the OS limits catch what the counters
cannot see (a C-level loop, a huge allocation built by C code). Jobs and replies cross the pipe as
pickled bytes, pickled here and by the caller, so a value that cannot cross is a clear error.
"""

from __future__ import annotations

import contextlib
import math
import pickle
import resource
import traceback
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from multiprocessing.connection import Connection
from typing import Any, Literal

from engine.spiff.sandbox_budget import SandboxLimits, SandboxViolation
from engine.spiff.sandbox_command import command_budget

_SCRIPT_FILE = "<string>"


@dataclass(frozen=True)
class HelperSnapshot:
    """What the engine's helpers need from the server for one call: the command's time and the
    working-calendar overrides (the worker has no database)."""

    now: datetime
    overrides: dict[date, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Job:
    """One expression or script for a worker; ``seconds`` is the wall time it has left."""

    mode: Literal["eval", "exec", "template"]
    source: str
    context: dict[str, Any]
    external: dict[str, Any]
    limits: SandboxLimits
    seconds: float
    command_seconds: float | None  # the command's whole budget (for the message); None outside a command
    helpers: HelperSnapshot | None
    functions: dict[str, Any] | None = None  # helpers sent by reference (module-level functions) when no snapshot


@dataclass
class Reply:
    """The task data after the job, the expression's value, and what went wrong (if anything)."""

    context: dict[str, Any] | None
    value: Any = None
    stored_bytes: int = 0  # serialized size of the task data a script left
    error: BaseException | None = None
    retire: bool = False  # the worker ran out of memory: replace it rather than trust its heap


def initialize(memory_bytes: int) -> None:
    """Worker start: cap the address space, no core files, and import the sandbox while it is cheap."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    import engine.spiff.sandbox  # noqa: F401  (the first job should not pay for the import)


def _limit_cpu(seconds: float) -> None:
    """Let this job use ``seconds`` more CPU time (plus one for the limit's whole-second granularity)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    soft = math.ceil(used + seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))


def _script_line(error: BaseException) -> int | None:
    line: int | None = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == _SCRIPT_FILE:
            line = frame.lineno
    return line


def _helpers(snapshot: HelperSnapshot) -> dict[str, Any]:
    from engine.spiff.timekeeping import ClockDatetime
    from engine.working_calendar import WorkingCalendar

    overrides = dict(snapshot.overrides)
    return {**WorkingCalendar(lambda: overrides).sandbox_helpers(), "datetime": ClockDatetime}


class _FixedClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


_environments: dict[tuple[Any, ...], Any] = {}  # this worker's sandbox environments, by limits and helpers


def _environment(job: Job) -> Any:
    """An inline sandbox environment for the job's limits and helpers, kept for the next job alike."""
    from engine.spiff.sandbox import SandboxEnvironment

    overrides = tuple(sorted(job.helpers.overrides.items())) if job.helpers is not None else None
    functions = tuple(sorted((job.functions or {}).items(), key=lambda item: item[0]))
    key = (job.limits, job.helpers is not None, overrides, functions)
    environment = _environments.get(key)
    if environment is None:
        if len(_environments) > 32:
            _environments.clear()
        helpers = _helpers(job.helpers) if job.helpers is not None else job.functions
        environment = _environments[key] = SandboxEnvironment(replace(job.limits, isolation="inline"), helpers)
    return environment


def _run(job: Job) -> Reply:
    from engine.spiff.timekeeping import using_clock

    if job.command_seconds is None and job.seconds < job.limits.max_seconds - 0.05:
        # it waited for a free worker: the expression keeps only what is left of its time
        job = replace(job, limits=replace(job.limits, max_seconds=round(job.seconds, 2)))
    environment = _environment(job)
    context = job.context
    reply = Reply(context=context)
    try:
        with contextlib.ExitStack() as stack:
            if job.command_seconds:
                stack.enter_context(command_budget(job.seconds, reported=job.command_seconds))
            if job.helpers is not None:
                stack.enter_context(using_clock(_FixedClock(job.helpers.now)))
            if job.mode == "template":
                from engine.instructions import render_instructions

                reply.value = render_instructions(job.source, context, replace(job.limits, isolation="inline"))
                reply.context = None
            elif job.mode == "eval":
                reply.value, changed = environment.evaluate_in_place(job.source, context, job.external)
                if not changed:
                    reply.context = None
            else:
                reply.stored_bytes = environment.execute_in_place(job.source, context, job.external)
    except MemoryError:
        reply.error = SandboxViolation(
            f"memory limit exceeded: the expression needed more than {job.limits.max_memory_mb:,} MB"
        )
        reply.retire = True
    except Exception as exc:
        with contextlib.suppress(AttributeError):
            exc.line = getattr(exc, "line", None) or _script_line(exc)  # type: ignore[attr-defined]
        exc.__traceback__ = None
        reply.error = exc
    return reply


def _portable(reply: Reply) -> bytes:
    """The reply pickled; an error or value that cannot cross the pipe becomes a plain message."""
    try:
        return pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        violation = SandboxViolation("memory limit exceeded while passing the result back")
        return pickle.dumps(Reply(context=None, error=violation, retire=True))
    except Exception as exc:
        error = reply.error
        if error is not None:
            plain = RuntimeError(f"{type(error).__name__}: {error}")
            plain.line = getattr(error, "line", None)  # type: ignore[attr-defined]
            return pickle.dumps(Reply(context=reply.context, error=plain, stored_bytes=reply.stored_bytes))
        failed = SandboxViolation(f"the expression's result cannot be passed on: {exc}")
        return pickle.dumps(Reply(context=None, error=failed))


def serve(connection: Connection, memory_bytes: int) -> None:
    """A worker's life: apply the limits, say it is ready, then run one job per message until EOF."""
    initialize(memory_bytes)
    connection.send_bytes(b"ready")
    while True:
        try:
            payload = connection.recv_bytes()
        except (EOFError, OSError):
            return
        connection.send_bytes(run_job(payload))


def run_job(payload: bytes) -> bytes:
    """Run one pickled :class:`Job` under the CPU limit; returns a pickled :class:`Reply`."""
    job: Job = pickle.loads(payload)
    _limit_cpu(job.limits.max_seconds)
    try:
        reply = _run(job)
    except MemoryError:
        reply = Reply(context=None, error=SandboxViolation("memory limit exceeded"), retire=True)
    del job
    return _portable(reply)
