"""The ledger (问题办理台账) and the figures: summary, departments, people, and the points rules."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Response

from engine.services.ledger_list import EQUAL_FILTERS, EXPORT_COLUMNS, LedgerQuery
from engine.services.reports import ReportFilter
from webapi.auth import current_actor, current_engine
from webapi.blueprints.common import COUNTED_PAGINATION_HEADERS, documents, page_of, protected_blueprint
from webapi.ledger_export import to_csv, to_xlsx
from webapi.schemas.reports import (
    HandlersReportSchema,
    LedgerQuerySchema,
    LedgerRowSchema,
    PointsRulesSchema,
    ReportQuerySchema,
    SummarySchema,
)

blp = protected_blueprint("reports", __name__, "The ledger and the figures auditors and leaders read.")
EXPORT_LIMIT = 50_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ledger_query(args: dict[str, Any]) -> LedgerQuery:
    return LedgerQuery(
        equal={name: args.get(name) for name in EQUAL_FILTERS},
        step_department=args.get("step_department"),
        due_status=args.get("due_status"),
        from_=args.get("from_"),
        to=args.get("to"),
        ended_from=args.get("ended_from"),
        ended_to=args.get("ended_to"),
        due_from=args.get("due_from"),
        due_to=args.get("due_to"),
        handled_by=args.get("handled_by"),
        handled_by_department=args.get("handled_by_department"),
        handled_from=args.get("handled_from"),
        handled_to=args.get("handled_to"),
        sort=args["sort"],
    )


def _report_filter(args: dict[str, Any]) -> ReportFilter:
    return ReportFilter(
        from_=args.get("from_"), to=args.get("to"), process=args.get("process"),
        department=args.get("department"), category=args.get("category"),
    )


@blp.route("/ledger", methods=["GET"])
@blp.arguments(LedgerQuerySchema, location="query")
@blp.response(200, LedgerRowSchema(many=True), headers=COUNTED_PAGINATION_HEADERS)
@documents(blp, 403, 422)
def ledger(args: dict[str, Any]) -> Any:
    """One row per case the caller may see (auditors, leaders, admins: all; supervisors: their
    departments' and visible cases; staff: visible cases), filtered, sorted and paged in the database.
    With `format=csv|xlsx` every matching row as a download."""
    engine = current_engine()
    query = _ledger_query(args)
    fmt = args.get("format")
    if fmt is not None:
        page = engine.reports.ledger(current_actor(), query, 1, EXPORT_LIMIT)
        zone = ZoneInfo(engine.config.time_zone)
        disposition = {"Content-Disposition": f'attachment; filename="ledger.{fmt}"'}
        if fmt == "xlsx":
            return Response(to_xlsx(page.items, EXPORT_COLUMNS, zone), mimetype=XLSX, headers=disposition)
        return Response(to_csv(page.items, EXPORT_COLUMNS, zone), mimetype="text/csv", headers=disposition)
    page = engine.reports.ledger(current_actor(), query, args["page"], args["page_size"])
    return page_of(page.items, page.total, args, capped=page.capped)


@blp.route("/reports/summary", methods=["GET"])
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, SummarySchema)
@documents(blp, 403, 422)
def summary(args: dict[str, Any]) -> Any:
    """Received, accepted, closed, open, cancelled; acceptance, closure and on-time closure rates;
    handling days (median, 90th percentile); satisfaction; and the same per department, category, month."""
    return current_engine().reports.summary(current_actor(), _report_filter(args))


@blp.route("/reports/departments", methods=["GET"])
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, HandlersReportSchema)
@documents(blp, 403, 422)
def departments(args: dict[str, Any]) -> Any:
    """Per department: task instances handled, times to claim and complete, overdue, on-time rate,
    escalations, send-backs received and points, ranked; with the points rules in force."""
    return current_engine().reports.departments(current_actor(), _report_filter(args))


@blp.route("/reports/people", methods=["GET"])
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, HandlersReportSchema)
@documents(blp, 403, 422)
def people(args: dict[str, Any]) -> Any:
    """The same per person (the user who completed the task instances)."""
    return current_engine().reports.people(current_actor(), _report_filter(args))


@blp.route("/reports/points-rules", methods=["GET"])
@blp.response(200, PointsRulesSchema)
@documents(blp, 403)
def get_points_rules() -> Any:
    """The points rules in force (every rule, defaults for those never set)."""
    return current_engine().reports.points_rules(current_actor())


@blp.route("/reports/points-rules", methods=["PUT"])
@blp.arguments(PointsRulesSchema)
@blp.response(200, PointsRulesSchema)
@documents(blp, 403, 422)
def put_points_rules(args: dict[str, Any]) -> Any:
    """Admins: set some or all rules (others keep theirs); every tally is recomputed from history."""
    return current_engine().reports.set_points_rules(current_actor(), args)
