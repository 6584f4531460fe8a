"""Cases (process instances): read, list, cancel, fix data, retry; incidents; messages (history: ``history``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response

from webapi.auth import current_actor, current_engine
from webapi.blueprints.common import (
    COUNTED_PAGINATION_HEADERS,
    PAGINATION_HEADERS,
    documents,
    page_of,
    protected_blueprint,
)
from webapi.schemas.runtime import (
    CancelSchema,
    CaseProgressSchema,
    DataLabelSchema,
    IncidentQuerySchema,
    IncidentSchema,
    InstanceQuerySchema,
    InstanceSchema,
    MessageResultSchema,
    MessageSchema,
    VariablesPatchSchema,
    WaitingMessageSchema,
)

blp = protected_blueprint("instances", __name__, "Cases, their incidents, and messages to them.")


@blp.route("/process-instances", methods=["GET"])
@blp.arguments(InstanceQuerySchema, location="query")
@blp.response(200, InstanceSchema(many=True), headers=COUNTED_PAGINATION_HEADERS)
@documents(blp, 422)
def list_instances(args: dict[str, Any]) -> Any:
    """The cases the caller may see, newest first by default."""
    page = current_engine().runtime.list(
        current_actor(),
        state=args.get("state"),
        key=args.get("key"),
        business_key=args.get("business_key"),
        page=args["page"],
        page_size=args["page_size"],
        sort=args["sort"],
    )
    return page_of(page.items, page.total, args, capped=page.capped)


@blp.route("/process-instances/<uuid:instance_id>", methods=["GET"])
@blp.response(200, InstanceSchema)
@documents(blp, 404)
def get_instance(instance_id: UUID) -> Any:
    """One case, with the open tasks the caller may see."""
    return current_engine().runtime.get(current_actor(), str(instance_id))


@blp.route("/process-instances/<uuid:instance_id>/progress", methods=["GET"])
@blp.response(200, CaseProgressSchema)
@documents(blp, 404)
def get_progress(instance_id: UUID) -> Any:
    """Each element the case reached (completed, active, overdue) and the departments that took part."""
    return current_engine().runtime.progress(current_actor(), str(instance_id))


@blp.route("/process-instances/<uuid:instance_id>/data-labels", methods=["GET"])
@blp.response(200, DataLabelSchema(many=True))
@documents(blp, 404)
def get_data_labels(instance_id: UUID) -> Any:
    """The titles the forms of the case's process version give its variables, in form order."""
    return list(current_engine().runtime.data_labels(current_actor(), str(instance_id)))


@blp.route("/process-instances/<uuid:instance_id>/diagram", methods=["GET"])
@blp.response(200, {"type": "string"}, content_type="application/xml", description="the BPMN file the case runs")
@documents(blp, 404)
def get_case_diagram(instance_id: UUID) -> Response:
    """The deployed BPMN file of the case's process version, for anyone who may see the case."""
    return Response(current_engine().runtime.diagram(current_actor(), str(instance_id)), mimetype="application/xml")


@blp.route("/process-instances/<uuid:instance_id>/messages", methods=["GET"])
@blp.response(200, WaitingMessageSchema(many=True))
@documents(blp, 404)
def list_waiting_messages(instance_id: UUID) -> Any:
    """The messages the case waits for, their payload's schema and whether the caller may record them."""
    return current_engine().runtime.waiting_messages(current_actor(), str(instance_id))


@blp.route("/process-instances/<uuid:instance_id>/cancel", methods=["POST"])
@blp.arguments(CancelSchema)
@blp.response(200, InstanceSchema)
@documents(blp, 403, 404, 409, 422)
def cancel_instance(args: dict[str, Any], instance_id: UUID) -> Any:
    """Cancel a running case (supervisors of the owning department, admins)."""
    return current_engine().runtime.cancel(current_actor(), str(instance_id), args.get("reason"))


@blp.route("/process-instances/<uuid:instance_id>/variables", methods=["PATCH"])
@blp.arguments(VariablesPatchSchema)
@blp.response(200, InstanceSchema)
@documents(blp, 403, 404, 409, 422)
def patch_variables(args: dict[str, Any], instance_id: UUID) -> Any:
    """Set and unset case variables, saying why (supervisors of the owning department, admins)."""
    return current_engine().runtime.update_variables(
        current_actor(), str(instance_id), set_values=args["set_"], unset=args["unset"], reason=args["reason"]
    )


@blp.route("/process-instances/<uuid:instance_id>/retry", methods=["POST"])
@blp.response(200, InstanceSchema)
@documents(blp, 403, 404, 409)
def retry_instance(instance_id: UUID) -> Any:
    """Retry a case in error after its cause was fixed."""
    return current_engine().runtime.retry(current_actor(), str(instance_id))


@blp.route("/incidents", methods=["GET"])
@blp.arguments(IncidentQuerySchema, location="query")
@blp.response(200, IncidentSchema(many=True), headers=PAGINATION_HEADERS)
@documents(blp, 404, 422)
def list_incidents(args: dict[str, Any]) -> Any:
    """Incidents of the cases the caller may see (open ones unless `include_resolved`)."""
    instance_id = args.get("instance_id")
    page = current_engine().runtime.incident_page(
        current_actor(),
        instance_id=str(instance_id) if instance_id is not None else None,
        open_only=not args["include_resolved"],
        sort=args.get("sort"),
        page=args["page"],
        page_size=args["page_size"],
    )
    return page_of(page.items, page.total, args)


@blp.route("/messages", methods=["POST"])
@blp.arguments(MessageSchema)
@blp.response(200, MessageResultSchema)
@documents(blp, 403, 404, 409, 422)
def deliver_message(args: dict[str, Any]) -> Any:
    """Deliver a message to the one case waiting for it (by id or correlation values)."""
    instance_id = args.get("instance_id")
    return current_engine().runtime.deliver_message(
        current_actor(),
        args["name"],
        payload=args.get("payload"),
        instance_id=str(instance_id) if instance_id is not None else None,
        correlation=args["correlation"],
    )
