"""Task service (department staff): inbox, claim, unclaim, complete with validated form data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, func, select

from engine import access
from engine.access import applicant_data
from engine.access.tasks import visible_tasks_clause
from engine.actors import Actor
from engine.audit_values import capped_fields
from engine.casework import CaseWork
from engine.deadlines import soon_threshold
from engine.definitions import APPLICANT_LANE
from engine.errors import Conflict, Forbidden
from engine.forms import validate_submission
from engine.instructions import render_instructions
from engine.persistence.tables import process_instances, tasks
from engine.results import CompletionResult, Page, TaskView
from engine.runtime.state import dumps
from engine.services.task_transitions import case_version, loaded, transition
from engine.views import (
    ESCALATION_FORM,
    open_tasks,
    order_by,
    require_choice,
    sent_back_to,
    summary,
    summary_select,
    task_view,
    visible_instance,
    visible_task,
)
from engine.vocabulary import DUE_STATUSES, TASK_SORT_FIELDS, TASK_STATES

if TYPE_CHECKING:
    from engine.core import ProcessEngine


class TaskService:
    def __init__(self, engine: ProcessEngine) -> None:
        self._engine = engine

    # --- reading ------------------------------------------------------------------------------

    def list(
        self,
        actor: Actor,
        *,
        state: str | None = None,
        department: str | None = None,
        assignee: str | None = None,
        instance_id: str | None = None,
        due_status: str | None = None,
        page: int = 1,
        page_size: int = 50,
        sort: str = "-created_at",
    ) -> Page:
        require_choice(due_status, DUE_STATUSES, "/due_status")
        require_choice(state, TASK_STATES, "/state")
        order = order_by(tasks, sort, TASK_SORT_FIELDS)

        def run(connection: Connection) -> Page:
            query = summary_select()
            if state is not None:
                query = query.where(tasks.c.state == state)
            if department is not None:
                query = query.where(tasks.c.department_code == department)
            if assignee is not None:
                query = query.where(tasks.c.assignee_user_id == assignee)
            if instance_id is not None:
                query = query.where(tasks.c.instance_id == instance_id)
            if due_status is not None:
                query = query.where(self._due_filter(due_status))
            query = query.where(visible_tasks_clause(actor))
            total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
            rows = connection.execute(
                query.order_by(order, tasks.c.id).offset((page - 1) * page_size).limit(page_size)
            ).mappings()
            judge = self._engine.judge()
            return Page(tuple(summary(r, judge) for r in rows), total)

        return self._engine.query(run)

    def _due_filter(self, due_status: str) -> Any:
        """SQL for a due status, using the indexed due_at column with thresholds computed now."""
        now = self._engine.clock.now()
        soon = soon_threshold(now, self._engine.calendar, self._engine.policy)
        live = tasks.c.state.in_(("open", "claimed"))
        if due_status == "overdue":
            return and_(live, tasks.c.due_at < now)
        if due_status == "due_soon":
            return and_(live, tasks.c.due_at >= now, tasks.c.due_at <= soon)
        return and_(live, tasks.c.due_at > soon)

    def get(self, actor: Actor, task_id: str) -> TaskView:
        def run(connection: Connection) -> TaskView:
            return self._view(connection, visible_task(connection, actor, task_id), render=True, actor=actor)

        return self._engine.query(run)

    def _render(self, template: str | None, data: Mapping[str, Any]) -> str | None:
        return render_instructions(template, data, self._engine.config.sandbox).text

    def with_instructions(self, view: TaskView, actor: Actor | None = None) -> TaskView:
        """``view`` with its instructions rendered: call after the command committed, outside its lock.
        With ``actor``, its data and instructions are those the actor may see (an applicant: not all)."""

        def run(connection: Connection) -> TaskView:
            row = connection.execute(select(tasks).where(tasks.c.id == view.id)).mappings().one()
            seen = self._view(connection, row, render=True, actor=actor)
            if actor is None:
                return replace(view, instructions=seen.instructions)
            return replace(view, instructions=seen.instructions, data=seen.data)

        return self._engine.query(run)

    def _required_role(
        self, connection: Connection, row: Mapping[Any, Any], definition_id: str | None = None
    ) -> str | None:
        if row["kind"] != "user":
            return None
        if definition_id is None:
            definition_id = connection.execute(
                select(process_instances.c.definition_id).where(process_instances.c.id == row["instance_id"])
            ).scalar_one()
        _, model = self._engine.definition(connection, definition_id)
        user_task = model.user_tasks.get(row["activity_id"])
        role = (user_task.properties.get("requiredRole") or "").strip() if user_task else ""
        return role or None

    def view_in(self, connection: Connection, task_id: str) -> TaskView:
        """A task's view inside an open transaction (commands build their result with it), without its
        instructions: pass the result through ``with_instructions`` after the commit."""
        row = connection.execute(select(tasks).where(tasks.c.id == task_id)).mappings().one()
        return self._view(connection, row)

    def _view(
        self, connection: Connection, row: Mapping[Any, Any], render: bool = False, actor: Actor | None = None
    ) -> TaskView:
        instance = (
            connection.execute(select(process_instances).where(process_instances.c.id == row["instance_id"]))
            .mappings()
            .one()
        )
        _, model = self._engine.definition(connection, instance["definition_id"])
        renderer = self._render if render else None
        return task_view(
            row,
            instance,
            model,
            self._engine.judge(),
            self._engine.deadline_warning,
            renderer,
            sent_back_to(connection, row),
            None if actor is None else applicant_data.shown_names(connection, actor, instance, model),
        )

    # --- claiming -----------------------------------------------------------------------------

    def claim(self, actor: Actor, task_id: str) -> TaskView:
        def act(work: CaseWork) -> str:
            version = case_version(work, task_id)
            row = visible_task(work.connection, actor, task_id)
            loaded(work, row["instance_id"])
            access.require_task_actor(
                actor,
                department=row["department_code"],
                assignee_id=row["assignee_user_id"],
                required_role=self._required_role(work.connection, row),
            )
            _claim(work, actor, row, version)
            return task_id

        return self.with_instructions(self._engine.command(actor, act, self._finish_view), actor)

    def unclaim(self, actor: Actor, task_id: str) -> TaskView:
        def act(work: CaseWork) -> str:
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

        return self.with_instructions(self._engine.command(actor, act, self._finish_view), actor)

    # --- completing ---------------------------------------------------------------------------

    def complete(self, actor: Actor, task_id: str, data: Mapping[Any, Any] | None = None) -> CompletionResult:
        """Validate ``data`` against the task's form, then complete it and run the case on."""
        submitted = dict(data or {})

        def act(work: CaseWork) -> str:
            connection = work.connection
            version = case_version(work, task_id)
            row = visible_task(connection, actor, task_id)
            instance = (
                connection.execute(select(process_instances).where(process_instances.c.id == row["instance_id"]))
                .mappings()
                .one()
            )
            access.require_task_actor(
                actor,
                department=row["department_code"],
                assignee_id=row["assignee_user_id"],
                required_role=self._required_role(connection, row, instance["definition_id"]),
            )
            if row["state"] not in ("open", "claimed"):
                raise Conflict(f"the task is {row['state']}", code="task_not_open")
            if row["state"] == "claimed" and row["assignee_user_id"] != actor.user_id:
                raise Conflict("the task is claimed by someone else", code="task_claimed_by_other")
            _, model = self._engine.definition(connection, instance["definition_id"])
            if row["kind"] == "escalation":  # a supervision task outside the BPMN: done when its owner says so
                validate_submission(ESCALATION_FORM, submitted)
                work.load(row["instance_id"], instance)  # its save bumps the case; the finish step reads it
                _mark_completed(work, actor, row, version, submitted)
                work.record(
                    action="escalation.completed",
                    instance_id=row["instance_id"],
                    task_id=task_id,
                    details={"fields": sorted(submitted), "action": submitted["action"]},
                )
                return task_id
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
            _mark_completed(work, actor, row, version, submitted, acting_for)
            work.note(case, case.live.complete(spiff_id, submitted))
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
            return task_id

        def finish(work: CaseWork, done_id: str) -> CompletionResult:
            row = work.connection.execute(select(tasks).where(tasks.c.id == done_id)).mappings().one()
            case = work.cases[row["instance_id"]]
            return CompletionResult(
                task=task_view(row, case.row, case.model, self._engine.judge(), self._engine.deadline_warning),
                case_state=case.row["state"],
                open_tasks=open_tasks(work.connection, actor, case.id, self._engine.judge()),
            )

        result = self._engine.command(actor, act, finish)
        return replace(result, task=self.with_instructions(result.task, actor))

    def _finish_view(self, work: CaseWork, task_id: str) -> TaskView:
        return self.view_in(work.connection, task_id)

    def case_of(self, actor: Actor, instance_id: str) -> None:
        """Raise "not found" unless the actor sees the case (used by list filters)."""
        self._engine.query(lambda c: visible_instance(c, actor, instance_id))


def _mark_completed(
    work: CaseWork,
    actor: Actor,
    row: Mapping[Any, Any],
    version: int,
    submitted: Mapping[str, Any],
    acting_for: str | None = None,
) -> None:
    transition(
        work,
        row,
        expected={"open", "claimed"},
        values={
            "state": "completed",
            "assignee_user_id": actor.user_id,
            "completed_by": actor.user_id,
            "acting_for": acting_for,
            "ended_at": work.now,
            "submitted_json": dumps(submitted),
        },
        version=version,
        assignee=True,
    )


def _claim(work: CaseWork, actor: Actor, row: Mapping[Any, Any], version: int) -> None:
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
