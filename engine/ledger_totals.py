"""The summary's monthly totals: ``ledger_cases`` pre-aggregated per start month, kept in step in the
same transaction as every ledger row they count.

A scan of the whole ledger grows with it (issue 11: 280 ms p95 at 111,100 cases on a quiet SQLite,
several times that under load); these tables grow with months × processes × departments ×
categories instead, and the summary reads them for the whole months of its window (scanning the
ledger only for the partial months at its edges, ``engine/services/reports.py``). Three tables, each
keyed by (start month, process, department, category), the summary's grouping and filters:

- ``ledger_month_cells``: the counts the summary adds up (received, accepted, closed, ...);
- ``ledger_month_days``: closed cases per handling day, so medians and 90th percentiles stay exact
  (nearest rank over the counts per day);
- ``ledger_month_closures``: closed cases (and closed on time) per closure month.

Every ledger write goes through ``follow``: it reads the case's previous figure columns, and adds
the difference between the new row's contributions and the old's (``INSERT ... ON CONFLICT DO
UPDATE SET n = n + excluded.n``, in key order, so two commands lock rows in the same order; most
saves change no figure and write nothing here). ``recount`` rebuilds the three tables from the
ledger (``wutong report rebuild``, and the 0015 migration).

A null department or category is stored as the empty key ``""``; a value as ``"=" + value`` (a
text column may itself be empty), so the key columns can be a primary key on both databases.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, bindparam, case, delete, func, insert, literal, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ColumnElement

from engine.persistence.tables import ledger_cases, ledger_month_cells, ledger_month_closures, ledger_month_days

KEY = ("start_month", "process_key", "department_key", "category_key")
CELL_MEASURES = (
    "received", "accepted", "closed", "open", "cancelled", "terminated", "closed_on_time",
    "closed_on_time_original", "closed_no_limit", "rated", "satisfaction_sum",
)
# the ledger columns a case's contributions depend on (read back before every write)
FIGURE_COLUMNS = (
    "process_key", "department_code", "category", "start_month", "end_month", "state", "ended_how", "accepted",
    "closed", "on_time", "on_time_original", "satisfaction", "handling_days",
)
_OLD = select(*(ledger_cases.c[name] for name in FIGURE_COLUMNS)).where(
    ledger_cases.c.instance_id == bindparam("old_instance_id")
)

Contributions = dict[tuple[str, tuple[Any, ...]], tuple[int, ...]]


def encode(value: str | None) -> str:
    """A department or category as a key column: ``""`` for none, else ``"=" + value``."""
    return "" if value is None else "=" + value


@lru_cache(maxsize=4096)
def decode(key: str) -> str | None:
    return None if key == "" else key[1:]


def contributions(row: Mapping[str, Any]) -> Contributions:
    """What one ledger row adds to each table: {(table name, key): measures}."""
    key = (row["start_month"], row["process_key"], encode(row["department_code"]), encode(row["category"]))
    closed = bool(row["closed"])
    on_time = row["on_time"]
    satisfaction = row["satisfaction"]
    cells = (
        1,
        int(bool(row["accepted"])),
        int(closed),
        int(row["state"] in ("running", "error")),
        int(row["ended_how"] == "cancelled"),
        int(row["ended_how"] == "terminated"),
        int(closed and on_time is True),
        int(closed and row["on_time_original"] is True),
        int(closed and on_time is None),
        int(satisfaction is not None),
        satisfaction or 0,
    )
    found: Contributions = {("cells", key): cells}
    if closed and row["handling_days"] is not None:
        found[("days", (*key, row["handling_days"]))] = (1,)
    if closed and row["end_month"] is not None:
        found[("closures", (*key, row["end_month"]))] = (1, int(on_time is True))
    return found


_TABLES: dict[str, tuple[Table, tuple[str, ...], tuple[str, ...]]] = {
    "cells": (ledger_month_cells, KEY, CELL_MEASURES),
    "days": (ledger_month_days, (*KEY, "handling_days"), ("closed",)),
    "closures": (ledger_month_closures, (*KEY, "end_month"), ("closed", "closed_on_time")),
}


def follow(connection: Connection, row: Mapping[str, Any], *, first: bool = False) -> None:
    """Before ``row`` replaces the case's ledger row: move its counts from the old row's keys to the new
    (``first``: the case's first save, no old row to read)."""
    old = None if first else connection.execute(_OLD, {"old_instance_id": row["instance_id"]}).mappings().first()
    change = difference(contributions(dict(old)) if old is not None else {}, contributions(row))
    for (name, key), measures in sorted(change.items()):
        _add(connection, name, key, measures)


def difference(old: Contributions, new: Contributions) -> Contributions:
    """``new - old`` per key, without the keys whose measures did not change."""
    change: Contributions = {}
    for cell in old.keys() | new.keys():
        before, after = old.get(cell), new.get(cell)
        width = len(before or after or ())
        delta = tuple((after or (0,) * width)[i] - (before or (0,) * width)[i] for i in range(width))
        if any(delta):
            change[cell] = delta
    return change


def _add(connection: Connection, name: str, key: tuple[Any, ...], measures: tuple[int, ...]) -> None:
    _, key_names, measure_names = _TABLES[name]
    values = {**dict(zip(key_names, key, strict=True)), **dict(zip(measure_names, measures, strict=True))}
    connection.execute(_upsert(connection.dialect.name, name), values)


# Built once per (dialect, table) and executed with parameter dicts: building the INSERT ... ON
# CONFLICT with ``.values()`` on every call coerced its columns and rebuilt its cache key, about a
# tenth of a completion's CPU in the in-process profile (``bench/profile_http_inprocess.py``).
_UPSERTS: dict[tuple[str, str], Any] = {}


def _upsert(dialect_name: str, name: str) -> Any:
    statement = _UPSERTS.get((dialect_name, name))
    if statement is None:
        table, key_names, measure_names = _TABLES[name]
        dialect = postgresql if dialect_name == "postgresql" else sqlite
        insert_ = dialect.insert(table)
        statement = insert_.on_conflict_do_update(
            index_elements=list(key_names),
            set_={m: table.c[m] + insert_.excluded[m] for m in measure_names},
        )
        _UPSERTS[(dialect_name, name)] = statement
    return statement


def _count(condition: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _keys() -> list[ColumnElement[Any]]:
    c = ledger_cases.c
    return [
        c.start_month,
        c.process_key,
        case((c.department_code.is_(None), ""), else_=literal("=") + c.department_code),
        case((c.category.is_(None), ""), else_=literal("=") + c.category),
    ]


def recount(connection: Connection) -> None:
    """Rebuild the three tables from ``ledger_cases`` (on PostgreSQL under an exclusive lock, so a command
    saving a case meanwhile adds its change after the recount, never into counts about to be replaced)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text(
            "LOCK TABLE ledger_month_cells, ledger_month_days, ledger_month_closures IN EXCLUSIVE MODE"
        ))
    for table in (ledger_month_cells, ledger_month_days, ledger_month_closures):
        connection.execute(delete(table))
    c = ledger_cases.c
    keys = _keys()
    is_closed = c.closed == True  # noqa: E712
    cells = [
        func.count(), _count(c.accepted == True), _count(is_closed),  # noqa: E712
        _count(c.state.in_(("running", "error"))), _count(c.ended_how == "cancelled"),
        _count(c.ended_how == "terminated"), _count(is_closed & (c.on_time == True)),  # noqa: E712
        _count(is_closed & (c.on_time_original == True)), _count(is_closed & c.on_time.is_(None)),  # noqa: E712
        func.count(c.satisfaction), func.coalesce(func.sum(c.satisfaction), 0),
    ]
    connection.execute(insert(ledger_month_cells).from_select(
        [*KEY, *CELL_MEASURES], select(*keys, *cells).group_by(*keys)
    ))
    days = select(*keys, c.handling_days, func.count()).where(is_closed, c.handling_days.is_not(None))
    connection.execute(insert(ledger_month_days).from_select(
        [*KEY, "handling_days", "closed"], days.group_by(*keys, c.handling_days)
    ))
    closures = select(*keys, c.end_month, func.count(), _count(c.on_time == True)).where(  # noqa: E712
        is_closed, c.end_month.is_not(None)
    )
    connection.execute(insert(ledger_month_closures).from_select(
        [*KEY, "end_month", "closed", "closed_on_time"], closures.group_by(*keys, c.end_month)
    ))


def read_months(
    connection: Connection,
    months: tuple[str | None, str | None],
    equal: Mapping[str, str | None],
    departments: frozenset[str] | None,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The summary's three groupings over whole start months ``months`` (``first``, ``last``; None: no
    bound), in the shapes of its scans of the ledger: cells (department, category, start month, the
    ``CELL_MEASURES``), handling days (department, category, days, count) and closures (closure month,
    closed, closed on time). ``equal``: process_key, department_code, category (None: any)."""

    def narrowed(table: Table) -> list[ColumnElement[bool]]:
        c = table.c
        where: list[ColumnElement[bool]] = []
        if months[0] is not None:
            where.append(c.start_month >= months[0])
        if months[1] is not None:
            where.append(c.start_month <= months[1])
        if equal.get("process_key") is not None:
            where.append(c.process_key == equal["process_key"])
        if equal.get("department_code") is not None:
            where.append(c.department_key == encode(equal["department_code"]))
        if equal.get("category") is not None:
            where.append(c.category_key == encode(equal["category"]))
        if departments is not None:
            where.append(c.department_key.in_(sorted(encode(d) for d in departments)))
        return where

    m = ledger_month_cells.c
    cell_keys = (m.department_key, m.category_key, m.start_month)
    cells = connection.execute(
        select(*cell_keys, *(func.sum(m[name]) for name in CELL_MEASURES))
        .where(*narrowed(ledger_month_cells)).group_by(*cell_keys).having(func.sum(m.received) > 0)
    ).all()
    d = ledger_month_days.c
    day_keys = (d.department_key, d.category_key, d.handling_days)
    days = connection.execute(
        select(*day_keys, func.sum(d.closed))
        .where(*narrowed(ledger_month_days)).group_by(*day_keys).having(func.sum(d.closed) > 0)
    ).all()
    e = ledger_month_closures.c
    closures = connection.execute(
        select(e.end_month, func.sum(e.closed), func.sum(e.closed_on_time))
        .where(*narrowed(ledger_month_closures)).group_by(e.end_month).having(func.sum(e.closed) > 0)
    ).all()
    return (  # sums of integers: int on both databases
        [(decode(r[0]), decode(r[1]), *r[2:]) for r in cells],
        [(decode(r[0]), decode(r[1]), r[2], r[3]) for r in days],
        [tuple(r) for r in closures],
    )
