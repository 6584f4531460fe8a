"""The figures: the summary over the ledger projection, the points rules, and the entry to the
department and people reports (``engine/services/report_tasks.py``).

Auditors, leaders and admins read every report; supervisors read their departments' rows; other
roles get 403. Every count is SQL over ``ledger_cases``; percentiles by nearest rank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from operator import add
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, case, func, select
from sqlalchemy.sql import Select

from engine import access, ledger_totals, points
from engine.actors import Actor
from engine.commands.reports import SetPointsRules
from engine.errors import Forbidden
from engine.ledger import rebuild
from engine.persistence.tables import ledger_cases
from engine.report_sql import check_window, nearest_rank_of_counts, rate, split_by_month, within
from engine.results import Page
from engine.services import report_tasks
from engine.services.ledger_list import LedgerQuery, list_ledger

if TYPE_CHECKING:
    from engine.core import ProcessEngine


@dataclass(frozen=True)
class ReportFilter:
    """``from``/``to``: local dates the cases were received (started) on, both included; the departments'
    and people's reports read them as the dates their task instances were completed on."""

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
    """The ledger, the summary, the department and people reports, and the points rules."""

    def __init__(self, engine: ProcessEngine) -> None:
        self._engine = engine

    def ledger(self, actor: Actor, query: LedgerQuery, page: int, page_size: int) -> Page:
        return list_ledger(self._engine, actor, query, page, page_size)

    def _base(
        self, scope: frozenset[str] | None, where: ReportFilter, from_: date | None, to: date | None
    ) -> Select[Any]:
        base = select(ledger_cases).where(*within(ledger_cases.c.started_at, from_, to, self._engine.policy.zone))
        if scope is not None:
            base = base.where(ledger_cases.c.department_code.in_(sorted(scope)))
        for column, value in (
            ("process_key", where.process), ("department_code", where.department), ("category", where.category)
        ):
            if value is not None:
                base = base.where(ledger_cases.c[column] == value)
        return base

    def summary(self, actor: Actor, where: ReportFilter) -> dict[str, Any]:
        """The totals, rates and handling times, and the same per department, category and month.

        The whole start months of the window are read from the monthly totals (``engine/ledger_totals.py``),
        the partial months at its edges by three grouped scans of the ledger; both give counts by
        department, category and start month, closed cases by department, category and handling day,
        and closures by closure month, rolled up here: the percentiles come from the exact counts per
        handling day, by nearest rank.
        """
        check_window(where.from_, where.to)
        scope = report_departments(actor)
        months, edges = split_by_month(where.from_, where.to)
        equal = {"process_key": where.process, "department_code": where.department, "category": where.category}

        def run(connection: Connection) -> dict[str, Any]:
            cells, histogram, closures = (
                ledger_totals.read_months(connection, months, equal, scope) if months else ([], [], [])
            )
            for from_, to in edges:
                more = _scan(connection, self._base(scope, where, from_, to))
                cells, histogram, closures = cells + more[0], histogram + more[1], closures + more[2]
            return {
                "filters": _filters(where),
                **_figures(*_rolled_up(cells, histogram, None).get(None, _NOTHING)),
                "by_department": _group_figures(cells, histogram, 0),
                "by_category": _group_figures(cells, histogram, 1),
                "by_month": _months(cells, closures),
            }

        return self._engine.query(run)

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

        return self._engine.execute(SetPointsRules(actor=actor, rules=checked))

    def rebuild(self, actor: Actor) -> int:
        """Recompute every ledger row (``wutong report rebuild``), e.g. after calendar overrides change."""
        access.require_role(actor, "admin")
        return rebuild(self._engine)


def _scan(
    connection: Connection, base: Select[Any]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The three grouped scans of the ledger rows ``base`` selects, in ``ledger_totals.read_months``' shapes."""
    closed = base.where(ledger_cases.c.closed == True)  # noqa: E712
    keys = (ledger_cases.c.department_code, ledger_cases.c.category, ledger_cases.c.start_month)
    days = ledger_cases.c.handling_days
    cells = [
        (*row[:3], *(int(v) for v in row[3:]))
        for row in connection.execute(
            base.with_only_columns(*keys, *(v.label(k) for k, v in _COUNTS.items())).group_by(*keys)
        )
    ]
    histogram = connection.execute(
        closed.with_only_columns(keys[0], keys[1], days, func.count())
        .where(days.is_not(None))
        .group_by(keys[0], keys[1], days)
    ).all()
    closures = connection.execute(
        closed.with_only_columns(
            ledger_cases.c.end_month, func.count(), _n(ledger_cases.c.on_time == True)  # noqa: E712
        ).group_by(ledger_cases.c.end_month)
    ).all()
    return cells, [tuple(r) for r in histogram], [tuple(r) for r in closures]


_NOTHING: tuple[dict[str, int], dict[int, int | None]] = (dict.fromkeys(_COUNTS, 0), {50: None, 90: None})


def _rolled_up(
    cells: list[tuple[Any, ...]], histogram: Any, index: int | None
) -> dict[Any, tuple[dict[str, int], dict[int, int | None]]]:
    """Counts and handling-day percentiles per value of key ``index`` (0 department, 1 category;
    None: everything under the key None), in one pass over the grouped rows."""
    sums: dict[Any, list[int]] = {}
    for cell in cells:
        key = cell[index] if index is not None else None
        total = sums.get(key)
        sums[key] = list(cell[3:]) if total is None else list(map(add, total, cell[3:]))
    days: dict[Any, dict[int, int]] = {}
    for department, category, value, count in histogram:
        bucket = days.setdefault((department, category)[index] if index is not None else None, {})
        bucket[value] = bucket.get(value, 0) + count
    return {
        key: (dict(zip(_COUNTS, total, strict=True)),
              {p: nearest_rank_of_counts(days.get(key, {}), p) for p in (50, 90)})
        for key, total in sums.items()
    }


def _group_figures(cells: list[tuple[Any, ...]], histogram: Any, index: int) -> list[dict[str, Any]]:
    rolled = _rolled_up(cells, histogram, index)
    ordered = sorted(rolled, key=lambda v: (v is None, v or ""))
    return [{"key": key, **_figures(*rolled[key])} for key in ordered]


def _months(cells: list[tuple[Any, ...]], closures: Any) -> list[dict[str, Any]]:
    """Received cases by start month; closed cases by closure month."""
    months: dict[str, dict[str, Any]] = {}

    def month(name: str) -> dict[str, Any]:
        return months.setdefault(name, {"month": name, "received": 0, "accepted": 0, "closed": 0, "closed_on_time": 0})

    received, accepted = 3 + list(_COUNTS).index("received"), 3 + list(_COUNTS).index("accepted")
    for cell in cells:
        entry = month(cell[2])
        entry["received"] += cell[received]
        entry["accepted"] += cell[accepted]
    for name, count, on_time in closures:
        entry = month(name)
        entry["closed"] += int(count)
        entry["closed_on_time"] += int(on_time)
    return [months[m] for m in sorted(months)]


def _filters(where: ReportFilter) -> dict[str, Any]:
    return {
        "from": where.from_.isoformat() if where.from_ else None,
        "to": where.to.isoformat() if where.to else None,
        "process": where.process,
        "department": where.department,
        "category": where.category,
    }
