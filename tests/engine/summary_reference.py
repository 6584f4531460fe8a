"""The summary computed the plain way, for tests that check the optimized one against it: every ledger
row read into Python, filtered, counted and ranked one by one (no SQL grouping, no monthly totals)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from engine import ProcessEngine
from engine.persistence.tables import ledger_cases
from engine.report_sql import nearest_rank
from engine.services.reports import _COUNTS, ReportFilter, _figures, _filters


def plain_summary(engine: ProcessEngine, where: ReportFilter, departments: frozenset[str] | None = None) -> Any:
    zone = engine.policy.zone
    rows = engine.query(lambda c: [dict(r) for r in c.execute(select(ledger_cases)).mappings()])

    def keep(row: dict[str, Any]) -> bool:
        day: date = row["started_at"].astimezone(zone).date()
        return (
            (where.from_ is None or day >= where.from_) and (where.to is None or day <= where.to)
            and (where.process is None or row["process_key"] == where.process)
            and (where.department is None or row["department_code"] == where.department)
            and (where.category is None or row["category"] == where.category)
            and (departments is None or row["department_code"] in departments)
        )

    chosen = [row for row in rows if keep(row)]

    def figures(group: list[dict[str, Any]]) -> dict[str, Any]:
        closed = [r for r in group if r["closed"]]
        counts = {
            "received": len(group),
            "accepted": sum(1 for r in group if r["accepted"]),
            "closed": len(closed),
            "open": sum(1 for r in group if r["state"] in ("running", "error")),
            "cancelled": sum(1 for r in group if r["ended_how"] == "cancelled"),
            "terminated": sum(1 for r in group if r["ended_how"] == "terminated"),
            "closed_on_time": sum(1 for r in closed if r["on_time"] is True),
            "closed_on_time_original": sum(1 for r in closed if r["on_time_original"] is True),
            "closed_no_limit": sum(1 for r in closed if r["on_time"] is None),
            "rated": sum(1 for r in group if r["satisfaction"] is not None),
            "satisfaction_sum": sum(r["satisfaction"] or 0 for r in group),
        }
        assert set(counts) == set(_COUNTS)
        days = [r["handling_days"] for r in closed if r["handling_days"] is not None]
        return _figures(counts, {50: nearest_rank(days, 50), 90: nearest_rank(days, 90)})

    def grouped(column: str) -> list[dict[str, Any]]:
        keys = sorted({r[column] for r in chosen}, key=lambda v: (v is None, v or ""))
        return [{"key": k, **figures([r for r in chosen if r[column] == k])} for k in keys]

    months: dict[str, dict[str, Any]] = {}
    for row in chosen:
        entry = months.setdefault(row["start_month"], {"month": row["start_month"], "received": 0, "accepted": 0,
                                                       "closed": 0, "closed_on_time": 0})
        entry["received"] += 1
        entry["accepted"] += 1 if row["accepted"] else 0
    for row in chosen:
        if row["closed"]:
            entry = months.setdefault(row["end_month"], {"month": row["end_month"], "received": 0, "accepted": 0,
                                                         "closed": 0, "closed_on_time": 0})
            entry["closed"] += 1
            entry["closed_on_time"] += 1 if row["on_time"] is True else 0
    return {
        "filters": _filters(where),
        **figures(chosen),
        "by_department": grouped("department_code"),
        "by_category": grouped("category"),
        "by_month": [months[m] for m in sorted(months)],
    }
