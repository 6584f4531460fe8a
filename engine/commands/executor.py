"""The command executor and its interceptor chain.

Every state change runs as ``executor.execute(command)`` through, outermost first:

- :class:`MetricsInterceptor`: times each command and tells its observers the kind and outcome;
- :class:`TransactionInterceptor`: the engine's clock, the one database transaction (the only commit
  point), the expression budget and the unit of work (``CommandContext``); live cases go back to the cache
  only after the commit. A command on cases and tasks (``Command.optimistic``) runs on SQLite without
  the write lock until its engine step is over (or its first write), where the cases it read are
  checked unchanged; if one changed, the attempt is discarded and the command runs again against the
  new state (``StaleRead``), at most ``ATTEMPTS`` times in all, then ``409 stale_case``;
- :class:`TestHooksInterceptor`: instrumentation points for tests (a barrier after a case is loaded);
- :class:`HistoryInterceptor`: hands the events the command recorded to the one history writer
  (``engine.audit``) as the transaction's last writes;
- the invoker: ``command.execute`` (each engine step delivers the messages it threw, before the first
  write), the leftover deliveries and their events, saving every touched case, ``command.finish``.

Extra interceptors (a benchmark's probe, say) are added with :meth:`CommandExecutor.add`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.exc import DBAPIError

from engine.commands.base import Command
from engine.errors import Conflict
from engine.persistence.database import OpenTransaction, StaleRead
from engine.spiff.sandbox_command import command_budget
from engine.spiff.timekeeping import using_clock

if TYPE_CHECKING:
    from engine.command_context import CommandContext
    from engine.core import ProcessEngine

R = TypeVar("R")
log = logging.getLogger(__name__)

# PostgreSQL's "deadlock detected" and "could not serialize": the whole transaction was rolled back,
# so the command can run again from the start against the state the other transaction left
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
ATTEMPTS = 3


def retryable(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES

CommandObserver = Callable[[str, float, BaseException | None], None]
"""Told after every command: its kind (class name), seconds taken, and the error it raised (None when
it committed). The web layer registers one for /metrics."""


@dataclass
class CommandRun:
    """What one execution carries between interceptors: the command and, once the transaction is
    open, its unit of work."""

    command: Command[Any]
    work: CommandContext | None = None
    after_load: list[Callable[[str], None]] = field(default_factory=list)
    adopted: OpenTransaction | None = None  # a read transaction the first attempt continues (a request's)

    def require_work(self) -> CommandContext:
        assert self.work is not None, "the transaction interceptor opens the unit of work"
        return self.work


Proceed = Callable[[], Any]


class CommandInterceptor:
    """One link of the chain: do something around ``proceed()`` (which runs the rest of the chain)."""

    def intercept(self, run: CommandRun, proceed: Proceed) -> Any:
        return proceed()


class MetricsInterceptor(CommandInterceptor):
    """Times every command and tells the observers (kind, seconds, error)."""

    def __init__(self) -> None:
        self.observers: list[CommandObserver] = []

    def intercept(self, run: CommandRun, proceed: Proceed) -> Any:
        if not self.observers:
            return proceed()
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            return proceed()
        except BaseException as exc:
            error = exc
            raise
        finally:
            elapsed = time.perf_counter() - started
            for observer in self.observers:
                observer(run.command.kind, elapsed, error)


class TransactionInterceptor(CommandInterceptor):
    """The clock, one transaction committed once, the expression budget and the unit of work."""

    def __init__(self, engine: ProcessEngine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self.reruns = 0  # optimistic attempts discarded because a case changed (tests and benchmarks read it)

    def intercept(self, run: CommandRun, proceed: Proceed) -> Any:
        """Run the command in one transaction; when the database aborted it for a deadlock or a
        serialization failure (another command locked the same rows in the other order, e.g. the
        timer worker firing a case a completion is saving), or an optimistic attempt found a case it
        read changed (``StaleRead``), run it again, at most ``ATTEMPTS`` times, then answer a
        conflict: never a 500 for a race the caller can simply retry."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._once(run, proceed)
            except StaleRead as stale:
                with self._lock:
                    self.reruns += 1
                log.info("%s read a case that changed meanwhile (%s), attempt %d of %d",
                         run.command.kind, stale, attempt, ATTEMPTS)
                if attempt == ATTEMPTS:
                    raise Conflict("the case was changed by someone else at the same moment; try again",
                                   code="stale_case") from stale
            except DBAPIError as error:
                if not retryable(error):
                    raise
                log.info("%s aborted by the database (%s), attempt %d of %d",
                         run.command.kind, getattr(error.orig, "sqlstate", "?"), attempt, ATTEMPTS)
                if attempt == ATTEMPTS:
                    raise Conflict("the case was changed by someone else at the same moment; try again",
                                   code="stale_case") from error
                time.sleep(random.uniform(0.005, 0.05) * attempt)  # let the other transaction finish first
        raise AssertionError("unreachable")

    def _once(self, run: CommandRun, proceed: Proceed) -> Any:
        from engine.command_context import CommandContext

        engine = self._engine
        db = engine.db
        adopted, run.adopted = run.adopted, None  # only the first attempt continues it
        if run.command.optimistic:  # SQLite: no write lock while the engine step runs

            def check(query: Any) -> None:
                run.require_work().check_unchanged(query)

            transaction = db.optimistic_transaction(check, adopted)
        else:
            transaction = db.transaction(adopted=adopted)
        with using_clock(engine.clock):
            with transaction as connection, command_budget(engine.config.sandbox.max_command_seconds):
                run.work = CommandContext(engine, connection, run.command.actor, after_load=run.after_load)
                result = proceed()
            run.work.after_commit()
            return result


class TestHooksInterceptor(CommandInterceptor):
    """Instrumentation for tests: ``after_load(instance_id)`` runs once a command has loaded a case or
    read the task it will change (race tests hold two commands there). Off unless set."""

    def __init__(self) -> None:
        self.after_load: Callable[[str], None] | None = None

    def intercept(self, run: CommandRun, proceed: Proceed) -> Any:
        hook = self.after_load
        if hook is not None:
            run.after_load.append(hook)
        return proceed()


class HistoryInterceptor(CommandInterceptor):
    """Appends the command's recorded events through the one writer, last in the transaction."""

    def intercept(self, run: CommandRun, proceed: Proceed) -> Any:
        result = proceed()
        run.require_work().append_events()
        return result


class StateBytesProbe(CommandInterceptor):
    """Benchmarks' probe: the state-row bytes the calling thread's last command wrote."""

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def last(self) -> int:
        return int(getattr(self._local, "bytes", 0))

    def intercept(self, run: CommandRun, proceed: Proceed) -> Any:
        result = proceed()
        self._local.bytes = run.require_work().bytes_written
        return result


def invoke(run: CommandRun) -> Any:
    """The innermost link: execute (delivering messages as its steps throw them), record the deliveries,
    save the touched cases, build the result."""
    work = run.require_work()
    value = run.command.execute(work)
    work.deliver_messages()
    work.save_all()
    return run.command.finish(work, value)


class CommandExecutor:
    """Runs commands through the interceptor chain; the only way the engine changes state."""

    def __init__(self, engine: ProcessEngine) -> None:
        self.metrics = MetricsInterceptor()
        self.test_hooks = TestHooksInterceptor()
        self.transactions = TransactionInterceptor(engine)
        self._outer: list[CommandInterceptor] = [self.metrics, self.test_hooks, self.transactions]
        self._inner: list[CommandInterceptor] = [HistoryInterceptor()]

    def add(self, interceptor: CommandInterceptor) -> None:
        """Add an interceptor inside the transaction, around the invoker (after the history writer)."""
        self._inner.append(interceptor)

    def execute(self, command: Command[R], adopted: OpenTransaction | None = None) -> R:
        """Run ``command``; ``adopted``: a read transaction already open that it continues (see
        ``Database.transaction``), ended here if the command fails before it takes it over."""
        run = CommandRun(command, adopted=adopted)
        chain = [*self._outer, *self._inner]

        def step(index: int) -> Any:
            if index == len(chain):
                return invoke(run)
            return chain[index].intercept(run, lambda: step(index + 1))

        try:
            return step(0)  # type: ignore[no-any-return]
        finally:
            if run.adopted is not None:
                run.adopted[0].close()
