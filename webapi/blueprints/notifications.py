"""The notification outbox: each user reads their own; delivery bridges read everyone's and mark
what they sent. And each user's own notifications with read state, under /users/me/notifications."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from webapi.auth import current_actor, current_engine
from webapi.blueprints.common import PAGINATION_HEADERS, documents, page_of, protected_blueprint
from webapi.schemas.notifications import (
    MarkedSchema,
    MarkReadSchema,
    MarkSentSchema,
    MyNotificationQuerySchema,
    NotificationQuerySchema,
    NotificationSchema,
    ReadMarkedSchema,
    UnreadCountSchema,
)

blp = protected_blueprint("notifications", __name__,
                          "Notifications (overdue work) to the signed-in user, and for delivery bridges "
                          "(SMS, e-mail, DingTalk) everyone's, to send and mark sent; "
                          "each user's own with read state and unread count.")


@blp.route("/notifications", methods=["GET"])
@blp.arguments(NotificationQuerySchema, location="query")
@blp.response(200, NotificationSchema(many=True), headers=PAGINATION_HEADERS)
@documents(blp, 403, 422)
def list_notifications(args: dict[str, Any]) -> Any:
    """The caller's notifications, newest first (`unsent=true`: only those no bridge has delivered yet;
    `all=true`: every user's, for the roles `bridge` and `admin`)."""
    page = current_engine().supervision.notification_page(
        current_actor(), unsent_only=args["unsent"], all_users=args["all"], sort=args.get("sort"),
        page=args["page"], page_size=args["page_size"],
    )
    return page_of(page.items, page.total, args)


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


# --- the signed-in user's own notifications, with read state (the web application's 通知) ------------


@blp.route("/users/me/notifications", methods=["GET"])
@blp.arguments(MyNotificationQuerySchema, location="query")
@blp.response(200, NotificationSchema(many=True), headers=PAGINATION_HEADERS)
@documents(blp, 422)
def my_notifications(args: dict[str, Any]) -> Any:
    """The caller's own notifications, newest first, each with `read_at` (`unread=true`: only unread)."""
    page = current_engine().notifications.mine(
        current_actor(), unread_only=args["unread"], page=args["page"], page_size=args["page_size"]
    )
    return page_of(page.items, page.total, args)


@blp.route("/users/me/notifications/unread-count", methods=["GET"])
@blp.response(200, UnreadCountSchema)
def my_unread_count() -> Any:
    """How many of the caller's notifications are unread (the navigation's badge polls this)."""
    return {"unread": current_engine().notifications.unread_count(current_actor())}


@blp.route("/users/me/notifications/read", methods=["POST"])
@blp.arguments(MarkReadSchema)
@blp.response(200, ReadMarkedSchema)
@documents(blp, 422)
def mark_my_notifications_read(args: dict[str, Any]) -> Any:
    """Mark the caller's own notifications read: those in `ids`, or all with `all: true`; others' and
    unknown ids are skipped, and one read before keeps its first `read_at`."""
    ids = [str(i) for i in args["ids"]] if "ids" in args else None
    engine, actor = current_engine(), current_actor()
    marked = engine.notifications.mark_read(actor, ids)
    return {"marked": marked, "unread": engine.notifications.unread_count(actor)}
