"""Supervision (督办): extend a deadline, reassign a task, send it back, and the supervisor's list."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from webapi.auth import current_actor, current_engine
from webapi.blueprints.common import PAGINATION_HEADERS, documents, page_of, protected_blueprint
from webapi.schemas.common import ListArgs
from webapi.schemas.runtime import InstanceSchema
from webapi.schemas.supervision import AssignSchema, DeadlineSchema, SendBackSchema
from webapi.schemas.tasks import TaskSchema, TaskSummarySchema

blp = protected_blueprint("supervision", __name__,
                          "Supervise work against its deadlines: extend, reassign, send back, list late work.")


@blp.route("/tasks/<uuid:task_id>/deadline", methods=["POST"])
@blp.arguments(DeadlineSchema)
@blp.response(200, TaskSchema)
@documents(blp, 403, 404, 409, 422)
def extend_deadline(args: dict[str, Any], task_id: UUID) -> Any:
    """Move an open task's deadline, saying why; `original_due_at` keeps the first one (supervisors
    of the task's department, admins)."""
    return current_engine().supervision.extend_deadline(current_actor(), str(task_id), args["due_at"], args["reason"])


@blp.route("/tasks/<uuid:task_id>/assign", methods=["POST"])
@blp.arguments(AssignSchema)
@blp.response(200, TaskSchema)
@documents(blp, 403, 404, 409, 422)
def reassign_task(args: dict[str, Any], task_id: UUID) -> Any:
    """Give an open task to a person (`user_id`, who then holds it) or another department (`department`,
    open there), saying why; exactly one of the two (supervisors of the task's department, admins)."""
    user_id = args.get("user_id")
    return current_engine().supervision.reassign(
        current_actor(),
        str(task_id),
        user_id=str(user_id) if user_id is not None else None,
        department=args.get("department"),
        reason=args["reason"],
    )


@blp.route("/tasks/<uuid:task_id>/send-back", methods=["POST"])
@blp.arguments(SendBackSchema)
@blp.response(200, InstanceSchema)
@documents(blp, 403, 404, 409, 422)
def send_back_task(args: dict[str, Any], task_id: UUID) -> Any:
    """退回: withdraw this step and reopen the earlier one the process names in the task's `sendBackTo`
    property; `409` where the process allows no sending back (supervisors of the task's department, admins)."""
    return current_engine().supervision.send_back(current_actor(), str(task_id), args["reason"])


@blp.route("/supervision", methods=["GET"])
@blp.arguments(ListArgs, location="query")
@blp.response(200, TaskSummarySchema(many=True), headers=PAGINATION_HEADERS)
@documents(blp, 403, 422)
def supervision_list(args: dict[str, Any]) -> Any:
    """Overdue and due-soon open tasks of the caller's departments, most urgent first (supervisors; auditors
    and admins see every department)."""
    page = current_engine().supervision.overview(current_actor(), page=args["page"], page_size=args["page_size"])
    return page_of(page.items, page.total, args)
