"""Case numbers (``WT-2026-000123``): one counter row per year, bumped in the command's transaction.

The bump is a single upsert (``INSERT ... ON CONFLICT (year) DO UPDATE ... RETURNING``) so two
commands starting the year's first cases at once on PostgreSQL cannot both insert the row: the
second waits on the first's row lock and takes the next number, never a unique-key error.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from engine.persistence.tables import case_numbers


def next_case_number(connection: Connection, year: int) -> str:
    """The next number of ``year``; the counter stays locked until the transaction ends."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(case_numbers)
        .values(year=year, last_value=1)
        .on_conflict_do_update(index_elements=[case_numbers.c.year],
                               set_={"last_value": case_numbers.c.last_value + 1})
        .returning(case_numbers.c.last_value)
    )
    value = int(connection.execute(statement).scalar_one())
    return f"WT-{year}-{value:06d}"
