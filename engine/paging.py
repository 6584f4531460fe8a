"""Counting a list's total without counting every row: the count stops at a cap.

Counting 100,000 open tasks for an auditor's inbox costs more than the page itself (PostgreSQL reads
every row unless the visibility map is fresh), and a person paging a list does not need the exact
number past a few thousand. The list says "at least ``cap``" instead (``Page.capped``; over HTTP the
``X-Total-Count-Capped`` header).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Table, case, false, func, literal_column, not_, select, union


def capped_count(connection: Connection, rows: Select[Any], cap: int) -> tuple[int, bool]:
    """The number of rows ``rows`` selects, counted up to ``cap``: ``(n, False)`` when there are ``n <=
    cap``, ``(cap, True)`` when there are more."""
    return total_up_to_cap(connection.execute(capped_count_statement(rows, cap)).scalar_one(), cap)


def capped_count_statement(rows: Select[Any], cap: int) -> Select[Any]:
    """The statement :func:`capped_count` runs (one integer: at most ``cap + 1``); see :func:`total_up_to_cap`."""
    return select(func.count()).select_from(rows.order_by(None).limit(cap + 1).subquery())


def total_up_to_cap(counted: int, cap: int) -> tuple[int, bool]:
    """A count statement's answer as ``(total, capped)``: past ``cap`` the total is "at least ``cap``"."""
    return (cap, True) if counted > cap else (int(counted), False)


def branch_page(
    connection: Connection,
    table: Table,
    filters: Sequence[ColumnElement[bool]],
    branches: Sequence[ColumnElement[bool]] | None,
    order: tuple[ColumnElement[Any], bool],
    page: int,
    page_size: int,
    cap: int,
) -> tuple[int, bool, Select[Any]]:
    """The rows of ``table`` matching ``filters`` and any of ``branches`` (None: no visibility
    condition), counted up to ``cap``, and a sub-select of the ids of ``page`` sorted by ``order`` (a
    column of ``table`` and whether descending) then id: ``(total, capped, ids)``.

    One OR across the branches would make the database test every row of the table; instead each
    branch is paged on its own (its first ``page * page_size`` ids in order, through an index that
    leads with the branch's column and then the sort column) and their UNION merged and paged again,
    which gives the same rows in the same order (the tie-break is the id; NULLs sort where each
    database puts them, the same in both queries). The total is :func:`disjoint_count`. The pattern
    of the task inbox (``engine.access.task_list``) and the ledger.
    """
    key, descending = order
    row_id = table.c.id
    offset = (page - 1) * page_size
    if branches is not None and not branches:
        return 0, False, select(row_id).where(false())
    if branches is None or len(branches) == 1:
        conditions = [*filters, *(branches or ())]
        counted: Select[Any] = select(literal_column("1")).select_from(table).where(*conditions)  # from an index alone
        total, capped = capped_count(connection, counted, cap)
        direction = key.desc() if descending else key.asc()
        ids = select(row_id).where(*conditions).order_by(direction, row_id).offset(offset).limit(page_size)
        return total, capped, ids
    total, capped = disjoint_count(connection, filters, branches, cap)
    return total, capped, merged_branch_ids(row_id, key, descending, filters, branches, offset, page_size)


def merged_branch_ids(
    row_id: ColumnElement[Any],
    key: ColumnElement[Any],
    descending: bool,
    filters: Sequence[ColumnElement[bool]],
    branches: Sequence[ColumnElement[bool]],
    offset: int,
    page_size: int,
) -> Select[Any]:
    """The ids of one page over the UNION of ``branches``: each branch's first ``offset + page_size``
    rows in order (through its own index), merged and paged again by ``key`` then id."""
    direction = key.desc() if descending else key.asc()
    tops = [
        select(row_id, key.label("sort_key"))
        .where(*filters, branch)
        .order_by(direction, row_id)
        .limit(offset + page_size)
        .subquery()
        for branch in branches
    ]
    merged = union(*(select(top.c.id, top.c.sort_key) for top in tops)).subquery()
    merged_order = merged.c.sort_key.desc() if descending else merged.c.sort_key.asc()
    return select(merged.c.id).order_by(merged_order, merged.c.id).offset(offset).limit(page_size)


def disjoint_count(
    connection: Connection,
    filters: Sequence[ColumnElement[bool]],
    branches: Sequence[ColumnElement[bool]],
    cap: int,
) -> tuple[int, bool]:
    """The number of rows matching ``filters`` and any of ``branches``, counted up to ``cap`` as
    :func:`capped_count` does, in one statement: the sum of each branch's capped count of the rows no
    earlier branch holds (``NOT COALESCE(earlier, FALSE)``, so a NULL column counts as "not held").

    Each term is answered by its branch's index (the first, often an actor's department, from the
    index alone), where counting the UNION of the branches' ids sorted thousands of ids into a
    temporary table. The sum is exact while it is at most ``cap``: every term is then below its own
    cap; past it the total is "at least ``cap``"."""
    return total_up_to_cap(connection.execute(disjoint_count_statement(filters, branches, cap)).scalar_one(), cap)


def disjoint_count_statement(
    filters: Sequence[ColumnElement[bool]], branches: Sequence[ColumnElement[bool]], cap: int
) -> Select[Any]:
    """The statement :func:`disjoint_count` runs (one integer); see :func:`total_up_to_cap`."""
    terms = [
        select(func.count())
        .select_from(
            select(literal_column("1"))  # no column: a department's count reads its index alone
            .where(*filters, branch, *(not_(func.coalesce(earlier, false())) for earlier in branches[:n]))
            .limit(cap + 1)
            .subquery()
        )
        .scalar_subquery()
        for n, branch in enumerate(branches)
    ]
    return select(functools.reduce(operator.add, terms))


def sorted_page(
    connection: Connection,
    query: Select[Any],
    sort: tuple[ColumnElement[Any], bool] | None,
    base_order: Sequence[ColumnElement[Any]],
    page: int,
    page_size: int,
) -> tuple[list[Any], int]:
    """The rows of ``query`` on ``page`` and their total, sorted in SQL by ``sort`` (a column and whether
    descending; None: none) then ``base_order``: NULLs last ascending and first descending, ties in
    ``base_order``, as the lists sorted in memory had it (``webapi`` ``page_in_memory``)."""
    total = connection.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    order: list[ColumnElement[Any]] = []
    if sort is not None:
        column, descending = sort
        missing = case((column.is_(None), 1), else_=0)
        order = [missing.desc(), column.desc()] if descending else [missing.asc(), column.asc()]
    rows = connection.execute(
        query.order_by(*order, *base_order).offset((page - 1) * page_size).limit(page_size)
    ).mappings().all()
    return list(rows), int(total)
