"""The notification outbox: each user reads their own; delivery bridges read everyone's and mark
what they sent."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from webapi.auth import current_actor, current_engine
from webapi.blueprints.common import PAGINATION_HEADERS, documents, page_in_memory, protected_blueprint
from webapi.schemas.notifications import MarkedSchema, MarkSentSchema, NotificationQuerySchema, NotificationSchema

blp = protected_blueprint("notifications", __name__,
                          "Notifications (overdue work) to the signed-in user, and for delivery bridges "
                          "(SMS, e-mail, DingTalk) everyone's, to send and mark sent.")


@blp.route("/notifications", methods=["GET"])
@blp.arguments(NotificationQuerySchema, location="query")
@blp.response(200, NotificationSchema(many=True), headers=PAGINATION_HEADERS)
@documents(blp, 403, 422)
def list_notifications(args: dict[str, Any]) -> Any:
    """The caller's notifications, newest first (`unsent=true`: only those no bridge has delivered yet;
    `all=true`: every user's, for the roles `bridge` and `admin`)."""
    items = current_engine().supervision.notifications(
        current_actor(), unsent_only=args["unsent"], all_users=args["all"]
    )
    return page_in_memory(items, args)


@blp.route("/notifications/sent", methods=["POST"])
@blp.arguments(MarkSentSchema)
@blp.response(200, MarkedSchema)
@documents(blp, 403, 422)
def mark_notifications_sent(args: dict[str, Any]) -> Any:
    """Record that notifications went out (roles `bridge`, `admin`); ids already marked or unknown are skipped."""
    marked = current_engine().supervision.mark_sent(current_actor(), [str(i) for i in args["ids"]])
    return {"marked": marked}


@blp.route("/notifications/<uuid:notification_id>/sent", methods=["POST"])
@blp.response(200, NotificationSchema)
@documents(blp, 403, 404)
def mark_notification_sent(notification_id: UUID) -> Any:
    """Record that one notification went out (roles `bridge`, `admin`); answers 200 with the
    notification also when it was marked before (its first `sent_at` is kept)."""
    return current_engine().supervision.mark_one_sent(current_actor(), str(notification_id))
