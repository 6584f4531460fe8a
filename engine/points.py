"""The points rules (扣加分): points per on-time completion, overdue working day, escalation and rating.

Admins keep them in ``points_rules`` (``PUT /reports/points-rules``); a rule never set has its
default. The tally is computed from history whenever a report is read, so changing a rule
recomputes every department's and person's points at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from engine.errors import InvalidInput, Problem
from engine.persistence.tables import points_rules

DEFAULT_RULES: dict[str, int] = {
    "on_time_completion": 1,  # per task instance completed by its due time
    "overdue_working_day": -1,  # per working day a task instance was completed (or still is) late
    "escalation": -2,  # per escalation of a department's overdue task
    "satisfied_rating": 2,  # per rating at or above satisfied_threshold
    "unsatisfied_rating": -2,  # per rating at or below unsatisfied_threshold
    "satisfied_threshold": 4,
    "unsatisfied_threshold": 2,
}
POINT_LIMIT = 1000


def rules_in_force(connection: Connection) -> dict[str, int]:
    stored = {row.name: int(row.value) for row in connection.execute(select(points_rules))}
    return {name: stored.get(name, default) for name, default in DEFAULT_RULES.items()}


def check_rules(rules: Mapping[str, Any]) -> dict[str, int]:
    """The merged rules, or a 422 naming each bad field."""
    problems: list[Problem] = []
    for name, value in rules.items():
        if name not in DEFAULT_RULES:
            problems.append(Problem("unknown_field", "no such points rule", field=f"/{name}"))
        elif isinstance(value, bool) or not isinstance(value, int) or abs(value) > POINT_LIMIT:
            bounds = f"a whole number from -{POINT_LIMIT} to {POINT_LIMIT}"
            problems.append(Problem("invalid", bounds, field=f"/{name}"))
    merged = {k: int(v) for k, v in rules.items() if k in DEFAULT_RULES and not problems}
    for name in ("satisfied_threshold", "unsatisfied_threshold"):
        if name in merged and not 1 <= merged[name] <= 5:
            problems.append(Problem("invalid", "a rating from 1 to 5", field=f"/{name}"))
    if problems:
        raise InvalidInput("the points rules are not valid", problems=problems)
    return merged


def store_rules(connection: Connection, rules: Mapping[str, int], now: datetime, by: str) -> dict[str, int]:
    """Store the given rules (others keep their value) and answer the rules now in force."""
    merged = {**rules_in_force(connection), **rules}
    if merged["unsatisfied_threshold"] >= merged["satisfied_threshold"]:
        raise InvalidInput(
            "a rating cannot be both satisfied and unsatisfied",
            problems=[Problem("range", "must be below satisfied_threshold", field="/unsatisfied_threshold")],
        )
    if rules:
        connection.execute(delete(points_rules).where(points_rules.c.name.in_(list(rules))))
        connection.execute(
            insert(points_rules),
            [{"name": k, "value": v, "updated_at": now, "updated_by": by} for k, v in sorted(rules.items())],
        )
    return merged


def tally(counts: Mapping[str, int], rules: Mapping[str, int]) -> int:
    """Points from the counts of on-time completions, overdue working days, escalations and ratings."""
    return (
        counts.get("on_time", 0) * rules["on_time_completion"]
        + counts.get("overdue_days", 0) * rules["overdue_working_day"]
        + counts.get("escalations", 0) * rules["escalation"]
        + counts.get("satisfied", 0) * rules["satisfied_rating"]
        + counts.get("unsatisfied", 0) * rules["unsatisfied_rating"]
    )
