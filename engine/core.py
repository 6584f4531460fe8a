"""The ProcessEngine: owns the database, caches and script engine, and runs each command in one
unit of work. Services (repository, runtime, tasks, identity, history) hang off it by role."""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import Connection, select

from engine.audit import ChainHeads
from engine.clock import Clock, SystemClock
from engine.command_context import CachedCase, definition_row, load_specs
from engine.commands.base import Command
from engine.commands.executor import CommandExecutor
from engine.config import EngineConfig
from engine.deadlines import DueJudge, judge
from engine.definitions import DefinitionModel
from engine.persistence import migrate
from engine.persistence.database import Database
from engine.persistence.statistics import refresh_planner_statistics
from engine.persistence.tables import calendar_overrides
from engine.read_scope import ReadScope
from engine.spiff.sandbox import HelperSnapshot, create_script_engine
from engine.spiff.specs import SpecBundle
from engine.spiff.timekeeping import ClockDatetime
from engine.working_calendar import WorkingCalendar

T = TypeVar("T")
R = TypeVar("R")


class CaseCache:
    """Live workflows kept between commands, each valid only for the row_version it was saved at.

    A command takes a case out (so two threads never share a workflow) and puts it back after
    its transaction committed; a failed command simply never puts it back.
    """

    def __init__(self, capacity: int, enabled: bool) -> None:
        self.capacity = capacity
        self.enabled = enabled
        self._entries: OrderedDict[str, CachedCase] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: str, row_version: int) -> CachedCase | None:
        if not self.enabled:
            return None
        with self._lock:
            entry = self._entries.pop(instance_id, None)
        if entry is None or entry.row_version != row_version:
            return None
        return entry

    def put(self, instance_id: str, entry: CachedCase) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._entries[instance_id] = entry
            self._entries.move_to_end(instance_id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def peek(self, instance_id: str) -> CachedCase | None:
        """Look without taking (for the reload check); the entry must not be changed."""
        with self._lock:
            return self._entries.get(instance_id)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class ProcessEngine:
    """Entry point of the engine. Create one per process; it is safe to share between threads."""

    def __init__(self, config: EngineConfig | None = None, clock: Clock | None = None) -> None:
        from engine.services.calendar import CalendarService
        from engine.services.history import HistoryService
        from engine.services.identity import IdentityService
        from engine.services.notifications import NotificationService
        from engine.services.operations import OperationsService
        from engine.services.reports import ReportService
        from engine.services.repository import RepositoryService
        from engine.services.runtime import RuntimeService
        from engine.services.sessions import SessionService
        from engine.services.supervision import SupervisionService
        from engine.services.tasks import TaskService

        self.config = config or EngineConfig.from_env()
        self.clock: Clock = clock or SystemClock()
        self.db = Database(
            self.config.database_url,
            sqlite_synchronous=self.config.sqlite_synchronous,
            lock_wait_seconds=self.config.lock_wait_seconds,
        )
        self.policy = self.config.workday_policy()
        self.calendar = WorkingCalendar(self._load_calendar_overrides)
        # expressions read time from the engine's clock, like SpiffWorkflow's timers
        helpers = {**self.calendar.sandbox_helpers(), "datetime": ClockDatetime}
        self.script_engine = create_script_engine(self.config.sandbox, helpers, self._helper_snapshot)
        self.cases = CaseCache(self.config.max_cached_cases, self.config.cache_cases)
        self.chain_heads = ChainHeads()  # the audit chain heads this process committed last
        self.executor = CommandExecutor(self)
        self._definitions: dict[str, tuple[SpecBundle, DefinitionModel]] = {}
        self._definitions_lock = threading.Lock()
        self.repository = RepositoryService(self)
        self.runtime = RuntimeService(self)
        self.tasks = TaskService(self)
        self.identity = IdentityService(self)
        self.history = HistoryService(self)
        self.supervision = SupervisionService(self)
        self.notifications = NotificationService(self)
        self.calendars = CalendarService(self)
        self.sessions = SessionService(self)
        self.operations = OperationsService(self)
        self.reports = ReportService(self)

    def _helper_snapshot(self) -> HelperSnapshot:
        """What an expression's helpers need in a sandbox worker process: now, and the calendar overrides."""
        return HelperSnapshot(ClockDatetime.now(), dict(self.calendar.overrides()))

    def _load_calendar_overrides(self) -> dict[date, bool]:
        with self.db.transaction(write=False) as connection:
            return {
                row.day: bool(row.working)
                for row in connection.execute(select(calendar_overrides.c.day, calendar_overrides.c.working))
            }

    def judge(self) -> DueJudge:
        """Tells the due status of a due time as of now."""
        return judge(self.clock.now(), self.calendar, self.policy)

    def deadline_warning(self, due_at: datetime | None) -> str | None:
        """A warning for due times in years whose official holidays are not known yet."""
        if due_at is None or self.calendar.covers(due_at.astimezone(self.policy.zone).year):
            return None
        return "the working-day calendar does not yet know this year's official holidays"

    def upgrade_schema(self) -> None:
        migrate.upgrade(self.db, audit_keyring=self.config.audit_keys)

    def refresh_statistics(self) -> float:
        """``ANALYZE`` for the query planner (after ``db upgrade`` and daily from the worker); seconds taken."""
        return refresh_planner_statistics(self.db)

    def schema_is_current(self) -> bool:
        return migrate.is_current(self.db)

    def close(self) -> None:
        self.db.dispose()

    def definition(self, connection: Connection, definition_id: str) -> tuple[SpecBundle, DefinitionModel]:
        """A version's specs and model; immutable, so cached for the life of the process."""
        with self._definitions_lock:
            cached = self._definitions.get(definition_id)
        if cached is not None:
            return cached
        loaded = load_specs(definition_row(connection, definition_id))
        with self._definitions_lock:
            self._definitions.setdefault(definition_id, loaded)
        return loaded

    def execute(self, command: Command[R]) -> R:
        """Run ``command`` through the executor: one transaction, committed once, rolled back on any error."""
        scope = ReadScope.current()
        adopted = None
        if scope is not None and scope.sharing:  # later reads must see what the command writes
            adopted = scope.hand_over()  # the command goes on in the request's read transaction
        return self.executor.execute(command, adopted)

    def query(self, action: Callable[[Connection], T]) -> T:
        """Run a read-only query in its own (non-locking) transaction, or in the read scope's shared one
        (``engine.read_scope``: a GET request's authentication and reads)."""
        scope = ReadScope.current()
        if scope is not None and scope.sharing and scope.db is self.db:
            return scope.run(action)
        with self.db.transaction(write=False) as connection:
            return action(connection)

    def read_scope(self) -> contextlib.AbstractContextManager[ReadScope]:
        """Share one read transaction among this thread's queries until the block ends (see ``engine.read_scope``)."""
        return ReadScope.using(self.db)



