"""Who may read which audit events: a case's timeline and the search across cases.

Auditors and admins read every event, also those of no case (deployments, admin actions). Everyone
else reads the events of the cases they may see (``engine.access.cases``), and nothing else: an
event is in a caller's search exactly when it is on a timeline the caller may fetch. Searching
across cases is for staff; applicants read their own case's timeline, where the values of
variables hidden from them (``engine.access.applicant_data``) are taken out of the events.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, true

from engine import access
from engine.access.cases import visible_case_ids
from engine.actors import Actor
from engine.persistence.tables import audit_events


def can_see_event(actor: Actor, *, instance_id: str | None, case_visible: bool) -> bool:
    """Everything for auditors and admins; otherwise the events of a case the actor may see
    (``case_visible``: :func:`engine.access.cases.can_see_case` of the event's case)."""
    if actor.sees_everything:
        return True
    return instance_id is not None and case_visible


def visible_events_clause(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause over ``audit_events``: the events :func:`can_see_event` lets the actor read."""
    if actor.sees_everything:
        return true()
    return audit_events.c.instance_id.in_(visible_case_ids(actor))


def require_search(actor: Actor) -> None:
    """Searching across cases is for staff, supervisors, auditors and admins, not applicants."""
    if actor.is_applicant and not actor.sees_everything:
        access.require_role(actor, "staff", "supervisor", "auditor", "admin")

