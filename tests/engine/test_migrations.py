"""The migrations build exactly the schema engine/persistence/tables.py describes, on SQLite and
PostgreSQL: a table or column added to one and not the other fails here, not in production."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from engine import ProcessEngine
from engine.persistence.tables import metadata


def test_the_migrated_schema_equals_the_table_definitions(engine: ProcessEngine) -> None:
    with engine.db.connect(write=False) as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences: list[Any] = compare_metadata(context, metadata)
    assert differences == []
