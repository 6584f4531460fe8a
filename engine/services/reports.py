"""The figures: the summary over the ledger projection, the points rules, and the entry to the
department and people reports (``engine/services/report_tasks.py``).

Auditors, leaders and admins read every report; supervisors read their departments' rows; other
roles get 403. Every count is SQL over ``ledger_cases``; percentiles by nearest rank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, case, func, select
from sqlalchemy.sql import Select

from engine import access, points
from engine.actors import Actor
from engine.casework import CaseWork
from engine.errors import Forbidden
from engine.ledger import rebuild
from engine.persistence.tables import ledger_cases
from engine.report_sql import check_window, percentiles, rate, within
from engine.results import Page
from engine.services import report_tasks
from engine.services.ledger_list import LedgerQuery, list_ledger

if TYPE_CHECKING:
    from engine.core import ProcessEngine


@dataclass(frozen=True)
class ReportFilter:
    """``from``/``to``: local dates the cases were received (started) on, both included."""

    from_: date | None = None
    to: date | None = None
    process: str | None = None
    department: str | None = None
    category: str | None = None


def report_departments(actor: Actor) -> frozenset[str] | None:
    """None: every department; else the supervisor's own. Others may not read reports."""
    if actor.reads_every_report:
        return None
    if actor.has("supervisor"):
        return actor.departments
    raise Forbidden("reports are for auditors, leaders, admins and supervisors", code="role_required")


def _n(column: Any) -> Any:
    return func.coalesce(func.sum(case((column, 1), else_=0)), 0)


_COUNTS = {
    "received": func.count(),
    "accepted": _n(ledger_cases.c.accepted),
    "closed": _n(ledger_cases.c.closed),
    "open": _n(ledger_cases.c.state.in_(("running", "error"))),
    "cancelled": _n(ledger_cases.c.ended_how == "cancelled"),
    "terminated": _n(ledger_cases.c.ended_how == "terminated"),
    "closed_on_time": _n(ledger_cases.c.closed & (ledger_cases.c.on_time == True)),  # noqa: E712
    "closed_on_time_original": _n(ledger_cases.c.closed & (ledger_cases.c.on_time_original == True)),  # noqa: E712
    "closed_no_limit": _n(ledger_cases.c.closed & ledger_cases.c.on_time.is_(None)),
    "rated": func.count(ledger_cases.c.satisfaction),
    "satisfaction_sum": func.coalesce(func.sum(ledger_cases.c.satisfaction), 0),
}


def _figures(counts: dict[str, Any], handling: dict[int, int | None] | None) -> dict[str, Any]:
    c = {k: int(v) for k, v in counts.items() if k in _COUNTS}
    handling = handling or {}
    return {
        "received": c["received"],
        "accepted": c["accepted"],
        "closed": c["closed"],
        "open": c["open"],
        "cancelled": c["cancelled"],
        "terminated": c["terminated"],
        "closed_no_limit": c["closed_no_limit"],
        "acceptance_rate": rate(c["accepted"], c["received"]),
        "closure_rate": rate(c["closed"], c["accepted"]),
        "on_time_closure_rate": rate(c["closed_on_time"], c["closed"]),
        "on_time_closure_rate_original": rate(c["closed_on_time_original"], c["closed"]),
        "handling_days_median": handling.get(50),
        "handling_days_p90": handling.get(90),
        "satisfaction_average": round(c["satisfaction_sum"] / c["rated"], 2) if c["rated"] else None,
        "rated": c["rated"],
    }


class ReportService:
    def __init__(self, engine: ProcessEngine) -> None:
        self._engine = engine

    def ledger(self, actor: Actor, query: LedgerQuery, page: int, page_size: int) -> Page:
        return list_ledger(self._engine, actor, query, page, page_size)

    def _base(self, actor: Actor, where: ReportFilter) -> Select[Any]:
        check_window(where.from_, where.to)
        scope = report_departments(actor)
        base = select(ledger_cases).where(
            *within(ledger_cases.c.started_at, where.from_, where.to, self._engine.policy.zone)
        )
        if scope is not None:
            base = base.where(ledger_cases.c.department_code.in_(sorted(scope)))
        for column, value in (
            ("process_key", where.process), ("department_code", where.department), ("category", where.category)
        ):
            if value is not None:
                base = base.where(ledger_cases.c[column] == value)
        return base

    def summary(self, actor: Actor, where: ReportFilter) -> dict[str, Any]:
        """The totals, rates and handling times, and the same per department, category and month."""
        base = self._base(actor, where)
        closed = base.where(ledger_cases.c.closed == True)  # noqa: E712

        def run(connection: Connection) -> dict[str, Any]:
            total = connection.execute(base.with_only_columns(*(v.label(k) for k, v in _COUNTS.items()))).mappings()
            overall = _figures(dict(total.one()), percentiles(connection, closed, ledger_cases.c.handling_days, None)
                               .get(None))
            groups = {}
            for name, column in (("by_department", ledger_cases.c.department_code), ("by_category",
                                                                                     ledger_cases.c.category)):
                groups[name] = self._grouped(connection, base, closed, column)
            months = self._months(connection, base, closed)
            return {"filters": _filters(where), **overall, **groups, "by_month": months}

        return self._engine.query(run)

    @staticmethod
    def _grouped(connection: Connection, base: Select[Any], closed: Select[Any], column: Any) -> list[dict[str, Any]]:
        rows = connection.execute(
            base.with_only_columns(column.label("key"), *(v.label(k) for k, v in _COUNTS.items()))
            .group_by(column)
            .order_by(column)
        ).mappings()
        handling = percentiles(connection, closed, ledger_cases.c.handling_days, column)
        return [{"key": r["key"], **_figures(dict(r), handling.get(r["key"]))} for r in rows]

    @staticmethod
    def _months(connection: Connection, base: Select[Any], closed: Select[Any]) -> list[dict[str, Any]]:
        """Received cases by start month; closed cases by closure month."""
        received = connection.execute(
            base.with_only_columns(ledger_cases.c.start_month, func.count(), _n(ledger_cases.c.accepted))
            .group_by(ledger_cases.c.start_month)
        ).all()
        closures = connection.execute(
            closed.with_only_columns(
                ledger_cases.c.end_month, func.count(), _n(ledger_cases.c.on_time == True)  # noqa: E712
            ).group_by(ledger_cases.c.end_month)
        ).all()
        months: dict[str, dict[str, Any]] = {}
        for month, count, accepted in received:
            months.setdefault(month, {"month": month, "received": 0, "accepted": 0, "closed": 0, "closed_on_time": 0})
            months[month].update(received=int(count), accepted=int(accepted))
        for month, count, on_time in closures:
            months.setdefault(month, {"month": month, "received": 0, "accepted": 0, "closed": 0, "closed_on_time": 0})
            months[month].update(closed=int(count), closed_on_time=int(on_time))
        return [months[m] for m in sorted(months)]

    def departments(self, actor: Actor, where: ReportFilter) -> dict[str, Any]:
        return self._tasks(actor, where, "department")

    def people(self, actor: Actor, where: ReportFilter) -> dict[str, Any]:
        return self._tasks(actor, where, "person")

    def _tasks(self, actor: Actor, where: ReportFilter, by: str) -> dict[str, Any]:
        check_window(where.from_, where.to)
        scope = report_departments(actor)

        def run(connection: Connection) -> dict[str, Any]:
            rules = points.rules_in_force(connection)
            rows = report_tasks.tally(connection, self._engine, where, scope, rules, by)
            return {"filters": _filters(where), "rules": rules, "rows": rows}

        return self._engine.query(run)

    def points_rules(self, actor: Actor) -> dict[str, int]:
        report_departments(actor)
        return self._engine.query(points.rules_in_force)

    def set_points_rules(self, actor: Actor, rules: dict[str, Any]) -> dict[str, int]:
        access.require_role(actor, "admin")
        checked = points.check_rules(rules)

        def act(work: CaseWork) -> dict[str, int]:
            merged = points.store_rules(work.connection, checked, work.now, actor.username)
            work.record(action="points_rules.changed", details={"set": checked, "in_force": merged})
            return merged

        return self._engine.command(actor, act)

    def rebuild(self, actor: Actor) -> int:
        """Recompute every ledger row (``wutong report rebuild``), e.g. after calendar overrides change."""
        access.require_role(actor, "admin")
        return rebuild(self._engine)


def _filters(where: ReportFilter) -> dict[str, Any]:
    return {
        "from": where.from_.isoformat() if where.from_ else None,
        "to": where.to.isoformat() if where.to else None,
        "process": where.process,
        "department": where.department,
        "category": where.category,
    }
