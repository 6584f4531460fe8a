"""``/reports/departments`` and ``/reports/people``: the task instances each handled, and their points.

A department is credited with the task instances it handled (completed in the window, by local
date); a person with those they completed. Steps of the ``applicant`` lane (the company's own
confirmation and rating) are nobody's work here. Times to claim and to complete are in hours, medians by
nearest rank. Overdue working days per late completion: ``working_days_between(local due date,
local completion date)``, at least 1. Ratings: a department is credited with the ratings of the
cases it leads, a person with those of the cases they completed a step in (closed in the window).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, func, or_, select

from engine import points
from engine.definitions import APPLICANT_LANE
from engine.persistence.tables import audit_events, escalations, ledger_cases, tasks, users
from engine.report_sql import nearest_rank, rate, within

if TYPE_CHECKING:
    from engine.core import ProcessEngine
    from engine.services.reports import ReportFilter


def _hours(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 3600, 2)


def tally(
    connection: Connection,
    engine: ProcessEngine,
    where: ReportFilter,
    scope: Collection[str] | None,
    rules: dict[str, int],
    by: str,
) -> list[dict[str, Any]]:
    """One row per department (``by="department"``) or person, ranked by points, then by name."""
    zone = engine.policy.zone
    claimed = (
        select(audit_events.c.task_id, func.min(audit_events.c.at).label("claimed_at"))
        .where(audit_events.c.action == "task.claimed")
        .group_by(audit_events.c.task_id)
        .subquery()
    )
    query = (
        select(tasks, claimed.c.claimed_at, ledger_cases.c.satisfaction)
        .join(ledger_cases, ledger_cases.c.instance_id == tasks.c.instance_id)
        .outerjoin(claimed, claimed.c.task_id == tasks.c.id)
        .where(tasks.c.kind == "user", tasks.c.state == "completed")
        .where(or_(tasks.c.lane.is_(None), tasks.c.lane != APPLICANT_LANE))  # the company's own steps are no one's work
        .where(*within(tasks.c.ended_at, where.from_, where.to, zone))
    )
    query = _case_filters(query, where, scope)
    key_column = "department_code" if by == "department" else "completed_by"
    groups: dict[Any, dict[str, Any]] = defaultdict(_empty)
    for found in connection.execute(query).mappings():
        row = dict(found)
        key = row[key_column]
        if key is None:
            continue
        g = groups[key]
        g["handled"] += 1
        g["complete_hours"].append(_hours(row["created_at"], row["ended_at"]))
        if row["claimed_at"] is not None:
            g["claim_hours"].append(_hours(row["created_at"], row["claimed_at"]))
        if row["due_at"] is not None:
            g["with_due"] += 1
            if row["ended_at"] <= row["due_at"]:
                g["on_time"] += 1
            else:
                g["overdue"] += 1
                late = engine.calendar.working_days_between(
                    row["due_at"].astimezone(zone), row["ended_at"].astimezone(zone)
                )
                g["overdue_days"] += max(1, late)
        g["cases"].add(row["instance_id"])
    _escalations(connection, engine, where, scope, by, groups)
    _send_backs(connection, engine, where, scope, by, groups)
    _ratings(connection, engine, where, scope, by, groups, rules)
    names = _names(connection, list(groups)) if by == "person" else {}
    result: list[dict[str, Any]] = []
    for key, g in groups.items():
        result.append({
            "key": key,
            "name": names.get(key),
            "handled": g["handled"],
            "claim_hours_median": nearest_rank(g["claim_hours"], 50),
            "complete_hours_median": nearest_rank(g["complete_hours"], 50),
            "overdue": g["overdue"],
            "overdue_working_days": g["overdue_days"],
            "on_time_rate": rate(g["on_time"], g["with_due"]),
            "escalations": g["escalations"],
            "send_backs_received": g["send_backs"],
            "satisfied": g["satisfied"],
            "unsatisfied": g["unsatisfied"],
            "points": points.tally(g, rules),
        })
    result.sort(key=lambda r: (-r["points"], str(r["key"])))
    for place, row in enumerate(result, start=1):
        row["rank"] = place
    return result


def _empty() -> dict[str, Any]:
    return {
        "handled": 0, "with_due": 0, "on_time": 0, "overdue": 0, "overdue_days": 0, "escalations": 0,
        "send_backs": 0, "satisfied": 0, "unsatisfied": 0, "claim_hours": [], "complete_hours": [],
        "cases": set(),
    }


def _case_filters(query: Any, where: ReportFilter, scope: Collection[str] | None) -> Any:
    if where.process is not None:
        query = query.where(ledger_cases.c.process_key == where.process)
    if where.category is not None:
        query = query.where(ledger_cases.c.category == where.category)
    if where.department is not None:
        query = query.where(tasks.c.department_code == where.department)
    if scope is not None:
        query = query.where(tasks.c.department_code.in_(sorted(scope)))
    return query


def _escalations(
    connection: Connection, engine: ProcessEngine, where: ReportFilter, scope: Collection[str] | None, by: str,
    groups: dict[Any, dict[str, Any]],
) -> None:
    query = (
        select(tasks.c.department_code, tasks.c.completed_by, tasks.c.assignee_user_id)
        .select_from(escalations.join(tasks, tasks.c.id == escalations.c.task_id))
        .join(ledger_cases, ledger_cases.c.instance_id == tasks.c.instance_id)
        .where(*within(escalations.c.created_at, where.from_, where.to, engine.policy.zone))
    )
    for row in connection.execute(_case_filters(query, where, scope)):
        key = row.department_code if by == "department" else (row.completed_by or row.assignee_user_id)
        if key is not None:
            groups[key]["escalations"] += 1


def _send_backs(
    connection: Connection, engine: ProcessEngine, where: ReportFilter, scope: Collection[str] | None, by: str,
    groups: dict[Any, dict[str, Any]],
) -> None:
    """A send-back is received by the department (and last completer) of the step it reopens."""
    events = connection.execute(
        select(audit_events.c.instance_id, audit_events.c.details).where(
            audit_events.c.action == "task.sent_back",
            *within(audit_events.c.at, where.from_, where.to, engine.policy.zone),
        )
    ).all()
    for event in events:
        target = (event.details or {}).get("to")
        query = (
            select(tasks.c.department_code, tasks.c.completed_by, tasks.c.assignee_user_id)
            .join(ledger_cases, ledger_cases.c.instance_id == tasks.c.instance_id)
            .where(and_(tasks.c.instance_id == event.instance_id, tasks.c.activity_id == target))
        )
        for row in connection.execute(_case_filters(query, where, scope)):
            key = row.department_code if by == "department" else (row.completed_by or row.assignee_user_id)
            if key is not None:
                groups[key]["send_backs"] += 1


def _ratings(
    connection: Connection, engine: ProcessEngine, where: ReportFilter, scope: Collection[str] | None, by: str,
    groups: dict[Any, dict[str, Any]], rules: dict[str, int],
) -> None:
    rated = (
        select(ledger_cases.c.instance_id, ledger_cases.c.department_code, ledger_cases.c.satisfaction)
        .where(ledger_cases.c.satisfaction.is_not(None))
        .where(*within(ledger_cases.c.ended_at, where.from_, where.to, engine.policy.zone))
    )
    if where.process is not None:
        rated = rated.where(ledger_cases.c.process_key == where.process)
    if where.category is not None:
        rated = rated.where(ledger_cases.c.category == where.category)
    credited: dict[str, list[Any]] = defaultdict(list)
    for row in connection.execute(rated):
        if by == "department":
            if (where.department is None or row.department_code == where.department) and (
                scope is None or row.department_code in scope
            ):
                credited[row.instance_id].append(row.department_code)
        else:
            credited[row.instance_id] = [k for k, g in groups.items() if row.instance_id in g["cases"]]
        for key in credited[row.instance_id]:
            g = groups[key]
            if row.satisfaction >= rules["satisfied_threshold"]:
                g["satisfied"] += 1
            elif row.satisfaction <= rules["unsatisfied_threshold"]:
                g["unsatisfied"] += 1


def _names(connection: Connection, ids: list[Any]) -> dict[Any, str]:
    if not ids:
        return {}
    rows = connection.execute(select(users.c.id, users.c.username).where(users.c.id.in_(ids))).all()
    return {r.id: r.username for r in rows}
