"""The notification outbox: each user reads their own; a delivery bridge (role ``bridge``, or an
admin) reads everyone's with the recipient's contact details and channel, and marks what it sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, select, update

from engine.errors import NotFound
from engine.paging import sorted_page
from engine.persistence.tables import notifications, users
from engine.results import NotificationView, RecipientView


def notification_view(row: Mapping[Any, Any]) -> NotificationView:
    """One row of :func:`notification_select` as the API shows it."""
    return NotificationView(
        row["id"],
        row["kind"],
        row["instance_id"],
        row["task_id"],
        row["text"],
        row["created_at"],
        row["sent_at"],
        recipient=RecipientView(
            row["recipient_user_id"], row["username"], row["display_name"], row["phone"], row["email"]
        ),
        channel=row["notify_via"],
        read_at=row["read_at"],
    )


def notification_select() -> Any:
    """Notifications with their recipient's name and contact details."""
    return select(
        notifications,
        users.c.username,
        users.c.display_name,
        users.c.phone,
        users.c.email,
        users.c.notify_via,
    ).join(users, users.c.id == notifications.c.recipient_user_id)


def listed(
    connection: Connection,
    visible: ColumnElement[bool],
    *,
    unsent_only: bool,
    sort: str | None = None,
    page: int = 1,
    page_size: int | None = None,
) -> tuple[list[NotificationView], int]:
    """Newest first, or by ``sort`` (``field`` or ``-field``); those ``visible`` selects
    (``engine.access.notifications``); ``page`` of ``page_size`` (None: all) and the total, in SQL."""
    query = notification_select().where(visible)
    if unsent_only:
        query = query.where(notifications.c.sent_at.is_(None))
    order = (notifications.c[sort.lstrip("-")], sort.startswith("-")) if sort else None
    base = (notifications.c.created_at.desc(), notifications.c.id)
    rows, total = sorted_page(connection, query, order, base, page, page_size or max(1, 1 << 30))
    return [notification_view(row) for row in rows], total


def mark_sent(connection: Connection, ids: Sequence[str], now: datetime) -> int:
    """Mark those not marked yet; how many were newly marked."""
    return int(
        connection.execute(
            update(notifications)
            .where(notifications.c.id.in_(list(ids)), notifications.c.sent_at.is_(None))
            .values(sent_at=now)
        ).rowcount
    )


def mark_one_sent(connection: Connection, notification_id: str, now: datetime) -> NotificationView:
    """Mark one notification sent; marking it again keeps the first time and is no error."""
    mark_sent(connection, [notification_id], now)
    row = connection.execute(notification_select().where(notifications.c.id == notification_id)).mappings().first()
    if row is None:
        raise NotFound(f"notification {notification_id} does not exist", code="notification_not_found")
    return notification_view(row)
