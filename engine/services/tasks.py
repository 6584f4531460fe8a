"""Task service (department staff): inbox, claim, unclaim, complete with validated form data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from engine.access import applicant_data
from engine.access.task_list import task_list_page, task_list_total
from engine.actors import Actor
from engine.commands.tasks import ClaimTask, CompleteTask, UnclaimTask
from engine.deadlines import soon_threshold
from engine.instructions import render_instructions
from engine.persistence.tables import process_instances, tasks
from engine.results import CompletionResult, InboxCounts, Page, TaskView
from engine.views import (
    order_by,
    require_choice,
    sent_back_to,
    summary,
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
        process_key: str | None = None,
        inbox: bool = False,
        page: int = 1,
        page_size: int = 50,
        sort: str = "-created_at",
    ) -> Page:
        """The tasks the actor may see (``inbox``: only those of the actor's inbox, the open steps of their
        departments and the steps they claimed), filtered, sorted and paged by the database."""
        require_choice(due_status, DUE_STATUSES, "/due_status")
        require_choice(state, TASK_STATES, "/state")
        order_by(tasks, sort, TASK_SORT_FIELDS)  # refuses an unknown /sort before any query

        def run(connection: Connection) -> Page:
            filters: dict[str, dict[str, Any]] = {}
            if state is not None:
                filters["state"] = {"f_state": state}
            if department is not None:
                filters["department"] = {"f_department": department}
            if assignee is not None:
                filters["assignee"] = {"f_assignee": assignee}
            if instance_id is not None:
                filters["instance_id"] = {"f_instance_id": instance_id}
            if due_status is not None:
                filters[f"due:{due_status}"] = self._due_thresholds()
            if process_key is not None:
                filters["process_key"] = {"f_process_key": process_key}
            cap = self._engine.config.count_cap
            found = task_list_page(connection, actor, filters, sort, page, page_size, cap, inbox)
            judge = self._engine.judge()
            return Page(tuple(summary(r, judge) for r in found.rows), found.total, found.capped)

        return self._engine.query(run)

    def inbox_counts(self, actor: Actor, *, process_key: str | None = None) -> InboxCounts:
        """How many tasks the actor's inbox holds: all, open (not yet claimed), claimed by the actor, due
        soon and overdue; each counted by the database up to the list cap."""

        def run(connection: Connection) -> InboxCounts:
            base: dict[str, dict[str, Any]] = {}
            if process_key is not None:
                base["process_key"] = {"f_process_key": process_key}
            due = self._due_thresholds()
            shapes: dict[str, dict[str, dict[str, Any]]] = {  # "all" is open + mine: the branches are disjoint
                "open": {"state": {"f_state": "open"}},
                "mine": {"state": {"f_state": "claimed"}},
                "due_soon": {"due:due_soon": due},
                "overdue": {"due:overdue": due},
            }
            cap = self._engine.config.count_cap
            counted = {
                name: task_list_total(connection, actor, base | extra, cap, inbox=True)
                for name, extra in shapes.items()
            }
            return InboxCounts(
                all=counted["open"][0] + counted["mine"][0],
                **{name: total for name, (total, _) in counted.items()},
                capped=any(capped for _, capped in counted.values()),
            )

        return self._engine.query(run)

    def _due_thresholds(self) -> dict[str, Any]:
        """The parameters of a due-status filter (``engine.access.task_list.FILTERS``): now and the
        moment after which a deadline is no longer "due soon"."""
        now = self._engine.clock.now()
        return {"f_now": now, "f_soon": soon_threshold(now, self._engine.calendar, self._engine.policy)}

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

    # --- claiming and completing ------------------------------------------------------------

    def claim(self, actor: Actor, task_id: str) -> TaskView:
        return self.with_instructions(self._engine.execute(ClaimTask(actor=actor, task_id=task_id)), actor)

    def unclaim(self, actor: Actor, task_id: str) -> TaskView:
        return self.with_instructions(self._engine.execute(UnclaimTask(actor=actor, task_id=task_id)), actor)

    def complete(self, actor: Actor, task_id: str, data: Mapping[Any, Any] | None = None) -> CompletionResult:
        """Validate ``data`` against the task's form, then complete it and run the case on."""
        result = self._engine.execute(CompleteTask(actor=actor, task_id=task_id, data=dict(data or {})))
        if result.rendered:  # no template and nothing hidden: the view needs no second read
            return result
        return replace(result, task=self.with_instructions(result.task, actor))

    def case_of(self, actor: Actor, instance_id: str) -> None:
        """Raise "not found" unless the actor sees the case (used by list filters)."""
        self._engine.query(lambda c: visible_instance(c, actor, instance_id))
