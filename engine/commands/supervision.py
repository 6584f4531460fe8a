"""Supervision commands (督办): extend a deadline, reassign, send back, escalate an overdue task, and
record notifications as delivered."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, insert, select

from engine import access
from engine.access.tasks import supervises_escalation
from engine.command_context import CommandContext
from engine.commands.base import Command
from engine.commands.tasks import TaskCommand
from engine.errors import Conflict, InvalidInput, Problem
from engine.persistence.tables import (
    TASK_IS_OPEN,
    departments,
    escalations,
    notifications,
    process_instances,
    tasks,
    user_departments,
    user_roles,
    users,
)
from engine.results import InstanceView, NotificationView
from engine.services import notification_outbox as outbox
from engine.services.task_transitions import case_version, loaded, transition
from engine.views import instance_view, visible_task
from engine.vocabulary import OPEN_TASK_STATES as OPEN_STATES


@dataclass(frozen=True, kw_only=True)
class ExtendDeadline(TaskCommand):
    """Move an open task's deadline (the original stays visible beside it), with a reason."""

    due_at: datetime
    reason: str

    def execute(self, work: CommandContext) -> str:
        version = case_version(work, self.task_id)
        row = open_task_for_supervisor(work, self.task_id)
        loaded(work, row["instance_id"])
        values = {"due_at": self.due_at, "escalated_at": None}
        transition(work, row, expected=OPEN_STATES, values=values, version=version)
        work.record(
            action="task.deadline_extended",
            instance_id=row["instance_id"],
            task_id=self.task_id,
            details={"from": _iso(row["due_at"]), "to": _iso(self.due_at), "reason": self.reason},
        )
        return self.task_id



@dataclass(frozen=True, kw_only=True)
class ReassignTask(TaskCommand):
    """Give an open task to another department, a person of its department, or both, with a reason."""

    user_id: str | None
    department: str | None
    reason: str

    def execute(self, work: CommandContext) -> str:
        actor, user_id, department = self.actor, self.user_id, self.department
        version = case_version(work, self.task_id)
        row = open_task_for_supervisor(work, self.task_id)
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
            task_id=self.task_id,
            details={
                "user_id": user_id,
                "department": department,
                "from_department": row["department_code"],
                "from_user": row["assignee_user_id"],
                "to_department": target,
                "to_user": user_id,
                "reason": self.reason,
            },
        )
        return self.task_id



@dataclass(frozen=True, kw_only=True)
class SendBackTask(Command[InstanceView]):
    """退回: reopen the earlier step the process names (``sendBackTo``) and withdraw this one."""

    optimistic = True

    task_id: str
    reason: str

    def execute(self, work: CommandContext) -> str:
        task_id = self.task_id
        row = open_task_for_supervisor(work, task_id)
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
            details={"to": target.strip(), "from": row["activity_id"], "reason": self.reason},
        )
        return case.id

    def finish(self, work: CommandContext, value: str) -> InstanceView:
        return instance_view(work.connection, self.actor, work.cases[value].row, work.engine.judge())


def open_task_for_supervisor(work: CommandContext, task_id: str) -> dict[str, Any]:
    """The open task a supervisor (of its department, or one it was escalated to) acts on."""
    actor = work.actor
    row = visible_task(work.connection, actor, task_id)
    if not supervises_escalation(work.connection, actor, task_id):
        access.require_case_supervisor(actor, department=row["department_code"])
    if row["state"] not in OPEN_STATES:
        raise Conflict(f"the task is {row['state']}", code="task_not_open")
    return row


@dataclass(frozen=True, kw_only=True)
class EscalateOverdueTask(Command[bool]):
    """The worker's escalation of one overdue task: marks it, opens a 督办 task where the process names
    ``escalateTo``, and notifies the supervisors. False when someone dealt with the task meanwhile."""

    task_id: str

    def execute(self, work: CommandContext) -> bool:
        task_id = self.task_id
        connection = work.connection
        version = case_version(work, task_id)
        row = (
            connection.execute(
                select(tasks)
                .where(
                    tasks.c.id == task_id,
                    TASK_IS_OPEN,
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
        _, model = work.engine.definition(connection, instance["definition_id"])
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
            f"应于 {_local_minute(row['due_at'], work.engine.policy.zone)} 前办结"
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


@dataclass(frozen=True, kw_only=True)
class MarkNotificationsSent(Command[int]):
    """For delivery bridges (SMS, e-mail, DingTalk): record which notifications went out."""

    notification_ids: tuple[str, ...]

    def execute(self, work: CommandContext) -> int:
        marked = outbox.mark_sent(work.connection, list(self.notification_ids), work.now)
        if marked:
            work.record(action="notification.sent", details={"notification_ids": sorted(self.notification_ids)})
        return marked


@dataclass(frozen=True, kw_only=True)
class MarkNotificationSent(Command[NotificationView]):
    """Record that one notification went out; again is no error (the first time is kept)."""

    notification_id: str

    def execute(self, work: CommandContext) -> NotificationView:
        marked = outbox.mark_sent(work.connection, [self.notification_id], work.now)
        view = outbox.mark_one_sent(work.connection, self.notification_id, work.now)  # reads it; 404 when unknown
        if marked:  # the first time only
            work.record(action="notification.sent", details={"notification_ids": [self.notification_id]})
        return view


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


