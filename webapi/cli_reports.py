"""``wutong report …``: the figures for operators (the same as ``/reports/*``), and ``report rebuild``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import click

from engine import SYSTEM
from engine.services.reports import ReportFilter

FORMATS = ("table", "csv", "json")
SUMMARY_COLUMNS = ("key", "received", "accepted", "closed", "open", "cancelled", "terminated", "acceptance",
                   "closure", "on_time_closure", "handling_days_median", "handling_days_p90", "satisfaction")
HANDLER_COLUMNS = ("rank", "key", "name", "handled", "claim_hours_median", "complete_hours_median", "overdue",
                   "overdue_working_days", "on_time", "escalations", "send_backs_received", "satisfied",
                   "unsatisfied", "points")


def open_engine() -> Any:
    from webapi.cli import open_engine as opened  # the CLI's own (imported late: webapi.cli registers us)

    return opened()


@click.group()
def report() -> None:
    """The ledger's figures (as an admin), and rebuilding the ledger projection."""


def _filters(func: Any) -> Any:
    func = click.option("--category", default=None, help="Only this category.")(func)
    func = click.option("--department", default=None, help="Only cases of this (lead) department.")(func)
    func = click.option("--process", default=None, help="Only this process key.")(func)
    func = click.option("--to", "to", type=click.DateTime(["%Y-%m-%d"]), default=None,
                        help="Received on or before this local date (YYYY-MM-DD).")(func)
    func = click.option("--from", "from_", type=click.DateTime(["%Y-%m-%d"]), default=None,
                        help="Received on or after this local date (YYYY-MM-DD).")(func)
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)(func)


def _where(from_: Any, to: Any, process: str | None, department: str | None, category: str | None) -> ReportFilter:
    def day(value: Any) -> date | None:
        return value.date() if value is not None else None

    return ReportFilter(day(from_), day(to), process, department, category)


def _percent(value: dict[str, Any]) -> str:
    if value["percent"] is None:
        return "-"
    return f"{value['percent']}% ({value['numerator']}/{value['denominator']})"


def _summary_row(key: str, figures: dict[str, Any]) -> list[Any]:
    return [key, figures["received"], figures["accepted"], figures["closed"], figures["open"],
            figures["cancelled"], figures["terminated"], _percent(figures["acceptance_rate"]),
            _percent(figures["closure_rate"]), _percent(figures["on_time_closure_rate"]),
            figures["handling_days_median"], figures["handling_days_p90"], figures["satisfaction_average"]]


def _print(columns: Sequence[str], rows: list[list[Any]], fmt: str) -> None:
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
        click.echo(out.getvalue(), nl=False)
        return
    text = [[str(c) for c in columns]] + [["-" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in text) for i in range(len(columns))]
    for row in text:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@report.command("summary")
@_filters
def report_summary(fmt: str, **filters: Any) -> None:
    """Received, accepted, closed, open, cancelled, the rates and handling days; per department and category."""
    with open_engine() as engine:
        body = engine.reports.summary(SYSTEM, _where(**filters))
    if fmt == "json":
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    rows = [_summary_row("(all)", body)]
    rows += [_summary_row(f"department {_shown(g['key'])}", g) for g in body["by_department"]]
    rows += [_summary_row(f"category {_shown(g['key'])}", g) for g in body["by_category"]]
    _print(SUMMARY_COLUMNS, rows, fmt)


def _shown(key: str | None) -> str:
    """A group's key as the table shows it: cases whose process declares no such column are "(none)"."""
    return "(none)" if key is None else key


def _handlers(kind: str, fmt: str, filters: dict[str, Any]) -> None:
    with open_engine() as engine:
        method = engine.reports.departments if kind == "departments" else engine.reports.people
        body = method(SYSTEM, _where(**filters))
    if fmt == "json":
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    rows = [[r["rank"], r["key"], r["name"], r["handled"], r["claim_hours_median"], r["complete_hours_median"],
             r["overdue"], r["overdue_working_days"], _percent(r["on_time_rate"]), r["escalations"],
             r["send_backs_received"], r["satisfied"], r["unsatisfied"], r["points"]] for r in body["rows"]]
    _print(HANDLER_COLUMNS, rows, fmt)


@report.command("departments")
@_filters
def report_departments(fmt: str, **filters: Any) -> None:
    """Per department: task instances handled, times, overdue, on-time rate, escalations, send-backs, points."""
    _handlers("departments", fmt, filters)


@report.command("people")
@_filters
def report_people(fmt: str, **filters: Any) -> None:
    """The same per person."""
    _handlers("people", fmt, filters)


@report.command("rebuild")
def report_rebuild() -> None:
    """Recompute every ledger row (run after working-day calendar overrides change)."""
    with open_engine() as engine:
        count = engine.reports.rebuild(SYSTEM)
    click.echo(f"ledger rebuilt: {count} cases")
