"""Who may see and do what. Every entry point goes through these rules.

What a caller may not see is reported as "not found"; what they may see but not do, as "forbidden".
This module holds the rules about doing (roles, working a task, supervising a case, starting).
Seeing is decided per resource by one module each, which owns both the Python predicate (for a
row already read) and the SQL filter (for lists), so that a list shows exactly what a fetch allows:
``engine.access.cases``, ``engine.access.tasks``, ``engine.access.history`` and
``engine.access.notifications``.
"""

from __future__ import annotations

from collections.abc import Collection

from engine.actors import Actor
from engine.errors import Forbidden


def require_task_actor(
    actor: Actor, *, department: str | None, assignee_id: str | None, required_role: str | None = None
) -> None:
    """Staff and supervisors of the task's department, its assignee, or an admin may work a task.

    A task whose model names a ``requiredRole`` (e.g. ``supervisor``) is for holders of that role only.
    """
    if actor.is_admin:
        return
    if required_role and not actor.has(required_role):
        raise Forbidden(f"this step is for the role '{required_role}'", code="task_forbidden")
    if assignee_id is not None and actor.user_id == assignee_id and (actor.is_applicant or _works(actor)):
        return
    if department is not None and department in actor.departments and _works(actor):
        return
    raise Forbidden("you may see this task but not work on it", code="task_forbidden")


def require_case_supervisor(actor: Actor, *, department: str | None) -> None:
    """Cancel, fix data and retry: supervisors of the owning department, or admins."""
    if actor.is_admin:
        return
    if actor.has("supervisor") and department is not None and department in actor.departments:
        return
    raise Forbidden("only a supervisor of the owning department or an admin may do this", code="case_forbidden")


def require_start(actor: Actor, *, startable_by: Collection[str], startable_by_applicant: bool) -> None:
    """Staff and supervisors start any process unless it names departments; applicants only marked ones."""
    refusal = start_refusal(actor, startable_by=startable_by, startable_by_applicant=startable_by_applicant)
    if refusal is not None:
        raise Forbidden(refusal, code="start_forbidden")


def may_start(actor: Actor, *, startable_by: Collection[str], startable_by_applicant: bool) -> bool:
    """Whether :func:`require_start` lets the actor start the process (lists of what one may start)."""
    return start_refusal(actor, startable_by=startable_by, startable_by_applicant=startable_by_applicant) is None


def start_refusal(actor: Actor, *, startable_by: Collection[str], startable_by_applicant: bool) -> str | None:
    """Why the actor may not start a process so marked (None: they may): the one rule of starting."""
    if actor.is_admin:
        return None
    if actor.is_applicant:
        return None if startable_by_applicant else "applicants may not start this process"
    if not _works(actor):
        return "your roles do not allow starting cases"
    if startable_by and not any(code in actor.departments for code in startable_by):
        return "this process may only be started by " + ", ".join(sorted(startable_by))
    return None


def require_case_opener(actor: Actor) -> None:
    """Who may list the companies' users to open a case for them (帮办代办): staff, supervisors, admins."""
    require_role(actor, "staff", "supervisor")


def require_notification_bridge(actor: Actor) -> None:
    """Every user's notifications, with their phone and e-mail: delivery bridges and admins only."""
    require_role(actor, "bridge")


def require_role(actor: Actor, *roles: str) -> None:
    if actor.is_admin or any(actor.has(role) for role in roles):
        return
    raise Forbidden("this needs the role " + " or ".join(roles), code="role_required")


def _works(actor: Actor) -> bool:
    return actor.has("staff") or actor.has("supervisor")
