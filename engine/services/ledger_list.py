"""``GET /ledger``: the ledger (问题办理台账) read from its projection, filtered, sorted and paged in SQL."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, false, func, literal_column, or_, select, union
from sqlalchemy.sql import ColumnElement

from engine import access
from engine.actors import Actor
from engine.deadlines import judge, soon_threshold
from engine.definitions import APPLICANT_LANE
from engine.paging import capped_count, total_up_to_cap
from engine.persistence.tables import ledger_cases, tasks, users
from engine.report_sql import check_window, within
from engine.results import Page

if TYPE_CHECKING:
    from engine.core import ProcessEngine

LEDGER_READERS = ("staff", "supervisor", "auditor", "leader", "admin")
# filters compared for equality with the column of the same name
EQUAL_FILTERS = (
    "number", "business_key", "process_key", "department_code", "owner_department_code", "company",
    "credit_code", "category", "outcome", "state", "ended_how", "accepted", "closed", "satisfaction",
)
LEDGER_SORT_FIELDS = frozenset({
    "number", "business_key", "process_key", "department_code", "company", "category", "outcome", "state",
    "started_at", "ended_at", "due_at", "handling_days", "satisfaction",
})
EXPORT_COLUMNS = (
    "number", "business_key", "process_key", "company", "credit_code", "category", "department_code",
    "current_steps", "current_departments", "started_at", "age_working_days", "due_at", "due_status", "state",
    "ended_how", "accepted", "closed", "outcome", "ended_at", "handling_days", "on_time", "satisfaction", "extras",
)


@dataclass(frozen=True)
class LedgerQuery:
    """The filters of ``GET /ledger``; dates are local dates, both ends included."""

    equal: Mapping[str, Any]
    step_department: str | None = None
    due_status: str | None = None
    from_: date | None = None  # received (started) from
    to: date | None = None
    ended_from: date | None = None
    ended_to: date | None = None
    due_from: date | None = None
    due_to: date | None = None
    handled_by: str | None = None  # a username: cases where they completed a step
    handled_by_department: str | None = None  # a department code: cases where it completed a step
    handled_from: date | None = None  # ...a step completed on or after (local date)
    handled_to: date | None = None
    sort: str = "-started_at"


def require_ledger_reader(actor: Actor) -> None:
    access.require_role(actor, *LEDGER_READERS)


def visible_branches(actor: Actor) -> list[ColumnElement[bool]] | None:
    """The ledger rows the actor may read, as separate conditions an index answers on its own (None:
    every row): the cases they applied for, their departments' own cases, the cases their departments
    have or had a task in (the rule of ``access.can_see_case``, read from the row's copies of the
    case's owner and applicant, which never change after the start), and for supervisors their
    departments' rows (lead department). :func:`list_ledger` pages them apart and merges them: one
    ``OR`` of them (or an ``IN`` over every visible case) made SQLite test every row."""
    if actor.reads_every_report or actor.sees_everything:
        return None
    codes = sorted(actor.departments)
    branches: list[ColumnElement[bool]] = []
    if actor.user_id is not None:
        branches.append(ledger_cases.c.applicant_user_id == actor.user_id)
    if codes:
        branches.append(ledger_cases.c.owner_department_code.in_(codes))
        worked_on = select(tasks.c.instance_id).where(tasks.c.department_code.in_(codes))
        branches.append(ledger_cases.c.instance_id.in_(worked_on))
        if actor.has("supervisor"):
            branches.append(ledger_cases.c.department_code.in_(codes))
    return branches


def visible_rows(actor: Actor) -> ColumnElement[bool] | None:
    """:func:`visible_branches` as one WHERE clause (None: every row)."""
    branches = visible_branches(actor)
    return None if branches is None else or_(false(), *branches)


def list_ledger(engine: ProcessEngine, actor: Actor, query: LedgerQuery, page: int, page_size: int) -> Page:
    require_ledger_reader(actor)
    check_window(query.from_, query.to)
    check_window(query.ended_from, query.ended_to, ("ended_from", "ended_to"))
    check_window(query.due_from, query.due_to, ("due_from", "due_to"))
    check_window(query.handled_from, query.handled_to, ("handled_from", "handled_to"))
    now = engine.clock.now()
    zone = engine.policy.zone

    def run(connection: Connection) -> Page:
        found = ledger_slice(connection, actor, filters(query, now, engine), query.sort, page, page_size,
                             engine.config.count_cap)
        status = judge(now, engine.calendar, engine.policy)
        today = now.astimezone(zone)
        items = tuple(_view(dict(r), status, engine, today) for r in found.rows)
        return Page(items, found.total, found.capped)

    return engine.query(run)


@dataclass(frozen=True)
class LedgerSlice:
    """One page of the ledger: its rows, and the total of the matching rows, exact or (``capped``) the
    cap its count stopped at."""

    total: int
    capped: bool
    rows: list[Any]


def ledger_page(
    connection: Connection, actor: Actor, conditions: list[ColumnElement[bool]], sort: str, page: int, page_size: int
) -> tuple[int, list[Any]]:
    """The exact total of the visible rows matching ``conditions`` and the rows of ``page`` sorted by
    ``sort`` (:func:`ledger_slice` without a cap)."""
    found = ledger_slice(connection, actor, conditions, sort, page, page_size)
    return found.total, found.rows


def ledger_slice(
    connection: Connection, actor: Actor, conditions: list[ColumnElement[bool]], sort: str, page: int,
    page_size: int, cap: int | None = None,
) -> LedgerSlice:
    """The rows of ``page`` among the visible rows matching ``conditions``, sorted by ``sort``
    (``field`` or ``-field``, nulls last) then number, and their total.

    For an actor who reads part of the ledger each branch of :func:`visible_branches` is counted on
    its own first (up to ``cap`` + 1 rows: past the cap the total is the cap, ``capped``); branches
    with no row are dropped, so a staff member whose rows all come from one branch gets one plain
    query; otherwise each remaining branch is paged on its own (its first ``page * page_size`` rows
    in order), the UNION of their tops gives the page, and the UNION of their ids (each at most
    ``cap`` + 1 rows) the total without duplicates. Every branch is a query an index answers: no
    UNION of every visible id is materialised just to count it.
    """
    column = ledger_cases.c[sort.lstrip("-")]
    descending = sort.startswith("-")
    order = column.desc().nulls_last() if descending else column.asc().nulls_last()
    offset = (page - 1) * page_size
    branches = visible_branches(actor)
    if branches is None:  # every row: one plain count and one plain page
        total, capped = _count(connection, _matching(conditions), cap)
        return LedgerSlice(total, capped, _rows(connection, conditions, order, offset, page_size))
    counted = list(zip(branches, _branch_counts(connection, conditions, branches, cap), strict=True))
    branches = [branch for branch, (n, _) in counted if n]
    if cap is not None and any(capped for _, (_, capped) in counted):  # one branch alone passes the cap
        total, capped = cap, True
    else:
        total, capped = _union_count(connection, conditions, branches, counted, cap)
    if not branches or (offset >= total and not capped):
        return LedgerSlice(total, capped, [])
    if len(branches) == 1:
        return LedgerSlice(total, capped, _rows(connection, [*conditions, branches[0]], order, offset, page_size))
    tops = [
        select(ledger_cases.c.instance_id, column.label("sort_key"), ledger_cases.c.number)
        .where(*conditions, branch)
        .order_by(order, ledger_cases.c.number)
        .limit(offset + page_size)
        .subquery()
        for branch in branches
    ]
    merged = union(*(select(top.c.instance_id, top.c.sort_key, top.c.number) for top in tops)).subquery()
    merged_order = merged.c.sort_key.desc() if descending else merged.c.sort_key.asc()
    ids = (
        select(merged.c.instance_id)
        .order_by(merged_order.nulls_last(), merged.c.number)
        .offset(offset)
        .limit(page_size)
    )
    rows = connection.execute(
        select(ledger_cases).where(ledger_cases.c.instance_id.in_(ids)).order_by(order, ledger_cases.c.number)
    ).mappings().all()
    return LedgerSlice(total, capped, list(rows))


def _rows(
    connection: Connection, conditions: list[ColumnElement[bool]], order: Any, offset: int, page_size: int
) -> list[Any]:
    query = select(ledger_cases).where(*conditions).order_by(order, ledger_cases.c.number)
    return list(connection.execute(query.offset(offset).limit(page_size)).mappings().all())


def _matching(conditions: list[ColumnElement[bool]]) -> Select[Any]:
    """The rows matching ``conditions``, to count: a constant column, so that an index holding every
    column the conditions read counts them alone (SQLite reads no table row for them)."""
    return select(literal_column("1")).select_from(ledger_cases).where(*conditions)


def _branch_counts(
    connection: Connection, conditions: list[ColumnElement[bool]], branches: list[ColumnElement[bool]],
    cap: int | None,
) -> list[tuple[int, bool]]:
    """Each branch's count of the rows matching ``conditions`` (up to ``cap`` + 1 rows: past it the
    count is the cap, capped), all in ONE statement of scalar sub-selects: one round trip instead of
    one per branch (on PostgreSQL each statement cost a round trip and a plan, the staff X07 default
    page's three counts most of its time), each sub-select still answered by its branch's index."""
    if not branches:
        return []
    limit = None if cap is None else cap + 1
    terms = [
        select(func.count()).select_from(_matching([*conditions, branch]).limit(limit).subquery()).scalar_subquery()
        for branch in branches
    ]
    counts = connection.execute(select(*terms)).one()
    if cap is None:
        return [(int(n), False) for n in counts]
    return [total_up_to_cap(n, cap) for n in counts]


def _count(connection: Connection, rows: Select[Any], cap: int | None) -> tuple[int, bool]:
    if cap is not None:
        return capped_count(connection, rows, cap)
    return int(connection.execute(select(func.count()).select_from(rows.subquery())).scalar_one()), False


def _union_count(
    connection: Connection, conditions: list[ColumnElement[bool]], branches: list[ColumnElement[bool]],
    counted: list[tuple[ColumnElement[bool], tuple[int, bool]]], cap: int | None,
) -> tuple[int, bool]:
    """The number of distinct rows of the non-empty ``branches``, none of which passes the cap: the
    branch's own count when there is one, else the count of the UNION of their ids (each branch at
    most ``cap`` rows, so the UNION holds at most ``len(branches) * cap``)."""
    if len(branches) <= 1:
        return sum(n for _, (n, _) in counted), False
    every = union(*(select(ledger_cases.c.instance_id).where(*conditions, b) for b in branches)).subquery()
    return _count(connection, select(every.c.instance_id), cap)


def filters(query: LedgerQuery, now: datetime, engine: ProcessEngine) -> list[ColumnElement[bool]]:
    """The WHERE conditions of ``query`` over ``ledger_cases`` (visibility apart)."""
    zone = engine.policy.zone
    conditions: list[ColumnElement[bool]] = []
    for name, value in query.equal.items():
        if value is not None:
            conditions.append(ledger_cases.c[name] == value)
    if query.step_department:
        conditions.append(
            ledger_cases.c.current_departments.like(f"%,{_like(query.step_department)},%", escape="\\")
        )
    conditions += within(ledger_cases.c.started_at, query.from_, query.to, zone)
    conditions += within(ledger_cases.c.ended_at, query.ended_from, query.ended_to, zone)
    conditions += within(ledger_cases.c.due_at, query.due_from, query.due_to, zone)
    handled = handled_cases(query, engine)
    if handled is not None:
        conditions.append(ledger_cases.c.instance_id.in_(handled))
    if query.due_status is not None:
        soon = soon_threshold(now, engine.calendar, engine.policy)
        due = ledger_cases.c.due_at
        conditions.append(ledger_cases.c.state.in_(("running", "error")))
        conditions.append(
            {
                "overdue": due < now,
                "due_soon": (due >= now) & (due <= soon),
                "on_time": due > soon,
            }[query.due_status]
        )
    return conditions


def handled_cases(query: LedgerQuery, engine: ProcessEngine) -> Any:
    """The cases with a step completed by ``handled_by`` / in ``handled_by_department`` / within the
    ``handled_*`` dates (all that are given, in ONE step), or None when none is given.

    The same task instances ``/reports/people`` and ``/reports/departments`` count (completed user
    steps outside the applicant lane, by their completion date), so a person's or department's row
    links to exactly the cases behind its count. Answered by the (completed_by, instance_id) and
    (department_code, instance_id) indexes of ``tasks``. An unknown username matches no case."""
    if not any((query.handled_by, query.handled_by_department, query.handled_from, query.handled_to)):
        return None
    steps = select(tasks.c.instance_id).where(
        tasks.c.kind == "user",
        tasks.c.state == "completed",
        or_(tasks.c.lane.is_(None), tasks.c.lane != APPLICANT_LANE),
        *within(tasks.c.ended_at, query.handled_from, query.handled_to, engine.policy.zone),
    )
    if query.handled_by is not None:
        user_id = select(users.c.id).where(users.c.username == query.handled_by).scalar_subquery()
        steps = steps.where(tasks.c.completed_by == user_id)
    if query.handled_by_department is not None:
        steps = steps.where(tasks.c.department_code == query.handled_by_department)
    return steps


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _view(row: dict[str, Any], status: Any, engine: ProcessEngine, today: datetime) -> dict[str, Any]:
    open_ = row["state"] in ("running", "error")
    started: datetime = row["started_at"]
    row["current_departments"] = [c for c in row["current_departments"].split(",") if c]
    row["current_steps"] = [s for s in row["current_steps"].split("; ") if s]
    row["extras"] = json.loads(row.pop("extra_json") or "{}")
    row["due_status"] = status(row["due_at"]) if open_ else None
    row["age_working_days"] = (
        engine.calendar.working_days_between(started.astimezone(today.tzinfo), today) if open_ else row["handling_days"]
    )
    return row
