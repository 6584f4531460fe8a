"""Case numbers (``WT-2026-000123``): one counter row per year, bumped in the command's transaction.

The bump is a single upsert (``INSERT ... ON CONFLICT (year) DO UPDATE ... RETURNING``) so two
commands starting the year's first cases at once on PostgreSQL cannot both insert the row: the
second waits on the first's row lock and takes the next number, never a unique-key error.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam
from sqlalchemy.dialects import postgresql, sqlite

from engine.persistence.tables import case_numbers


def _bump(dialect: Any) -> Any:
    return (
        dialect.insert(case_numbers)
        .values(year=bindparam("year"), last_value=1)
        .on_conflict_do_update(index_elements=[case_numbers.c.year],
                               set_={"last_value": case_numbers.c.last_value + 1})
        .returning(case_numbers.c.last_value)
    )


# built once per dialect (the year is bound): building it per start cost a tenth of a millisecond
_BUMP = {"postgresql": _bump(postgresql), "sqlite": _bump(sqlite)}


def next_case_number(connection: Connection, year: int) -> str:
    """The next number of ``year``; the counter stays locked until the transaction ends."""
    statement = _BUMP["postgresql" if connection.dialect.name == "postgresql" else "sqlite"]
    value = int(connection.execute(statement, {"year": year}).scalar_one())
    return f"WT-{year}-{value:06d}"
