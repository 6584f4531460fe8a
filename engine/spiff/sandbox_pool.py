"""A small pool of pre-started worker processes that run expressions under OS limits.

Each worker is a ``multiprocessing`` process started through a ``forkserver`` (no fork of a threaded
server) that caps its own memory and then serves jobs over a pipe (``sandbox_worker.serve``): one
pipe round trip per job, without ``ProcessPoolExecutor``'s feeder and manager threads (which tripled
the cost of a round trip). Idle workers wait in a queue; a caller takes one, runs one job and puts
it back. A worker that overruns its wall time is killed
(``SIGKILL``), one the OS killed (``RLIMIT_CPU``) or that ran out of memory is dropped; either way
only that job fails, with a :class:`SandboxViolation`, and a replacement starts in the background
while the other workers keep serving. One pool per server process and settings (``shared_pool``).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.forkserver
import multiprocessing.process
import os
import pickle
import queue
import threading
import time
from dataclasses import replace
from typing import Any

from engine.spiff.sandbox_budget import SandboxViolation
from engine.spiff.sandbox_worker import Job, Reply, serve

log = logging.getLogger(__name__)

GRACE_SECONDS = 0.5  # beyond an expression's own deadline before its worker is killed
START_SECONDS = 60.0  # a worker that is not up by then is given up on (and retried)
_CONTEXT = multiprocessing.get_context("forkserver")
# the fork server imports the sandbox once; each worker forked from it starts warm (a replacement
# after a kill takes tens of milliseconds instead of seconds of imports)
_CONTEXT.set_forkserver_preload(["engine.spiff.sandbox_preload"])


class NotPortable(Exception):
    """The job's data cannot be pickled for a worker (the caller runs it in-process instead)."""


class _Worker:
    """One pre-started worker process and our end of its pipe."""

    def __init__(self, memory_bytes: int) -> None:
        ours, theirs = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(
            target=serve, args=(theirs, memory_bytes), name="wutong-sandbox-worker", daemon=True
        )
        self.process.start()
        theirs.close()
        self.connection = ours
        if not ours.poll(START_SECONDS) or ours.recv_bytes() != b"ready":
            self.kill()
            raise RuntimeError("the sandbox worker did not start")
        self.pid = self.process.pid

    def call(self, payload: bytes, seconds: float) -> bytes | None:
        """Send a job and wait ``seconds`` for the reply; None when it did not come in time."""
        self.connection.send_bytes(payload)
        if not self.connection.poll(seconds):
            return None
        return self.connection.recv_bytes()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class SandboxPool:
    """``workers`` pre-started processes, each limited to ``memory_mb`` of address space."""

    def __init__(self, workers: int, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        self._memory_bytes = memory_mb * 1024 * 1024
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._closed = False
        self.restarts = 0
        starters = [threading.Thread(target=self._start_one, daemon=True) for _ in range(max(workers, 1))]
        for thread in starters:
            thread.start()
        for thread in starters:
            thread.join()
        if self._idle.empty():
            raise RuntimeError("no sandbox worker process could be started")

    def _start_one(self) -> None:
        for attempt in range(3):
            try:
                self._idle.put(_Worker(self._memory_bytes))
                return
            except Exception:
                log.exception("sandbox worker failed to start (attempt %d)", attempt + 1)
                time.sleep(1.0)

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and start its replacement in the background."""
        worker.kill()
        self.restarts += 1
        if not self._closed:
            threading.Thread(target=self._start_one, name="sandbox-worker-start", daemon=True).start()

    def run(self, job: Job, wait_seconds: float) -> Reply:
        """Run ``job`` in a free worker; wait at most ``wait_seconds`` for one to be free (the job's own
        time starts when it has one).

        Raises NotPortable when the job cannot be pickled, SandboxViolation when no worker is free in
        time, when the job overran its wall time (its worker is killed) or when the OS stopped the worker.
        """
        waited_from = time.monotonic()
        try:
            worker = self._idle.get(timeout=max(wait_seconds, 0.001))
        except queue.Empty:
            raise SandboxViolation(
                f"no expression worker process became free within {wait_seconds:.1f} s (server busy)"
            ) from None
        waited = time.monotonic() - waited_from
        job = replace(job, seconds=max(min(job.seconds, wait_seconds - waited), 0.0))
        try:
            payload = pickle.dumps(job, pickle.HIGHEST_PROTOCOL)  # here, so an unpicklable value fails here
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
            self._idle.put(worker)
            raise NotPortable(str(exc)) from exc
        limit = job.seconds + GRACE_SECONDS
        try:
            answer = worker.call(payload, limit)
        except (EOFError, OSError) as exc:  # the pipe broke: the OS killed the worker (RLIMIT_CPU, out of memory)
            self._replace(worker)
            log.warning("sandbox worker %s stopped: %r", worker.pid, exc)
            raise SandboxViolation(
                "the expression was stopped by the operating system: it used more than its CPU time"
                f" ({job.limits.max_seconds:g} s) or memory ({self.memory_mb:,} MB)"
            ) from None
        if answer is None:
            self._replace(worker)
            raise SandboxViolation(
                f"time budget exceeded: the expression ran longer than {job.seconds:.1f} s and its worker"
                " process was stopped"
            ) from None
        reply: Reply = pickle.loads(answer)
        if reply.retire:
            self._replace(worker)
        else:
            self._idle.put(worker)
        return reply

    def idle_workers(self) -> int:
        """Workers ready for a job now (not busy, not being replaced)."""
        return self._idle.qsize()

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            worker.kill()


_pools: dict[tuple[int, int, int], SandboxPool | None] = {}
_pools_lock = threading.Lock()


def _after_fork_in_child() -> None:
    """A forked server process (a gunicorn worker) starts its own fork server and pool: the parent's
    belong to the parent, and its worker processes are not this process's children.

    ``multiprocessing`` keeps one fork server per interpreter and, after a fork, still believes the
    parent's is its own: starting a worker then fails with ``ECHILD`` (``waitpid`` on a process that
    is not our child) and every expression would run inline, without the OS limits. So the child
    forgets it (closing its copy of the liveness pipe, so the parent's server still ends with the
    parent); the next worker start launches this process's own fork server.
    """
    global _pools_lock
    _pools_lock = threading.Lock()
    _pools.clear()
    multiprocessing.process._children.clear()  # type: ignore[attr-defined]
    server: Any = multiprocessing.forkserver._forkserver
    if server._forkserver_alive_fd is not None:
        with contextlib.suppress(OSError):
            os.close(server._forkserver_alive_fd)
    server._forkserver_alive_fd = None
    server._forkserver_address = None
    server._forkserver_pid = None
    server._lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def shared_pool(workers: int, memory_mb: int) -> SandboxPool | None:
    """The pool of this server process for these settings, started on first use (after any fork);
    None when no worker could be started here (logged once; expressions then run inline)."""
    key = (os.getpid(), workers, memory_mb)
    with _pools_lock:
        if key in _pools:
            return _pools[key]
        try:
            pool: SandboxPool | None = SandboxPool(workers, memory_mb)
        except RuntimeError:
            log.error("no sandbox worker process could be started: expressions run inline in process %d", key[0])
            pool = None
        _pools[key] = pool
        return pool
