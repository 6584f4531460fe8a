"""Tasks (department staff): inbox, claim, unclaim and complete with form data."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from webapi.auth import current_actor, current_engine
from webapi.blueprints.common import COUNTED_PAGINATION_HEADERS, documents, page_of, protected_blueprint
from webapi.schemas.tasks import (
    CompleteSchema,
    CompletionSchema,
    InboxCountsQuerySchema,
    InboxCountsSchema,
    TaskQuerySchema,
    TaskSchema,
    TaskSummarySchema,
)

blp = protected_blueprint("tasks", __name__, "Work on tasks: list, claim, unclaim, complete.")


@blp.route("/tasks", methods=["GET"])
@blp.arguments(TaskQuerySchema, location="query")
@blp.response(200, TaskSummarySchema(many=True), headers=COUNTED_PAGINATION_HEADERS)
@documents(blp, 422)
def list_tasks(args: dict[str, Any]) -> Any:
    """The tasks the caller may see, newest first by default (`?due_status=overdue&sort=due_at`: late work)."""
    actor = current_actor()
    assignee = args.get("assignee")
    if assignee == "me":
        assignee = actor.user_id or ""
    instance_id = args.get("instance_id")
    page = current_engine().tasks.list(
        actor,
        state=args.get("state"),
        department=args.get("department"),
        assignee=assignee,
        instance_id=str(instance_id) if instance_id is not None else None,
        due_status=args.get("due_status"),
        process_key=args.get("process_key"),
        inbox=args.get("inbox", False),
        page=args["page"],
        page_size=args["page_size"],
        sort=args["sort"],
    )
    return page_of(page.items, page.total, args, capped=page.capped)


@blp.route("/tasks/inbox-counts", methods=["GET"])
@blp.arguments(InboxCountsQuerySchema, location="query")
@blp.response(200, InboxCountsSchema)
@documents(blp, 422)
def inbox_counts(args: dict[str, Any]) -> Any:
    """How many tasks the caller's inbox (`GET /tasks?inbox=true`) holds: all, open, claimed by the caller
    (`mine`), due soon and overdue; `capped` when a count stopped at the list cap."""
    return current_engine().tasks.inbox_counts(current_actor(), process_key=args.get("process_key"))


@blp.route("/tasks/<uuid:task_id>", methods=["GET"])
@blp.response(200, TaskSchema)
@documents(blp, 404)
def get_task(task_id: UUID) -> Any:
    """One task, with its instructions and form."""
    return current_engine().tasks.get(current_actor(), str(task_id))


@blp.route("/tasks/<uuid:task_id>/claim", methods=["POST"])
@blp.response(200, TaskSchema)
@documents(blp, 403, 404, 409)
def claim_task(task_id: UUID) -> Any:
    """Take a task so nobody else works on it."""
    return current_engine().tasks.claim(current_actor(), str(task_id))


@blp.route("/tasks/<uuid:task_id>/unclaim", methods=["POST"])
@blp.response(200, TaskSchema)
@documents(blp, 403, 404, 409)
def unclaim_task(task_id: UUID) -> Any:
    """Give a claimed task back to its department."""
    return current_engine().tasks.unclaim(current_actor(), str(task_id))


@blp.route("/tasks/<uuid:task_id>/complete", methods=["POST"])
@blp.arguments(CompleteSchema)
@blp.response(200, CompletionSchema)
@documents(blp, 403, 404, 409, 422)
def complete_task(args: dict[str, Any], task_id: UUID) -> Any:
    """Complete a task with form data; answers the case's state and its open tasks."""
    return current_engine().tasks.complete(current_actor(), str(task_id), args["data"])
