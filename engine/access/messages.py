"""Who may record a message a case waits for (``POST /messages`` naming the case).

Staff and supervisors of the case's departments (its owning department and every department that
has or had a task in it) and admins. Auditors and applicants see the case but record nothing. This
is the rule ``POST /messages`` applies (staff or supervisor, and the case visible to them), said
per case so a page can offer the form only to those whose message would be accepted.
"""

from __future__ import annotations

from collections.abc import Collection

from engine.actors import Actor


def can_record_message(actor: Actor, *, department: str | None, task_departments: Collection[str]) -> bool:
    """Admins; staff and supervisors who belong to the case's owning or task departments."""
    if actor.is_admin:
        return True
    if not (actor.has("staff") or actor.has("supervisor")):
        return False
    codes = set(task_departments) | ({department} if department is not None else set())
    return any(code in actor.departments for code in codes)
