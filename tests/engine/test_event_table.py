"""Every command writes its history: a table of every command (every public method of a service that
writes) with the event types it must append and each event's required detail fields. Each command
is driven once on a real engine; the test fails when a service grows a public method the table does
not list, when a command appends no event of a listed type, or when such an event lacks a field."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from engine import SYSTEM, FrozenClock, ProcessEngine
from engine.persistence.tables import audit_events
from tests.engine.conftest import Org, corpus_files, process_files

# Every event names its actor, its request and (when it belongs to one) its case.
COMMON = ("actor_name", "request_id", "at")

TABLE: dict[str, dict[str, tuple[str, ...]]] = {
    "repository.deploy": {"deployment.created": ("files", "processes", "decisions")},
    "runtime.start": {
        "case.started": ("key", "version", "business_key"),
        "task.created": ("activity_id", "department", "assignee", "due_at"),
        "activity.started": ("element_id", "element_type", "workflow_task_id"),
        "activity.completed": ("element_id", "element_type", "workflow_task_id"),
        "variables.changed": ("changes",),
    },
    "runtime.cancel": {
        "case.cancelled": ("reason", "ended_how"),
        "task.cancelled": ("activity_id", "cause"),
        "activity.cancelled": ("element_id", "element_type", "workflow_task_id"),
    },
    "runtime.update_variables": {
        "case.variables_changed": ("set", "unset", "reason"),
        "variables.changed": ("changes",),
    },
    "runtime.retry": {"case.retried": (), "incident.resolved": ("incident_id", "code")},
    "runtime.deliver_message": {"message.received": ("name", "payload", "correlation")},
    "runtime.fire_due_timers": {
        "timer.fired": ("timers",),
        "task.cancelled": ("activity_id", "cause"),
        "activity.cancelled": ("element_id", "element_type", "workflow_task_id"),
        "task.created": ("activity_id", "department", "assignee", "due_at"),
    },
    "tasks.claim": {"task.claimed": ()},
    "tasks.unclaim": {"task.unclaimed": ()},
    "tasks.complete": {
        "task.completed": ("activity_id", "fields", "data", "for_applicant"),
        "activity.completed": ("element_id", "element_type", "workflow_task_id"),
        "case.completed": ("ended_how",),
    },
    "supervision.extend_deadline": {"task.deadline_extended": ("from", "to", "reason")},
    "supervision.reassign": {
        "task.reassigned": ("from_department", "to_department", "from_user", "to_user", "reason"),
    },
    "supervision.send_back": {
        "task.sent_back": ("from", "to", "reason"),
        "task.cancelled": ("activity_id", "cause"),
        "task.created": ("activity_id", "department", "assignee", "due_at"),
        "activity.started": ("element_id", "element_type", "workflow_task_id"),
    },
    "supervision.escalate_overdue": {
        "task.escalated": ("due_at", "escalated_to"),
        "notification.queued": ("notification_id", "recipient", "kind"),
    },
    "supervision.mark_sent": {"notification.sent": ("notification_ids",)},
    "supervision.mark_one_sent": {"notification.sent": ("notification_ids",)},
    "notifications.mark_read": {"notification.read": ("notification_ids",)},
    "identity.create_department": {"department.created": ("code",)},
    "identity.create_user": {"user.created": ("user_id", "roles", "departments")},
    "identity.update_user": {"user.updated": ("user_id", "fields")},
    "identity.create_token": {"token.created": ("user_id", "token_id", "expires_at")},
    "identity.revoke_token": {"token.revoked": ("token_id", "user_id")},
    "history.comment_on_case": {"comment.added": ("text",)},
    "history.comment_on_task": {"comment.added": ("text",)},
    "calendars.set_day": {"calendar.day_set": ("day", "working", "note")},
    "calendars.remove_day": {"calendar.day_removed": ("day",)},
    "reports.set_points_rules": {"points_rules.changed": ("set", "in_force")},
    "sessions.sign_in": {"session.started": ("user_id", "session_id")},
    "sessions.sign_out": {"session.ended": ("session_id",)},
    "sessions.change_password": {"password.changed": ("user_id",)},
    "sessions.unlock": {"sign_in.unlocked": ("user_id",)},
}

# Public methods that change no state anyone audits: reads, checks, and bookkeeping of use.
NOT_COMMANDS = {
    "repository": {"list_definitions", "get_definition", "get_xml", "latest", "check", "get_deployment", "get_file"},
    "runtime": {"get", "list", "incidents", "incident_page", "progress", "waiting_messages", "diagram", "data_labels"},
    "tasks": {"list", "get", "with_instructions", "view_in", "case_of", "inbox_counts"},
    "supervision": {"overview", "notifications", "notification_page"},
    "notifications": {"mine", "unread_count"},
    "identity": {
        "list_departments",
        "get_user",
        "list_users",
        "list_applicants",
        "user_page",
        "applicant_page",
        "find_user",
        "list_tokens",
        "check_token",
        "authenticate",
        "sign_in",  # checks a password, opens no session (sessions.sign_in does)
        "record_token_use",  # the hour a token was last used, kept for the token list
    },
    "history": {"case_events", "search", "verify_case", "verify_all", "write_digest"},  # a digest is a file
    "calendars": {"overrides"},
    "sessions": {"authenticate", "check_csrf", "locks"},  # authenticate moves the session's last-seen time
    "operations": {"figures"},
    # rebuild recomputes the ledger projection from stored cases: no state change of its own
    "reports": {"ledger", "summary", "departments", "people", "points_rules", "rebuild"},
}
SERVICES = tuple(NOT_COMMANDS)


@dataclass
class World:
    engine: ProcessEngine
    org: Org
    clock: FrozenClock

    def deploy(self) -> None:
        self.engine.repository.deploy(self.org["designer"], process_files("deadlines.bpmn"))

    def case(self) -> str:
        self.deploy()
        return self.engine.runtime.start(self.org["staff_D1"], "deadlines", variables={"reply_limit": "P3D"}).id

    def task(self, case: str, activity: str) -> str:
        view = self.engine.runtime.get(self.org["admin"], case)
        return next(t.id for t in view.open_tasks if t.activity_id == activity)

    def reached_review(self) -> str:
        case = self.case()
        e, o = self.engine, self.org
        e.tasks.complete(o["staff_D1"], self.task(case, "accept"))
        e.tasks.complete(o["staff_D2"], self.task(case, "reply"), {"answer": "first"})
        e.tasks.complete(o["staff_D2"], self.task(case, "quick"))
        return case

    def overdue(self) -> str:
        case = self.case()
        self.engine.tasks.complete(self.org["staff_D1"], self.task(case, "accept"))
        self.clock.advance(timedelta(days=5))
        return case

    def notification(self) -> str:
        self.overdue()
        self.engine.supervision.escalate_overdue()
        return self.engine.supervision.notifications(self.org["admin"], all_users=True)[0].id

    def in_error(self) -> str:
        self.engine.repository.deploy(self.org["designer"], process_files("incidents.bpmn", "pick.dmn"))
        case = self.engine.runtime.start(self.org["staff_D1"], "incidents")
        self.engine.tasks.complete(self.org["staff_D1"], case.open_tasks[0].id, {"mode": "script", "divisor": 0})
        self.engine.runtime.update_variables(self.org["supervisor_D1"], case.id, set_values={"divisor": 5}, reason="x")
        return case.id

    def waiting_for_message(self) -> None:
        self.engine.repository.deploy(self.org["designer"], corpus_files("message_receiver.bpmn"))
        case = self.engine.runtime.start(self.org["staff_D1"], "message_receiver", variables={"order_id": "A-1"})
        self.engine.tasks.complete(self.org["staff_D1"], case.open_tasks[0].id)

    def user_with_password(self) -> str:
        created = self.engine.identity.create_user(
            SYSTEM, "li_wei", roles=["staff"], departments_=["D1"], password="s3cret-pass-1"
        )
        return created.id


def _drive(name: str, w: World) -> Callable[[], Any]:
    """Set up what the command needs, and return the command itself (run once, its events checked)."""
    e, o = w.engine, w.org
    if name == "repository.deploy":
        return w.deploy
    if name == "runtime.start":
        w.deploy()
        return lambda: e.runtime.start(o["staff_D1"], "deadlines", variables={"reply_limit": "P3D"})
    if name == "runtime.cancel":
        case = w.case()
        return lambda: e.runtime.cancel(o["supervisor_D1"], case, "duplicate")
    if name == "runtime.update_variables":
        case = w.case()
        return lambda: e.runtime.update_variables(o["supervisor_D1"], case, set_values={"x": 1}, reason="typo")
    if name == "runtime.retry":
        case = w.in_error()
        return lambda: e.runtime.retry(o["supervisor_D1"], case)
    if name == "runtime.deliver_message":
        w.waiting_for_message()
        return lambda: e.runtime.deliver_message(o["staff_D1"], "order_ready", payload={"order_id": "A-1"})
    if name == "runtime.fire_due_timers":
        e.repository.deploy(o["designer"], corpus_files("boundary_timers.bpmn"))
        e.runtime.start(o["staff_D1"], "boundary_timers")
        w.clock.advance(3601)
        return e.runtime.fire_due_timers
    if name in ("tasks.claim", "tasks.unclaim"):
        task = w.task(w.case(), "accept")
        if name == "tasks.claim":
            return lambda: e.tasks.claim(o["staff_D1"], task)
        e.tasks.claim(o["staff_D1"], task)
        return lambda: e.tasks.unclaim(o["staff_D1"], task)
    if name == "tasks.complete":
        case = w.reached_review()  # the last step: completing it ends the case
        return lambda: e.tasks.complete(o["staff_D1"], w.task(case, "review"))
    if name == "supervision.extend_deadline":
        task = w.task(w.case(), "accept")
        return lambda: e.supervision.extend_deadline(o["supervisor_D1"], task, w.clock.now() + timedelta(days=9), "ill")
    if name == "supervision.reassign":
        task = w.task(w.case(), "accept")
        return lambda: e.supervision.reassign(o["admin"], task, department="D2", reason="their work")
    if name == "supervision.send_back":
        case = w.reached_review()
        return lambda: e.supervision.send_back(o["supervisor_D1"], w.task(case, "review"), "incomplete")
    if name == "supervision.escalate_overdue":
        w.overdue()
        return e.supervision.escalate_overdue
    if name == "supervision.mark_sent":
        notification = w.notification()
        return lambda: e.supervision.mark_sent(o["admin"], [notification])
    if name == "notifications.mark_read":
        w.notification()
        return lambda: e.notifications.mark_read(o["supervisor_D2"], None)
    if name == "supervision.mark_one_sent":
        notification = w.notification()
        return lambda: e.supervision.mark_one_sent(o["admin"], notification)
    if name == "identity.create_department":
        return lambda: e.identity.create_department(SYSTEM, "D9", "九部", "Department 9")
    if name == "identity.create_user":
        return lambda: e.identity.create_user(SYSTEM, "zhang_san", roles=["staff"], departments_=["D1"])
    if name == "identity.update_user":
        return lambda: e.identity.update_user(SYSTEM, o["staff_D1"].user_id or "", display_name="员工一")
    if name == "identity.create_token":
        return lambda: e.identity.create_token(SYSTEM, o["staff_D1"].user_id or "")
    if name == "identity.revoke_token":
        token = e.identity.create_token(SYSTEM, o["staff_D1"].user_id or "")
        return lambda: e.identity.revoke_token(SYSTEM, token.id)
    if name == "history.comment_on_case":
        case = w.case()
        return lambda: e.history.comment_on_case(o["staff_D1"], case, "called the company")
    if name == "history.comment_on_task":
        task = w.task(w.case(), "accept")
        return lambda: e.history.comment_on_task(o["staff_D1"], task, "called the company")
    if name == "calendars.set_day":
        return lambda: e.calendars.set_day(o["admin"], date(2026, 3, 7), working=True, note="调休")
    if name == "calendars.remove_day":
        e.calendars.set_day(o["admin"], date(2026, 3, 7), working=True, note="调休")
        return lambda: e.calendars.remove_day(o["admin"], date(2026, 3, 7))
    if name == "reports.set_points_rules":
        return lambda: e.reports.set_points_rules(o["admin"], {"on_time_completion": 2})
    if name == "sessions.sign_in":
        w.user_with_password()
        return lambda: e.sessions.sign_in("li_wei", "s3cret-pass-1")
    if name == "sessions.sign_out":
        w.user_with_password()
        session = e.sessions.sign_in("li_wei", "s3cret-pass-1")
        return lambda: e.sessions.sign_out(session.secret)
    if name == "sessions.change_password":
        w.user_with_password()
        actor = e.identity.sign_in("li_wei", "s3cret-pass-1")
        return lambda: e.sessions.change_password(actor, "s3cret-pass-1", "an0ther-pass-2")
    if name == "sessions.unlock":
        user = w.user_with_password()
        return lambda: e.sessions.unlock(o["admin"], user)
    raise AssertionError(f"no driver for {name}")


def _public_methods(service: object) -> set[str]:
    return {name for name, member in inspect.getmembers(type(service), inspect.isfunction) if not name.startswith("_")}


def test_every_public_service_method_is_in_the_table_or_known_not_to_write(engine: ProcessEngine) -> None:
    missing = []
    for service in SERVICES:
        for method in _public_methods(getattr(engine, service)):
            if f"{service}.{method}" not in TABLE and method not in NOT_COMMANDS[service]:
                missing.append(f"{service}.{method}")
    assert missing == [], "add these commands to TABLE (with their events) or to NOT_COMMANDS"
    stale = [name for name in TABLE if name.split(".")[1] not in _public_methods(getattr(engine, name.split(".")[0]))]
    assert stale == []


def _events_after(engine: ProcessEngine, last_id: int) -> list[dict[str, Any]]:
    with engine.db.transaction(write=False) as connection:
        query = sa.select(audit_events).where(audit_events.c.id > last_id).order_by(audit_events.c.id)
        return [dict(r) for r in connection.execute(query).mappings()]


def _last_id(engine: ProcessEngine) -> int:
    with engine.db.transaction(write=False) as connection:
        return int(connection.execute(sa.select(sa.func.coalesce(sa.func.max(audit_events.c.id), 0))).scalar_one())


@pytest.mark.parametrize("command", sorted(TABLE))
def test_a_command_appends_its_events_with_their_fields(
    engine: ProcessEngine, org: Org, clock: FrozenClock, command: str
) -> None:
    run = _drive(command, World(engine, org, clock))
    before = _last_id(engine)
    run()
    events = _events_after(engine, before)
    for action, fields in TABLE[command].items():
        found = [e for e in events if e["action"] == action]
        assert found, f"{command} appended no {action} (it appended {sorted({e['action'] for e in events})})"
        for event in found:
            assert all(event[f] for f in COMMON), event
            lacking = [f for f in fields if f not in (event["details"] or {})]
            assert lacking == [], f"{action} of {command} lacks {lacking}"
    assert len({e["request_id"] for e in events}) == 1 or command.endswith(("fire_due_timers", "escalate_overdue"))


# The typed command each entry of TABLE runs; the commands not driven by the table (bookkeeping that
# appends no event, or one that needs a failing timer) are in BOOKKEEPING. A new Command class must
# appear in one of the two.
COMMAND_OF = {
    "repository.deploy": "DeployProcesses",
    "runtime.start": "StartCase",
    "runtime.cancel": "CancelCase",
    "runtime.update_variables": "UpdateVariables",
    "runtime.retry": "RetryCase",
    "runtime.deliver_message": "DeliverMessage",
    "runtime.fire_due_timers": "FireTimers",
    "tasks.claim": "ClaimTask",
    "tasks.unclaim": "UnclaimTask",
    "tasks.complete": "CompleteTask",
    "supervision.extend_deadline": "ExtendDeadline",
    "supervision.reassign": "ReassignTask",
    "supervision.send_back": "SendBackTask",
    "supervision.escalate_overdue": "EscalateOverdueTask",
    "supervision.mark_sent": "MarkNotificationsSent",
    "supervision.mark_one_sent": "MarkNotificationSent",
    "notifications.mark_read": "MarkNotificationsRead",
    "identity.create_department": "CreateDepartment",
    "identity.create_user": "CreateUser",
    "identity.update_user": "UpdateUser",
    "identity.create_token": "CreateToken",
    "identity.revoke_token": "RevokeToken",
    "history.comment_on_case": "AddComment",
    "history.comment_on_task": "AddComment",
    "calendars.set_day": "SetCalendarDay",
    "calendars.remove_day": "RemoveCalendarDay",
    "reports.set_points_rules": "SetPointsRules",
    "sessions.sign_in": "SignIn",
    "sessions.sign_out": "SignOut",
    "sessions.change_password": "ChangePassword",
    "sessions.unlock": "UnlockSignIn",
}
BOOKKEEPING = {
    "RecordTokenUse",  # the hour a token was last used
    "TouchSession",  # a session's last-seen time, for its idle expiry
    "RecordTimerFailure",  # needs a failing timer: appends incident.raised (tests/engine/test_poisoned_case.py)
    "CaseCommand",  # the base of the case commands
    "TaskCommand",  # the base of the commands answering with a task view
}


def _command_classes() -> set[str]:
    import importlib
    import pkgutil

    import engine.commands
    from engine.commands.base import Command

    for module in pkgutil.iter_modules(engine.commands.__path__):
        importlib.import_module(f"engine.commands.{module.name}")
    importlib.import_module("engine.services.repository")  # DeployProcesses sits beside its checks
    found: set[str] = set()
    pending = list(Command.__subclasses__())
    while pending:
        cls = pending.pop()
        found.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return found


def test_every_command_class_is_in_the_table_or_known_as_bookkeeping() -> None:
    assert set(COMMAND_OF) == set(TABLE)
    assert _command_classes() - set(COMMAND_OF.values()) - BOOKKEEPING == set()
    assert BOOKKEEPING - _command_classes() == set()
