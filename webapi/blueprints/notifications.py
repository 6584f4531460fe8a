"""The notification outbox: each user reads their own; delivery bridges mark what they sent."""

from __future__ import annotations

from typing import Any

from webapi.auth import current_actor, current_engine
from webapi.blueprints.common import PAGINATION_HEADERS, documents, page_in_memory, protected_blueprint
from webapi.schemas.supervision import MarkedSchema, MarkSentSchema, NotificationQuerySchema, NotificationSchema

blp = protected_blueprint("notifications", __name__,
                          "Notifications to the signed-in user (overdue work), and marking them delivered.")


@blp.route("/notifications", methods=["GET"])
@blp.arguments(NotificationQuerySchema, location="query")
@blp.response(200, NotificationSchema(many=True), headers=PAGINATION_HEADERS)
@documents(blp, 422)
def list_notifications(args: dict[str, Any]) -> Any:
    """The caller's notifications, newest first (`unsent=true`: only those no bridge has delivered yet)."""
    items = current_engine().supervision.notifications(current_actor(), unsent_only=args["unsent"])
    return page_in_memory(items, args)


@blp.route("/notifications/sent", methods=["POST"])
@blp.arguments(MarkSentSchema)
@blp.response(200, MarkedSchema)
@documents(blp, 403, 422)
def mark_notifications_sent(args: dict[str, Any]) -> Any:
    """Record that notifications went out (admins: the token of an SMS, e-mail or DingTalk bridge);
    ids already marked or unknown are skipped."""
    marked = current_engine().supervision.mark_sent(current_actor(), [str(i) for i in args["ids"]])
    return {"marked": marked}
