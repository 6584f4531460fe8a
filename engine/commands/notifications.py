"""The recipient's commands on their own notifications (the web application's notifications page)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.access.notifications import own_notifications_clause
from engine.command_context import CommandContext
from engine.commands.base import Command
from engine.services import notification_inbox as inbox


@dataclass(frozen=True, kw_only=True)
class MarkNotificationsRead(Command[int]):
    """Mark the actor's own notifications read: those named, or every unread one (``notification_ids``
    None). The audit log keeps who read which (``notification.read``): a supervisor was told."""

    notification_ids: tuple[str, ...] | None

    def execute(self, work: CommandContext) -> int:
        own = own_notifications_clause(self.actor)
        ids = list(self.notification_ids) if self.notification_ids is not None else None
        marked = inbox.mark_read(work.connection, own, ids, work.now)
        if marked:
            work.record(action="notification.read", details={"notification_ids": marked})
        return len(marked)
