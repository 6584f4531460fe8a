"""History service (auditors): a case's audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from engine.actors import Actor
from engine.persistence.tables import audit_events
from engine.results import AuditEventView
from engine.views import visible_instance

if TYPE_CHECKING:
    from engine.core import ProcessEngine


class HistoryService:
    def __init__(self, engine: ProcessEngine) -> None:
        self._engine = engine

    def case_events(self, actor: Actor, instance_id: str) -> list[AuditEventView]:
        """Every recorded action on a case, oldest first, for whoever may see the case."""

        def run(connection: Connection) -> list[AuditEventView]:
            visible_instance(connection, actor, instance_id)
            rows = connection.execute(
                select(audit_events).where(audit_events.c.instance_id == instance_id).order_by(audit_events.c.id)
            ).mappings()
            return [
                AuditEventView(
                    id=r["id"],
                    at=r["at"],
                    actor=r["actor_name"],
                    actor_user_id=r["actor_user_id"],
                    acting_for=r["acting_for"],
                    action=r["action"],
                    instance_id=r["instance_id"],
                    task_id=r["task_id"],
                    details=r["details"],
                )
                for r in rows
            ]

        return self._engine.query(run)
