"""The minimal append-only audit trail: one row per action, written inside the command's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from engine.actors import Actor
from engine.persistence.tables import audit_events


def record(
    connection: Connection,
    *,
    at: datetime,
    actor: Actor,
    action: str,
    instance_id: str | None = None,
    task_id: str | None = None,
    acting_for: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    connection.execute(
        insert(audit_events).values(
            at=at,
            actor_user_id=actor.user_id,
            actor_name=actor.username,
            acting_for=acting_for,
            action=action,
            instance_id=instance_id,
            task_id=task_id,
            details=details,
        )
    )
