"""``GET /ledger``: the ledger (问题办理台账) read from its projection, filtered, sorted and paged in SQL."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, or_, select
from sqlalchemy.sql import ColumnElement, Select

from engine import access
from engine.access.cases import visible_case_ids  # the SQL twin of access.can_see_case
from engine.actors import Actor
from engine.deadlines import judge, soon_threshold
from engine.persistence.tables import ledger_cases
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
    sort: str = "-started_at"


def require_ledger_reader(actor: Actor) -> None:
    access.require_role(actor, *LEDGER_READERS)


def visible_rows(actor: Actor) -> ColumnElement[bool] | None:
    """None for those who read every row; else the cases the actor may see (supervisors: also their
    departments' rows)."""
    if actor.reads_every_report:
        return None
    codes = sorted(actor.departments)
    condition = ledger_cases.c.instance_id.in_(visible_case_ids(actor))
    if actor.has("supervisor"):
        return or_(ledger_cases.c.department_code.in_(codes), condition)
    return condition


def list_ledger(engine: ProcessEngine, actor: Actor, query: LedgerQuery, page: int, page_size: int) -> Page:
    require_ledger_reader(actor)
    check_window(query.from_, query.to)
    check_window(query.ended_from, query.ended_to, ("ended_from", "ended_to"))
    check_window(query.due_from, query.due_to, ("due_from", "due_to"))
    now = engine.clock.now()
    zone = engine.policy.zone

    def run(connection: Connection) -> Page:
        base = _filtered(select(ledger_cases), actor, query, now, engine)
        total = connection.execute(base.with_only_columns(func.count()).order_by(None)).scalar_one()
        column = ledger_cases.c[query.sort.lstrip("-")]
        order = column.desc().nulls_last() if query.sort.startswith("-") else column.asc().nulls_last()
        rows = connection.execute(
            base.order_by(order, ledger_cases.c.number).limit(page_size).offset((page - 1) * page_size)
        ).mappings()
        status = judge(now, engine.calendar, engine.policy)
        today = now.astimezone(zone)
        items = tuple(_view(dict(r), status, engine, today) for r in rows)
        return Page(items, int(total))

    return engine.query(run)


def _filtered(base: Select[Any], actor: Actor, query: LedgerQuery, now: datetime, engine: ProcessEngine) -> Select[Any]:
    zone = engine.policy.zone
    visible = visible_rows(actor)
    if visible is not None:
        base = base.where(visible)
    for name, value in query.equal.items():
        if value is not None:
            base = base.where(ledger_cases.c[name] == value)
    if query.step_department:
        base = base.where(ledger_cases.c.current_departments.like(f"%,{_like(query.step_department)},%", escape="\\"))
    base = base.where(*within(ledger_cases.c.started_at, query.from_, query.to, zone))
    base = base.where(*within(ledger_cases.c.ended_at, query.ended_from, query.ended_to, zone))
    base = base.where(*within(ledger_cases.c.due_at, query.due_from, query.due_to, zone))
    if query.due_status is not None:
        open_ = ledger_cases.c.state.in_(("running", "error"))
        soon = soon_threshold(now, engine.calendar, engine.policy)
        due = ledger_cases.c.due_at
        base = base.where(
            open_,
            {
                "overdue": due < now,
                "due_soon": (due >= now) & (due <= soon),
                "on_time": due > soon,
            }[query.due_status],
        )
    return base


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
