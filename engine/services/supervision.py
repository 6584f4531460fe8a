"""Supervision (督办): overdue and due-soon work, deadline extensions, reassignment, sending back,
escalation of overdue tasks, and the notification outbox."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from engine import access
from engine.access.notifications import visible_notifications_clause
from engine.access.tasks import supervised_tasks_clause
from engine.actors import SYSTEM, Actor
from engine.commands.supervision import (
    EscalateOverdueTask,
    ExtendDeadline,
    MarkNotificationSent,
    MarkNotificationsSent,
    ReassignTask,
    SendBackTask,
)
from engine.errors import Conflict, InvalidInput, Problem
from engine.persistence.tables import (
    TASK_IS_OPEN,
    tasks,
)
from engine.results import InstanceView, NotificationView, Page, TaskView
from engine.services import notification_outbox as outbox
from engine.views import (
    require_reason,
    summary,
    summary_select,
)

if TYPE_CHECKING:
    from engine.core import ProcessEngine


MAX_EXTENSION = timedelta(days=3653)

log = logging.getLogger("wutong.worker")


class SupervisionService:
    def __init__(self, engine: ProcessEngine) -> None:
        self._engine = engine

    # --- the supervisor's list ------------------------------------------------------------------

    def overview(self, actor: Actor, *, page: int = 1, page_size: int = 50) -> Page:
        """Overdue and due-soon open tasks of the supervisor's departments and those escalated to them
        (督办), most urgent first."""
        access.require_role(actor, "supervisor", "auditor")
        from engine.deadlines import soon_threshold

        now = self._engine.clock.now()
        soon = soon_threshold(now, self._engine.calendar, self._engine.policy)

        def run(connection: Connection) -> Page:
            query = summary_select().where(TASK_IS_OPEN, tasks.c.due_at <= soon)
            query = query.where(supervised_tasks_clause(actor))
            rows = connection.execute(query.order_by(tasks.c.due_at, tasks.c.id)).mappings().all()
            judge = self._engine.judge()
            start = (page - 1) * page_size
            return Page(tuple(summary(r, judge) for r in rows[start : start + page_size]), len(rows))

        return self._engine.query(run)

    # --- acting on a task -----------------------------------------------------------------------

    def extend_deadline(self, actor: Actor, task_id: str, due_at: datetime, reason: str | None) -> TaskView:
        """Move a task's deadline; the original stays visible beside it."""
        why = require_reason(reason)
        if due_at.tzinfo is None:
            raise InvalidInput(
                "give the time with its zone", problems=[Problem("format", "needs a zone", field="/due_at")]
            )
        if due_at <= self._engine.clock.now():
            raise InvalidInput(
                "the new deadline is in the past", problems=[Problem("past", "must be in the future", field="/due_at")]
            )
        if due_at > self._engine.clock.now() + MAX_EXTENSION:
            raise InvalidInput(
                "the new deadline is too far ahead",
                problems=[Problem("too_far", "at most ten years ahead", field="/due_at")],
            )
        command = ExtendDeadline(actor=actor, task_id=task_id, due_at=due_at, reason=why)
        return self._engine.tasks.with_instructions(self._engine.execute(command))

    def reassign(
        self,
        actor: Actor,
        task_id: str,
        *,
        user_id: str | None = None,
        department: str | None = None,
        reason: str | None = None,
    ) -> TaskView:
        """Give a task to another department (open there), to a person of its department (who then holds
        it), or to a person of another department together with that department.

        A person named alone must be a member of the task's current department (``not_a_member``); named
        with ``department``, the caller supervises both departments (or is an admin) and the person is
        active staff of ``department``.
        """
        why = require_reason(reason)
        if user_id is None and department is None:
            raise InvalidInput(
                "name a user, a department or both",
                problems=[Problem("one_of", "user_id, department or both", field="/user_id")],
            )
        command = ReassignTask(actor=actor, task_id=task_id, user_id=user_id, department=department, reason=why)
        return self._engine.tasks.with_instructions(self._engine.execute(command))

    def send_back(self, actor: Actor, task_id: str, reason: str | None) -> InstanceView:
        """退回: reopen the earlier step the process names (``sendBackTo``) and withdraw this one."""
        why = require_reason(reason)
        return self._engine.execute(SendBackTask(actor=actor, task_id=task_id, reason=why))

    # --- escalation (the worker) ------------------------------------------------------------------

    def escalate_overdue(self, limit: int = 100) -> int:
        """Raise an escalation for every open task past its deadline; one command per task.

        Like the timer run, a task whose escalation fails is logged and skipped: it never stops the
        other tasks' escalations (it is tried again on the next run).
        """
        now = self._engine.clock.now()
        due = self._engine.query(
            lambda c: list(
                c.execute(
                    select(tasks.c.id)
                    .where(
                        TASK_IS_OPEN,
                        tasks.c.kind == "user",
                        tasks.c.due_at < now,
                        tasks.c.escalated_at.is_(None),
                    )
                    .order_by(tasks.c.due_at)
                    .limit(limit)
                ).scalars()
            )
        )
        raised = 0
        for task_id in due:
            try:
                if self._engine.execute(EscalateOverdueTask(actor=SYSTEM, task_id=task_id)):
                    raised += 1
            except Conflict:  # completed, extended or escalated meanwhile: re-read on the next run
                continue
            except Exception:  # this task only: the others still get their escalations
                log.exception("the overdue task %s could not be escalated", task_id)
        return raised

    # --- notifications ------------------------------------------------------------------------------

    def notifications(
        self, actor: Actor, *, unsent_only: bool = False, all_users: bool = False
    ) -> list[NotificationView]:
        """The caller's notifications, newest first; ``all_users``: everyone's (bridges and admins)."""
        return list(self.notification_page(actor, unsent_only=unsent_only, all_users=all_users).items)

    def notification_page(
        self,
        actor: Actor,
        *,
        unsent_only: bool = False,
        all_users: bool = False,
        sort: str | None = None,
        page: int = 1,
        page_size: int | None = None,
    ) -> Page:
        """:meth:`notifications` paged, counted and sorted (``created_at``, ``kind``, ``sent_at``) in SQL."""
        visible = visible_notifications_clause(actor, everyone=all_users)

        def run(connection: Connection) -> Page:
            items, total = outbox.listed(
                connection, visible, unsent_only=unsent_only, sort=sort, page=page, page_size=page_size
            )
            return Page(tuple(items), total)

        return self._engine.query(run)

    def mark_sent(self, actor: Actor, notification_ids: list[str]) -> int:
        """For delivery bridges (SMS, e-mail, DingTalk): record which notifications went out."""
        access.require_notification_bridge(actor)
        return self._engine.execute(MarkNotificationsSent(actor=actor, notification_ids=tuple(notification_ids)))

    def mark_one_sent(self, actor: Actor, notification_id: str) -> NotificationView:
        """Record that one notification went out; again is no error (the first time is kept)."""
        access.require_notification_bridge(actor)
        return self._engine.execute(MarkNotificationSent(actor=actor, notification_id=notification_id))
