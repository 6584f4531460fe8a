"""Who may read which notifications: each user their own; delivery bridges and admins everyone's.
Only the recipient marks a notification read: nobody reads (or marks) another user's inbox for them."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from engine import access
from engine.actors import Actor
from engine.persistence.tables import notifications


def can_see_notification(actor: Actor, *, recipient_id: str | None, everyone: bool = False) -> bool:
    """The recipient reads it; with ``everyone``, bridges and admins read every user's."""
    if everyone and (actor.is_admin or actor.has("bridge")):
        return True
    return recipient_id is not None and recipient_id == actor.user_id


def visible_notifications_clause(actor: Actor, *, everyone: bool = False) -> ColumnElement[bool]:
    """A WHERE clause over ``notifications``: those :func:`can_see_notification` lets the actor read.
    ``everyone`` is refused (``role_required``) unless the actor is a bridge or an admin."""
    if everyone:
        access.require_notification_bridge(actor)
        return true()
    return own_notifications_clause(actor)


def own_notifications_clause(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause over ``notifications``: the actor's own, the only ones it may mark read (none for
    an actor that is no user, such as the command line's ``system``)."""
    if actor.user_id is None:
        return false()
    return notifications.c.recipient_user_id == actor.user_id
