"""Supervision (督办): overdue and due-soon work, deadline extensions, reassignment, sending back,
escalation of overdue tasks, and the notification outbox."""

from __future__ import annotations

import functools
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, insert, or_, select

from engine import access
from engine.access.notifications import visible_notifications_clause
from engine.access.tasks import supervised_tasks_clause, supervises_escalation
from engine.actors import SYSTEM, Actor
from engine.casework import CaseWork
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from engine.persistence.tables import (
    departments,
    escalations,
    notifications,
    process_instances,
    tasks,
    user_departments,
    user_roles,
    users,
)
from engine.results import InstanceView, NotificationView, Page, TaskView
from engine.services import notification_outbox as outbox
from engine.services.task_transitions import case_version, loaded, transition
from engine.views import (
    instance_view,
    require_reason,
    summary,
    summary_select,
    visible_task,
)
from engine.vocabulary import OPEN_TASK_STATES as OPEN_STATES

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
            query = summary_select().where(tasks.c.state.in_(OPEN_STATES), tasks.c.due_at <= soon)
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

        def act(work: CaseWork) -> str:
            version = case_version(work, task_id)
            row = self._open_task_for_supervisor(work, actor, task_id)
            loaded(work, row["instance_id"])
            values = {"due_at": due_at, "escalated_at": None}
            transition(work, row, expected=OPEN_STATES, values=values, version=version)
            work.record(
                action="task.deadline_extended",
                instance_id=row["instance_id"],
                task_id=task_id,
                details={"from": _iso(row["due_at"]), "to": _iso(due_at), "reason": why},
            )
            return task_id

        return self._engine.tasks.with_instructions(self._engine.command(actor, act, self._task_view))

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

        def act(work: CaseWork) -> str:
            version = case_version(work, task_id)
            row = self._open_task_for_supervisor(work, actor, task_id)
            loaded(work, row["instance_id"])
            if department is not None:
                _require_department(work.connection, department)
                if user_id is not None:  # choosing a person there is for those who supervise it too
                    access.require_case_supervisor(actor, department=department)
            target = department if department is not None else row["department_code"]
            values: dict[str, Any] = {"department_code": target}
            if user_id is not None:
                _require_active_user(work.connection, user_id)
                _require_member(work.connection, user_id, target)
                values.update(assignee_user_id=user_id, state="claimed")
            else:
                values.update(assignee_user_id=None, state="open")
            transition(work, row, expected=OPEN_STATES, values=values, version=version, assignee=True)
            work.record(
                action="task.reassigned",
                instance_id=row["instance_id"],
                task_id=task_id,
                details={
                    "user_id": user_id,
                    "department": department,
                    "from_department": row["department_code"],
                    "from_user": row["assignee_user_id"],
                    "to_department": target,
                    "to_user": user_id,
                    "reason": why,
                },
            )
            return task_id

        return self._engine.tasks.with_instructions(self._engine.command(actor, act, self._task_view))

    def send_back(self, actor: Actor, task_id: str, reason: str | None) -> InstanceView:
        """退回: reopen the earlier step the process names (``sendBackTo``) and withdraw this one."""
        why = require_reason(reason)

        def act(work: CaseWork) -> str:
            row = self._open_task_for_supervisor(work, actor, task_id)
            case = work.load(row["instance_id"])
            model_task = case.model.user_tasks.get(row["activity_id"])
            target = (model_task.properties.get("sendBackTo") if model_task else None) or ""
            if not target.strip():
                raise Conflict("the process does not allow sending this step back", code="send_back_not_allowed")
            if row["kind"] != "user" or not case.live.send_back(row["spiff_task_id"], target.strip()):
                raise Conflict(f"'{target}' has not been done in this case yet", code="send_back_not_allowed")
            work.note(case, case.live.run())
            work.record(
                action="task.sent_back",
                instance_id=case.id,
                task_id=task_id,
                details={"to": target.strip(), "from": row["activity_id"], "reason": why},
            )
            return case.id

        def finish(work: CaseWork, instance_id: str) -> InstanceView:
            return instance_view(work.connection, actor, work.cases[instance_id].row, self._engine.judge())

        return self._engine.command(actor, act, finish)

    def _open_task_for_supervisor(self, work: CaseWork, actor: Actor, task_id: str) -> dict[str, Any]:
        row = visible_task(work.connection, actor, task_id)
        if not supervises_escalation(work.connection, actor, task_id):
            access.require_case_supervisor(actor, department=row["department_code"])
        if row["state"] not in OPEN_STATES:
            raise Conflict(f"the task is {row['state']}", code="task_not_open")
        return row

    def _task_view(self, work: CaseWork, task_id: str) -> TaskView:
        return self._engine.tasks.view_in(work.connection, task_id)

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
                        tasks.c.state.in_(OPEN_STATES),
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
                if self._engine.command(SYSTEM, functools.partial(self._escalate, task_id=task_id)):
                    raised += 1
            except Conflict:  # completed, extended or escalated meanwhile: re-read on the next run
                continue
            except Exception:  # this task only: the others still get their escalations
                log.exception("the overdue task %s could not be escalated", task_id)
        return raised

    def _escalate(self, work: CaseWork, *, task_id: str) -> bool:
        connection = work.connection
        version = case_version(work, task_id)
        row = (
            connection.execute(
                select(tasks)
                .where(
                    tasks.c.id == task_id,
                    tasks.c.state.in_(OPEN_STATES),
                    tasks.c.escalated_at.is_(None),
                    tasks.c.due_at < work.now,
                )
                .with_for_update(skip_locked=True)
            )
            .mappings()
            .first()
        )
        if row is None:  # done, extended or escalated by another worker meanwhile
            return False
        instance = (
            connection.execute(select(process_instances).where(process_instances.c.id == row["instance_id"]))
            .mappings()
            .one()
        )
        _, model = self._engine.definition(connection, instance["definition_id"])
        model_task = model.user_tasks.get(row["activity_id"])
        target = (
            (model_task.properties.get("escalateTo") if model_task else None)
            or model.properties.get("escalateTo")
            or ""
        ).strip() or None
        transition(work, row, expected=OPEN_STATES, values={"escalated_at": work.now}, version=version)
        escalation_task_id = None
        if target is not None:
            escalation_task_id = str(uuid.uuid4())
            connection.execute(
                insert(tasks).values(
                    id=escalation_task_id,
                    instance_id=row["instance_id"],
                    activity_id=row["activity_id"],
                    name=f"督办: {row['name'] or row['activity_id']}",
                    department_code=target,
                    state="open",
                    kind="escalation",
                    data_json=None,
                    created_at=work.now,
                )
            )
        connection.execute(
            insert(escalations).values(
                id=str(uuid.uuid4()),
                task_id=task_id,
                instance_id=row["instance_id"],
                department_code=row["department_code"],
                due_at=row["due_at"],
                overdue_since=row["due_at"],
                escalation_task_id=escalation_task_id,
                created_at=work.now,
            )
        )
        text = (
            f"超期督办 overdue: {row['name'] or row['activity_id']} in case {instance['number']} "
            f"应于 {_local_minute(row['due_at'], self._engine.policy.zone)} 前办结"
        )
        for recipient in _supervisors(connection, [row["department_code"], target]):
            notification_id = str(uuid.uuid4())
            connection.execute(
                insert(notifications).values(
                    id=notification_id,
                    recipient_user_id=recipient,
                    kind="task_overdue",
                    instance_id=row["instance_id"],
                    task_id=task_id,
                    text=text,
                    created_at=work.now,
                )
            )
            work.record(
                action="notification.queued",
                instance_id=row["instance_id"],
                task_id=task_id,
                details={"notification_id": notification_id, "recipient": recipient, "kind": "task_overdue"},
            )
        work.record(
            action="task.escalated",
            instance_id=row["instance_id"],
            task_id=task_id,
            details={"due_at": _iso(row["due_at"]), "escalated_to": target},
        )
        return True

    # --- notifications ------------------------------------------------------------------------------

    def notifications(
        self, actor: Actor, *, unsent_only: bool = False, all_users: bool = False
    ) -> list[NotificationView]:
        """The caller's notifications, newest first; ``all_users``: everyone's (bridges and admins)."""
        visible = visible_notifications_clause(actor, everyone=all_users)
        return self._engine.query(lambda c: outbox.listed(c, visible, unsent_only=unsent_only))

    def mark_sent(self, actor: Actor, notification_ids: list[str]) -> int:
        """For delivery bridges (SMS, e-mail, DingTalk): record which notifications went out."""
        access.require_notification_bridge(actor)

        def act(work: CaseWork) -> int:
            marked = outbox.mark_sent(work.connection, notification_ids, work.now)
            if marked:
                work.record(action="notification.sent", details={"notification_ids": sorted(notification_ids)})
            return marked

        return self._engine.command(actor, act)

    def mark_one_sent(self, actor: Actor, notification_id: str) -> NotificationView:
        """Record that one notification went out; again is no error (the first time is kept)."""
        access.require_notification_bridge(actor)

        def act(work: CaseWork) -> NotificationView:
            marked = outbox.mark_sent(work.connection, [notification_id], work.now)
            view = outbox.mark_one_sent(work.connection, notification_id, work.now)  # reads it; 404 when unknown
            if marked:  # the first time only
                work.record(action="notification.sent", details={"notification_ids": [notification_id]})
            return view

        return self._engine.command(actor, act)


def _supervisors(connection: Connection, codes: list[str | None]) -> list[str]:
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return []
    return list(
        connection.execute(
            select(users.c.id)
            .distinct()
            .join(user_departments, user_departments.c.user_id == users.c.id)
            .join(user_roles, user_roles.c.user_id == users.c.id)
            .where(
                user_departments.c.department_code.in_(wanted),
                user_roles.c.role == "supervisor",
                users.c.active.is_(True),
            )
            .order_by(users.c.id)
        ).scalars()
    )


def _require_active_user(connection: Connection, user_id: str) -> None:
    """Tasks go to active staff or supervisors only: anyone else could hold but never finish them."""
    found = connection.execute(
        select(users.c.id)
        .join(user_roles, user_roles.c.user_id == users.c.id)
        .where(and_(users.c.id == user_id, users.c.active.is_(True), user_roles.c.role.in_(("staff", "supervisor"))))
    ).first()
    if found is None:
        raise InvalidInput(
            "no active staff member or supervisor with this id",
            problems=[Problem("unknown_user", "no active staff member or supervisor with this id", field="/user_id")],
        )


def _require_department(connection: Connection, code: str) -> None:
    if connection.execute(select(departments.c.code).where(departments.c.code == code)).first() is None:
        raise InvalidInput(
            "no such department",
            problems=[Problem("unknown_department", "no such department", field="/department")],
        )


def _require_member(connection: Connection, user_id: str, department: str | None) -> None:
    """A person gets a task only inside a department they belong to: elsewhere they could not see it."""
    member = connection.execute(
        select(user_departments.c.user_id).where(
            user_departments.c.user_id == user_id, user_departments.c.department_code == department
        )
    ).first()
    if member is None:
        raise InvalidInput(
            f"the user is not a member of department {department}",
            problems=[
                Problem(
                    "not_a_member",
                    f"not a member of {department}: name their department too to move the task there",
                    field="/user_id",
                )
            ],
        )


def _local_minute(moment: datetime, zone: ZoneInfo) -> str:
    """A deadline as people read it in notification texts: local time to the minute, no offset or seconds."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


__all__ = ["Forbidden", "NotFound", "SupervisionService", "or_"]
