"""Each user's own notifications as an inbox: newest first, unread ones counted, marked read by their
recipient. ``read_at`` is the recipient's; ``sent_at`` stays the delivery bridges' (notification_outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, func, select, update

from engine.persistence.tables import notifications
from engine.results import Page
from engine.services.notification_outbox import notification_select, notification_view


def listed(
    connection: Connection, own: ColumnElement[bool], *, unread_only: bool, page: int, page_size: int
) -> Page:
    """One page of the notifications ``own`` selects (``engine.access.notifications``), newest first."""
    wanted = [own] + ([notifications.c.read_at.is_(None)] if unread_only else [])
    total = connection.execute(select(func.count()).select_from(notifications).where(*wanted)).scalar_one()
    rows = connection.execute(
        notification_select()
        .where(*wanted)
        .order_by(notifications.c.created_at.desc(), notifications.c.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).mappings()
    return Page(tuple(notification_view(row) for row in rows), int(total))


def unread_count(connection: Connection, own: ColumnElement[bool]) -> int:
    """How many of the notifications ``own`` selects are unread."""
    return int(
        connection.execute(
            select(func.count()).select_from(notifications).where(own, notifications.c.read_at.is_(None))
        ).scalar_one()
    )


def mark_read(
    connection: Connection, own: ColumnElement[bool], ids: Sequence[str] | None, now: datetime
) -> list[str]:
    """Mark unread ones read: those of ``ids`` that ``own`` selects, or all of them (``ids`` None); the ids
    newly marked (others' ids, unknown ids and those read before are skipped, their time is kept)."""
    wanted = [own, notifications.c.read_at.is_(None)]
    if ids is not None:
        wanted.append(notifications.c.id.in_(list(ids)))
    found = sorted(connection.execute(select(notifications.c.id).where(*wanted)).scalars())
    if found:
        connection.execute(update(notifications).where(notifications.c.id.in_(found)).values(read_at=now))
    return found
