"""Counting a list's total without counting every row: the count stops at a cap.

Counting 100,000 open tasks for an auditor's inbox costs more than the page itself (PostgreSQL reads
every row unless the visibility map is fresh), and a person paging a list does not need the exact
number past a few thousand. The list says "at least ``cap``" instead (``Page.capped``; over HTTP the
``X-Total-Count-Capped`` header).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, func, select


def capped_count(connection: Connection, rows: Select[Any], cap: int) -> tuple[int, bool]:
    """The number of rows ``rows`` selects, counted up to ``cap``: ``(n, False)`` when there are ``n <=
    cap``, ``(cap, True)`` when there are more."""
    counted = connection.execute(
        select(func.count()).select_from(rows.order_by(None).limit(cap + 1).subquery())
    ).scalar_one()
    return (cap, True) if counted > cap else (int(counted), False)
