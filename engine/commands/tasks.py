"""Task commands (department staff): claim, unclaim, complete with validated form data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from engine import access
from engine.access import applicant_data
from engine.actors import Actor
from engine.audit_values import capped_fields
from engine.command_context import CommandContext
from engine.commands.base import Command
from engine.definitions import APPLICANT_LANE
from engine.errors import Conflict, Forbidden
from engine.forms import validate_submission
from engine.persistence.tables import process_instances
from engine.results import CompletionResult, TaskView
from engine.services.task_transitions import case_version, loaded, transition, visible_task_and_case
from engine.spiff.state import dumps
from engine.views import ESCALATION_FORM, open_tasks, task_view, visible_task

if TYPE_CHECKING:
    from engine.core import ProcessEngine


def _mark_completed(
    work: CommandContext,
    actor: Actor,
    row: Mapping[Any, Any],
    version: int,
    submitted: Mapping[str, Any],
    acting_for: str | None = None,
) -> dict[str, Any]:
    """Write the completion; the task row as it now stands (the command's result is built from it)."""
    values = {
        "state": "completed",
        "assignee_user_id": actor.user_id,
        "completed_by": actor.user_id,
        "acting_for": acting_for,
        "ended_at": work.now,
        "submitted_json": dumps(submitted),
    }
    transition(work, row, expected={"open", "claimed"}, values=values, version=version, assignee=True)
    return {**row, **values, "ended_at": work.now.astimezone(UTC)}  # as the database gives it back


def _claim(work: CommandContext, actor: Actor, row: Mapping[Any, Any], version: int) -> None:
    if row["state"] == "claimed":
        if row["assignee_user_id"] == actor.user_id:
            return
        raise Conflict("the task is claimed by someone else", code="task_claimed_by_other")
    if row["state"] != "open":
        raise Conflict(f"the task is {row['state']}", code="task_not_open")
    transition(
        work, row, expected={"open"}, values={"state": "claimed", "assignee_user_id": actor.user_id}, version=version
    )
    work.record(
        action="task.claimed",
        instance_id=row["instance_id"],
        task_id=row["id"],
    )


def required_role(
    engine: ProcessEngine, connection: Connection, row: Mapping[Any, Any], definition_id: str | None = None
) -> str | None:
    """The role a user task asks for (``requiredRole``), None for escalation tasks and open steps."""
    if row["kind"] != "user":
        return None
    if definition_id is None:
        definition_id = connection.execute(
            select(process_instances.c.definition_id).where(process_instances.c.id == row["instance_id"])
        ).scalar_one()
    _, model = engine.definition(connection, definition_id)
    user_task = model.user_tasks.get(row["activity_id"])
    role = (user_task.properties.get("requiredRole") or "").strip() if user_task else ""
    return role or None


@dataclass(frozen=True, kw_only=True)
class TaskCommand(Command[TaskView]):
    """A command on one task whose result is the task's view (instructions rendered after the commit)."""

    optimistic = True

    task_id: str

    def finish(self, work: CommandContext, value: str) -> TaskView:
        return task_view_in(work, value)


@dataclass(frozen=True, kw_only=True)
class ClaimTask(TaskCommand):
    """Take an open task: it stays in the department's lists, marked as the actor's."""

    def execute(self, work: CommandContext) -> str:
        actor, task_id = self.actor, self.task_id
        version = case_version(work, task_id)
        row = visible_task(work.connection, actor, task_id)
        loaded(work, row["instance_id"])
        access.require_task_actor(
            actor,
            department=row["department_code"],
            assignee_id=row["assignee_user_id"],
            required_role=required_role(work.engine, work.connection, row),
        )
        _claim(work, actor, row, version)
        return task_id



@dataclass(frozen=True, kw_only=True)
class UnclaimTask(TaskCommand):
    """Give a claimed task back to its department (its assignee, or a supervisor of the department)."""

    def execute(self, work: CommandContext) -> str:
        actor, task_id = self.actor, self.task_id
        version = case_version(work, task_id)
        row = visible_task(work.connection, actor, task_id)
        loaded(work, row["instance_id"])
        if row["state"] != "claimed":
            raise Conflict("the task is not claimed", code="task_not_claimed")
        own = row["assignee_user_id"] == actor.user_id
        if not own:
            access.require_case_supervisor(actor, department=row["department_code"])
        original = None
        if row["lane"] == APPLICANT_LANE:  # the applicant's own step goes back to the applicant
            original = work.connection.execute(
                select(process_instances.c.applicant_user_id).where(process_instances.c.id == row["instance_id"])
            ).scalar()
        transition(
            work,
            row,
            expected={"claimed"},
            values={"state": "open", "assignee_user_id": original},
            version=version,
            assignee=True,
        )
        work.record(
            action="task.unclaimed",
            instance_id=row["instance_id"],
            task_id=task_id,
        )
        return task_id



@dataclass(frozen=True, kw_only=True)
class CompleteTask(Command[CompletionResult]):
    """Complete a task with validated form data and run the case on to its next wait state."""

    optimistic = True

    task_id: str
    data: Mapping[str, Any]

    def execute(self, work: CommandContext) -> dict[str, Any]:
        actor, task_id, submitted = self.actor, self.task_id, dict(self.data)
        connection = work.connection
        version, row, instance = visible_task_and_case(work, task_id)
        access.require_task_actor(
            actor,
            department=row["department_code"],
            assignee_id=row["assignee_user_id"],
            required_role=required_role(work.engine, connection, row, instance["definition_id"]),
        )
        if row["state"] not in ("open", "claimed"):
            raise Conflict(f"the task is {row['state']}", code="task_not_open")
        if row["state"] == "claimed" and row["assignee_user_id"] != actor.user_id:
            raise Conflict("the task is claimed by someone else", code="task_claimed_by_other")
        _, model = work.engine.definition(connection, instance["definition_id"])
        if row["kind"] == "escalation":  # a supervision task outside the BPMN: done when its owner says so
            validate_submission(ESCALATION_FORM, submitted)
            work.load(row["instance_id"], instance)  # its save bumps the case; the finish step reads it
            completed = _mark_completed(work, actor, row, version, submitted)
            work.record(
                action="escalation.completed",
                instance_id=row["instance_id"],
                task_id=task_id,
                details={"fields": sorted(submitted), "action": submitted["action"]},
            )
            return completed
        step = model.user_tasks.get(row["activity_id"])
        if step is not None and step.applicant_only and actor.user_id != instance["applicant_user_id"]:
            raise Forbidden("only the applicant may complete this step", code="applicant_only_step")
        validate_submission(model.form_for(row["activity_id"]), submitted)
        case = work.load(row["instance_id"], instance)
        spiff_id = row["spiff_task_id"]
        if case.row["state"] not in ("running", "error") or not case.live.has_task(spiff_id):
            raise Conflict("the case no longer waits for this task", code="task_not_open")
        # 帮办代办: staff completing an applicant-lane step act for the company, whether or not the case
        # has an applicant user; ``acting_for`` names that user when there is one.
        for_applicant = row["lane"] == APPLICANT_LANE and (
            actor.user_id is None or actor.user_id != instance["applicant_user_id"]
        )
        acting_for = instance["applicant_user_id"] if for_applicant else None
        # the engine step before the first write: on SQLite it runs without the write lock
        work.note(case, case.live.complete(spiff_id, submitted))
        completed = _mark_completed(work, actor, row, version, submitted, acting_for)
        case.task_rows.setdefault(spiff_id, task_id)  # open until now, so its latest opening
        work.record(
            action="task.completed",
            instance_id=case.id,
            task_id=task_id,
            acting_for=acting_for,
            details={
                "activity_id": row["activity_id"],
                "fields": sorted(submitted),
                "data": capped_fields(submitted),
                "for_applicant": for_applicant,
            },
        )
        return completed

    def finish(self, work: CommandContext, value: dict[str, Any]) -> CompletionResult:
        # ``value`` is the completed task's row as written (the save changes no closed task): not read again
        engine, row = work.engine, value
        case = work.cases[row["instance_id"]]
        judge = engine.judge()
        step = case.model.user_tasks.get(row["activity_id"])
        return CompletionResult(
            task=task_view(row, case.row, case.model, judge, engine.deadline_warning),
            case_state=case.row["state"],
            open_tasks=open_tasks(work.connection, self.actor, case.id, judge),
            rendered=not (step is not None and step.instructions) and not applicant_data.is_restricted(self.actor),
        )


def task_view_in(work: CommandContext, task_id: str) -> TaskView:
    """A task's view inside a command's transaction, without its instructions (rendered after the commit)."""
    return work.engine.tasks.view_in(work.connection, task_id)
