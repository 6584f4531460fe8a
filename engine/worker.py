"""The background worker: fires due timers and raises escalations for overdue tasks.

It finds due work through indexed ``due_at`` columns, never by loading every case, and runs each
firing as its own engine command. Several workers may run at once: on PostgreSQL a due row is taken
with ``FOR UPDATE SKIP LOCKED``; on SQLite writers are serialised and each firing re-checks that
the work is still due, so nothing fires twice. Once a day it also writes a signed digest of the
audit chain heads (when ``WUTONG_AUDIT_DIGEST_DIR`` is set), and when it starts and once a day after
that it refreshes the query planner's statistics (``ANALYZE``, see ``engine.persistence.statistics``).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from engine.actors import SYSTEM
from engine.audit_verification import digest_due
from engine.core import ProcessEngine
from engine.persistence.tables import TASK_IS_OPEN, tasks, timers

log = logging.getLogger("wutong.worker")
DIGEST_EVERY = timedelta(days=1)
STATISTICS_EVERY = timedelta(days=1)


@dataclass(frozen=True)
class WorkerRun:
    fired: int
    escalated: int


class Worker:
    def __init__(self, engine: ProcessEngine, *, poll_seconds: float = 0.25, batch: int = 200) -> None:
        self.engine = engine
        self.poll_seconds = poll_seconds
        self.batch = batch
        self._statistics_at: datetime | None = None  # this worker's last ANALYZE (none yet: due at start)

    def run_once(self) -> WorkerRun:
        """Fire what is due now and escalate what is overdue now."""
        fired = 0
        while True:
            run = self.engine.runtime.fire_due_timers(limit=self.batch)
            fired += run.fired
            if run.fired + len(run.failed) < self.batch:  # a failed case is put off: no endless loop
                break
        escalated = self.engine.supervision.escalate_overdue(limit=self.batch)
        return WorkerRun(fired, escalated)

    def next_due(self) -> datetime | None:
        """The earliest moment anything will be due (for sleeping until then)."""

        def run(connection: object) -> datetime | None:
            from sqlalchemy import Connection

            assert isinstance(connection, Connection)
            timer = connection.execute(select(func.min(timers.c.due_at))).scalar()
            task = connection.execute(
                select(func.min(tasks.c.due_at)).where(
                    TASK_IS_OPEN, tasks.c.kind == "user", tasks.c.escalated_at.is_(None)
                )
            ).scalar()
            moments = [m for m in (timer, task) if m is not None]
            return min(moments) if moments else None

        return self.engine.query(run)

    def write_digest_if_due(self) -> Path | None:
        """Once a day (with WUTONG_AUDIT_DIGEST_DIR set): a signed digest of every audit chain head."""
        directory = self.engine.config.audit_digest_dir
        if directory is None or not digest_due(Path(directory), self.engine.clock.now(), DIGEST_EVERY):
            return None
        path = self.engine.history.write_digest(SYSTEM)
        log.info("audit digest written: %s", path)
        return path

    def refresh_statistics_if_due(self) -> float | None:
        """At the worker's start and once a day: ``ANALYZE``, so that the list queries keep their plans as
        the tables grow. Returns the seconds it took, or None when it was not due."""
        now = self.engine.clock.now()
        if self._statistics_at is not None and now - self._statistics_at < STATISTICS_EVERY:
            return None
        seconds = self.engine.refresh_statistics()
        self._statistics_at = now
        log.info("planner statistics refreshed in %.2f s", seconds)
        return seconds

    def run_forever(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set: work, then sleep until the next due moment (at most one poll)."""
        while not stop.is_set():
            try:
                self.write_digest_if_due()
                self.refresh_statistics_if_due()
                done = self.run_once()
                if done.fired or done.escalated:
                    log.info("fired %d timers, raised %d escalations", done.fired, done.escalated)
            except Exception:  # keep the worker alive; the failing command rolled back
                log.exception("worker run failed")
            upcoming = self.next_due()
            wait = self.poll_seconds
            if upcoming is not None:
                wait = min(wait, max(0.0, (upcoming - self.engine.clock.now()).total_seconds()))
            stop.wait(wait)
