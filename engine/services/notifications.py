"""The signed-in user's notifications (通知): list them, count the unread, mark them read.

Everyone signed in has their own; nobody reads or marks another's here (bridges and admins reach every
user's through the outbox, ``SupervisionService.notifications``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.access.notifications import own_notifications_clause
from engine.actors import Actor
from engine.commands.notifications import MarkNotificationsRead
from engine.results import Page
from engine.services import notification_inbox as inbox

if TYPE_CHECKING:
    from engine.core import ProcessEngine


class NotificationService:
    def __init__(self, engine: ProcessEngine) -> None:
        self._engine = engine

    def mine(self, actor: Actor, *, unread_only: bool = False, page: int = 1, page_size: int = 50) -> Page:
        """The actor's notifications, newest first (``unread_only``: those not marked read)."""
        own = own_notifications_clause(actor)
        return self._engine.query(
            lambda c: inbox.listed(c, own, unread_only=unread_only, page=page, page_size=page_size)
        )

    def unread_count(self, actor: Actor) -> int:
        """How many of the actor's notifications are unread (the navigation's badge)."""
        own = own_notifications_clause(actor)
        return self._engine.query(lambda c: inbox.unread_count(c, own))

    def mark_read(self, actor: Actor, notification_ids: list[str] | None) -> int:
        """Mark the named notifications of the actor read, or all of them (None); how many newly."""
        ids = tuple(notification_ids) if notification_ids is not None else None
        return self._engine.execute(MarkNotificationsRead(actor=actor, notification_ids=ids))
