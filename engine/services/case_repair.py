"""Timers that cannot fire and cases that cannot be restored: keep one broken case from stopping the rest.

A case whose stored state cannot be restored (or whose firing fails for any reason but a concurrent
change) must not stop the worker: its timers get a ``timer_failed`` incident and are put off with
back-off, and every other case's timers fire on time. Cancelling such a case still works: its rows
are closed without the workflow.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from engine.command_context import CommandContext
from engine.errors import Conflict
from engine.instructions import NON_BLOCKING_INCIDENTS
from engine.persistence.tables import TASK_IS_OPEN, incidents, message_subscriptions, process_instances, tasks, timers


def fire_timers(work: CommandContext, *, instance_id: str) -> bool:
    due = work.connection.execute(  # PostgreSQL: a second worker skips what this one holds
        select(timers.c.task_id, timers.c.activity_id, timers.c.due_at)
        .where(timers.c.instance_id == instance_id)
        .where(timers.c.due_at <= work.now)
        .with_for_update(skip_locked=True)
    ).all()
    if not due:  # another worker fired it first
        return False
    case = work.load(instance_id)
    work.note(case, case.live.fire_timers())
    work.record(
        action="timer.fired",
        instance_id=instance_id,
        task_id=due[0].task_id if len(due) == 1 else None,
        details={"timers": [{"activity_id": t.activity_id, "due_at": t.due_at.isoformat()} for t in due]},
    )
    return True


TIMER_BACKOFF_MIN = timedelta(minutes=1)
TIMER_BACKOFF_MAX = timedelta(hours=1)


def timer_backoff(failing_since: datetime | None, now: datetime) -> timedelta:
    """How long to put off a case's failing timers: one minute, then doubling with the time it has
    been failing (since its open ``timer_failed`` incident), at most an hour."""
    if failing_since is None:
        return TIMER_BACKOFF_MIN
    return min(max(TIMER_BACKOFF_MIN, 2 * (now - failing_since)), TIMER_BACKOFF_MAX)


def timer_failed(work: CommandContext, *, instance_id: str, error: Exception) -> None:
    """Record why a case's timers cannot fire (one open incident), put them off, mark the case in error."""
    connection = work.connection
    since = connection.execute(
        select(func.min(incidents.c.created_at)).where(
            incidents.c.instance_id == instance_id,
            incidents.c.code == "timer_failed",
            incidents.c.resolved_at.is_(None),
        )
    ).scalar()
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    connection.execute(
        update(timers)
        .where(timers.c.instance_id == instance_id, timers.c.due_at <= work.now)
        .values(due_at=work.now + timer_backoff(since, work.now))
    )
    connection.execute(
        update(process_instances)
        .where(process_instances.c.id == instance_id, process_instances.c.state == "running")
        .values(state="error", row_version=process_instances.c.row_version + 1)
    )
    if since is not None:
        return
    message = f"the case's timers could not fire: {type(error).__name__}: {error}"[:2000]
    connection.execute(
        insert(incidents).values(
            id=str(uuid.uuid4()), instance_id=instance_id, code="timer_failed", message=message, created_at=work.now
        )
    )
    work.record(action="incident.raised", instance_id=instance_id, details={"code": "timer_failed", "message": message})


def force_cancel(work: CommandContext, row: Mapping[str, Any], reason: str | None, error: Exception) -> None:
    """Cancel a case that cannot be restored: its rows say cancelled, its open work ends, nothing waits."""
    instance_id = row["id"]
    connection = work.connection
    work.read_version(instance_id, row["row_version"])  # checked at the write lock (optimistic commands)
    updated = connection.execute(
        update(process_instances)
        .where(process_instances.c.id == instance_id, process_instances.c.row_version == row["row_version"])
        .values(state="cancelled", ended_at=work.now, ended_how="cancelled", row_version=row["row_version"] + 1)
    ).rowcount
    if updated != 1:
        raise Conflict("the case was changed by someone else; reload and try again", code="stale_case")
    closed = connection.execute(
        update(tasks)
        .where(tasks.c.instance_id == instance_id, TASK_IS_OPEN)
        .values(state="cancelled", ended_at=work.now)
        .returning(tasks.c.id, tasks.c.activity_id)
    ).all()
    for task in closed:
        work.record(
            action="task.cancelled",
            instance_id=instance_id,
            task_id=task.id,
            details={"activity_id": task.activity_id, "cause": "case_cancelled"},
        )
    connection.execute(delete(timers).where(timers.c.instance_id == instance_id))
    connection.execute(delete(message_subscriptions).where(message_subscriptions.c.instance_id == instance_id))
    resolve_incidents(work, instance_id, include_non_blocking=True)
    work.record(
        action="case.cancelled",
        instance_id=instance_id,
        details={
            "reason": reason,
            "ended_how": "cancelled",
            "unrestorable": f"{type(error).__name__}: {error}"[:500],
        },
    )


def resolve_incidents(work: CommandContext, instance_id: str, *, include_non_blocking: bool = False) -> None:
    """Resolve the case's open incidents; non-blocking ones (a task's failed template) end with their
    task instead, unless the tasks were closed here without the projections (``force_cancel``)."""
    query = update(incidents).where(incidents.c.instance_id == instance_id).where(incidents.c.resolved_at.is_(None))
    if not include_non_blocking:
        query = query.where(incidents.c.code.not_in(NON_BLOCKING_INCIDENTS))
    resolved = work.connection.execute(
        query.values(resolved_at=work.now).returning(incidents.c.id, incidents.c.task_id, incidents.c.code)
    ).all()
    for incident in sorted(resolved, key=lambda r: str(r.id)):
        work.record(
            action="incident.resolved",
            instance_id=instance_id,
            task_id=incident.task_id,
            details={"incident_id": incident.id, "code": incident.code},
        )
