"""The reload check: a case as stored must equal the case as it runs.

Loads a case straight from its rows, bypassing every cache, and returns the library's complete
serialized form, to compare with the live workflow's. Used by the test suite after every command
and available to operators (``wutong check``) to verify stored cases.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from engine.command_context import definition_row, load_specs, stored_version
from engine.persistence.tables import case_state_rows, process_instances
from engine.projections import OPEN_ROWS, stored_open_rows
from engine.spiff.cases import LiveCase

if TYPE_CHECKING:
    from engine.core import ProcessEngine


def stored_document(engine: ProcessEngine, instance_id: str) -> dict[str, Any]:
    """The case rebuilt from the database alone, as SpiffWorkflow's serializer sees it."""
    return _stored_case(engine, instance_id).document()


def stored_activities(engine: ProcessEngine, instance_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The case row's active and completed activities, and those of the case rebuilt from its rows."""
    with engine.db.transaction(write=False) as connection:
        row = (
            connection.execute(
                select(process_instances.c.active_activities_json, process_instances.c.completed_activities_json).where(
                    process_instances.c.id == instance_id
                )
            )
            .mappings()
            .one()
        )
    live = _stored_case(engine, instance_id)
    stored = {
        "active": json.loads(row["active_activities_json"]),
        "completed": json.loads(row["completed_activities_json"]),
    }
    return stored, {"active": live.active_activities(), "completed": live.completed_activities()}


def live_index_problems(engine: ProcessEngine, instance_id: str) -> list[str]:
    """Where the cached running case's index of tasks differs from a full walk of its tree."""
    entry = engine.cases.peek(instance_id)
    return entry.live.index_problems() if entry is not None else []


def known_open_rows_problems(engine: ProcessEngine, instance_id: str) -> list[str]:
    """Where the open user-task rows the cached case carries differ from the database's."""
    entry = engine.cases.peek(instance_id)
    known = entry.projected.get(OPEN_ROWS) if entry is not None else None
    if known is None:
        return []
    with engine.db.transaction(write=False) as connection:
        stored = stored_open_rows(connection, instance_id)
    return [] if stored == known else [f"known {known} != stored {stored}"]


def _stored_case(engine: ProcessEngine, instance_id: str) -> LiveCase:
    with engine.db.transaction(write=False) as connection:
        case = (
            connection.execute(
                select(
                    process_instances.c.definition_id,
                    process_instances.c.number,
                    process_instances.c.serializer_version,
                    process_instances.c.layout_version,
                ).where(process_instances.c.id == instance_id)
            )
            .mappings()
            .one()
        )
        specs, _ = load_specs(definition_row(connection, case["definition_id"]))
        version = stored_version(case, f"case {case['number']}")
        rows = connection.execute(
            select(case_state_rows.c.row_key, case_state_rows.c.owner, case_state_rows.c.content)
            .where(case_state_rows.c.instance_id == instance_id)
            .order_by(case_state_rows.c.seq)
        ).all()
    return LiveCase.restore(specs, ((r.row_key, r.owner, r.content) for r in rows), engine.script_engine, version)


def live_document(engine: ProcessEngine, instance_id: str) -> dict[str, Any] | None:
    """The cached running case's serialized form, or None when it is not cached."""
    entry = engine.cases.peek(instance_id)
    return entry.live.document() if entry is not None else None
