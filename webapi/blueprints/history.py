"""The history: a case's timeline, the search across cases, exports, comments and the chain checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import flask
from flask import Response

from engine.results import AuditEventView
from webapi.auth import current_actor, current_engine
from webapi.blueprints.common import PAGINATION_HEADERS, documents, page_in_memory, page_of, protected_blueprint
from webapi.exports import to_csv
from webapi.schemas.history import (
    AuditEventQuerySchema,
    AuditEventSchema,
    AuditVerificationSchema,
    ChainVerificationSchema,
    CommentSchema,
    ExportArgs,
)

blp = protected_blueprint(
    "history", __name__, "The audit trail: timelines, search, exports, comments and tamper checks."
)


def _export_format(args: Mapping[str, Any]) -> str | None:
    """``csv``/``json`` from ``?format=``, else ``csv`` when the client prefers ``text/csv``."""
    if args.get("format"):
        return str(args["format"])
    accept = flask.request.accept_mimetypes
    if accept.best_match(["application/json", "text/csv"]) == "text/csv" and accept["text/csv"] > accept[
        "application/json"
    ]:
        return "csv"
    return None


def _export(events: Sequence[AuditEventView], fmt: str, name: str, headers: Mapping[str, str]) -> Response:
    disposition = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"', **headers}
    if fmt == "csv":
        return Response(to_csv(events), mimetype="text/csv", headers=disposition)
    body = flask.json.dumps(AuditEventSchema(many=True).dump(events))
    return Response(body, mimetype="application/json", headers=disposition)


@blp.route("/process-instances/<uuid:instance_id>/history", methods=["GET"])
@blp.arguments(ExportArgs, location="query")
@blp.response(200, AuditEventSchema(many=True), headers=PAGINATION_HEADERS)
@documents(blp, 404, 422)
def instance_history(args: dict[str, Any], instance_id: UUID) -> Any:
    """The case's timeline, oldest first, with values and chain fields. With `format` (or
    `Accept: text/csv`) the whole timeline as a CSV or JSON download that `wutong audit verify` checks."""
    events = current_engine().history.case_events(current_actor(), str(instance_id))
    fmt = _export_format(args)
    if fmt is not None:
        return _export(events, fmt, f"history-{instance_id}", {})
    return page_in_memory(events, args)


@blp.route("/audit-events", methods=["GET"])
@blp.arguments(AuditEventQuerySchema, location="query")
@blp.response(200, AuditEventSchema(many=True), headers=PAGINATION_HEADERS)
@documents(blp, 403, 422)
def search_events(args: dict[str, Any]) -> Any:
    """Events across the cases the caller may see, oldest first, paged; filters combine with AND.
    With `format` (or `Accept: text/csv`) the page as a CSV or JSON download."""
    instance_id = args.get("instance_id")
    page = current_engine().history.search(
        current_actor(),
        instance_id=str(instance_id) if instance_id is not None else None,
        user=args.get("user"),
        department=args.get("department"),
        action=args.get("action"),
        from_=args.get("from_"),
        to=args.get("to"),
        page=args["page"],
        page_size=args["page_size"],
    )
    body, status, headers = page_of(page.items, page.total, args)
    fmt = _export_format(args)
    if fmt is not None:
        return _export(body, fmt, "audit-events", headers)
    return body, status, headers


@blp.route("/process-instances/<uuid:instance_id>/comments", methods=["POST"])
@blp.arguments(CommentSchema)
@blp.response(201, AuditEventSchema)
@documents(blp, 403, 404, 422)
def comment_on_case(args: dict[str, Any], instance_id: UUID) -> Any:
    """Add a comment to the case's history (never edited; auditors do not comment)."""
    return current_engine().history.comment_on_case(current_actor(), str(instance_id), args["text"])


@blp.route("/tasks/<uuid:task_id>/comments", methods=["POST"])
@blp.arguments(CommentSchema)
@blp.response(201, AuditEventSchema)
@documents(blp, 403, 404, 422)
def comment_on_task(args: dict[str, Any], task_id: UUID) -> Any:
    """Add a comment on a task to its case's history."""
    return current_engine().history.comment_on_task(current_actor(), str(task_id), args["text"])


@blp.route("/process-instances/<uuid:instance_id>/audit/verify", methods=["GET"])
@blp.response(200, ChainVerificationSchema)
@documents(blp, 404, 503)
def verify_instance(instance_id: UUID) -> Any:
    """Check the case's audit chain with the audit key (and against the last digest)."""
    return current_engine().history.verify_case(current_actor(), str(instance_id))


@blp.route("/audit/verify", methods=["GET"])
@blp.response(200, AuditVerificationSchema)
@documents(blp, 403, 503)
def verify_all() -> Any:
    """Check every audit chain and the last digest (auditors and admins)."""
    return current_engine().history.verify_all(current_actor())
