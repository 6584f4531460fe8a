"""The ledger projection: one row per case in ``ledger_cases``, written in the command's transaction.

Every figure of the reports is SQL over this table, so nothing that reads the ledger loads workflow
state. The definitions (README "For auditors and leaders") live here and nowhere else:

- received: every case; accepted: unless the process's ``ledger.accepted`` variable is false;
- closed (销号): accepted, completed, not ended by a terminate end event, and, where the process maps
  ``ledger.closed``, that variable true; open: running or in error; cancelled and terminated apart;
- handling days: ``working_days_between(local start date, local end date)`` for ended cases;
- on time: closed by the case's due time in force at closure (``on_time_original``: the first one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, insert, select, update

from engine import ledger_totals
from engine.ledger_spec import LedgerSpec, satisfaction_cell, text_cell
from engine.persistence.tables import (
    TASK_IS_OPEN,
    case_state_rows,
    ledger_cases,
    process_definitions,
    process_instances,
    tasks,
)
from engine.working_calendar import WorkingCalendar

if TYPE_CHECKING:
    from engine.command_context import CommandContext, LoadedCase
    from engine.core import ProcessEngine

ENDED_HOW = ("completed", "terminated", "cancelled")


def ended_how(case: LoadedCase) -> str | None:
    """How the case ended (None while open): ``process_instances.ended_how``, which the case's save wrote."""
    state = case.row["state"]
    if state not in ("completed", "cancelled"):
        return None
    stored = case.row.get("ended_how")
    if stored in ENDED_HOW:
        return str(stored)
    return "cancelled" if state == "cancelled" else ("terminated" if case.live.terminated() else "completed")


def project_case(work: CommandContext, case: LoadedCase, open_steps: list[tuple[str, str | None]]) -> None:
    """Write the case's ledger row (called by ``CommandContext._save`` once the case row is written);
    ``open_steps``: the case's open user tasks (name, department) as ``sync_tasks`` left them."""
    variables = json.loads(case.row["variables_json"])
    row = ledger_row(
        case.row,
        variables,
        LedgerSpec.from_properties(case.model.properties),
        ended_how(case),
        open_steps if case.row["state"] in ("running", "error") else [],
        work.engine.calendar,
        work.engine.policy.zone,
    )
    if case.new:  # the case's first save: no row to update yet
        ledger_totals.follow(work.connection, row, first=True)  # the summary's monthly totals
        work.connection.execute(_INSERT, row)
    else:
        _upsert(work.connection, row)


def ledger_row(
    case_row: Mapping[str, Any],
    variables: Mapping[str, Any],
    spec: LedgerSpec,
    how: str | None,
    steps: list[tuple[str, str | None]],
    calendar: WorkingCalendar,
    zone: ZoneInfo,
) -> dict[str, Any]:
    """The ledger row of a case from its row, its data and how it ended."""
    accepted = spec.read("accepted", variables) is not False
    closed_flag = spec.read("closed", variables) if "closed" in spec.variables else True
    closed = accepted and how == "completed" and closed_flag is True
    lead = text_cell(spec.read("leadDepartment", variables))
    started: datetime = case_row["started_at"]
    ended: datetime | None = case_row.get("ended_at") if how is not None else None
    due, original = case_row.get("due_at"), case_row.get("original_due_at")
    extras = {a: variables.get(v) for a, v in spec.extras.items() if variables.get(v) is not None}
    return {
        "instance_id": case_row["id"],
        "number": case_row["number"],
        "business_key": case_row.get("business_key"),
        "process_key": case_row["process_key"],
        "department_code": (lead[:64] if lead else None) or case_row.get("department_code"),
        "owner_department_code": case_row.get("department_code"),
        "applicant_user_id": case_row.get("applicant_user_id"),
        "company": text_cell(spec.read("company", variables)),
        "credit_code": text_cell(spec.read("creditCode", variables)),
        "category": text_cell(spec.read("category", variables)),
        "outcome": text_cell(spec.read("outcome", variables)),
        "state": case_row["state"],
        "ended_how": how,
        "accepted": accepted,
        "closed": closed,
        "satisfaction": satisfaction_cell(spec.read("satisfaction", variables)),
        "started_at": started,
        "ended_at": ended,
        "start_month": started.astimezone(zone).strftime("%Y-%m"),
        "end_month": ended.astimezone(zone).strftime("%Y-%m") if ended is not None else None,
        "due_at": due,
        "original_due_at": original,
        "handling_days": (
            calendar.working_days_between(started.astimezone(zone), ended.astimezone(zone)) if ended else None
        ),
        "on_time": (ended <= due) if closed and ended is not None and due is not None else None,
        "on_time_original": (ended <= original) if closed and ended is not None and original is not None else None,
        "current_steps": "; ".join(sorted({name for name, _ in steps})),
        "current_departments": _departments_cell(code for _, code in steps),
        "extra_json": json.dumps(extras, ensure_ascii=False, sort_keys=True, default=str),
    }


def _departments_cell(codes: Any) -> str:
    found = sorted({code for code in codes if code})
    return "," + ",".join(found) + "," if found else ""


def _open_steps(connection: Connection, instance_id: str) -> list[tuple[str, str | None]]:
    rows = connection.execute(
        select(tasks.c.name, tasks.c.activity_id, tasks.c.department_code).where(
            tasks.c.instance_id == instance_id, TASK_IS_OPEN, tasks.c.kind == "user"
        )
    ).all()
    return [(r.name or r.activity_id, r.department_code) for r in rows]


# Built once and executed with parameter dicts: ``.values(row)`` per call coerced all 28 columns and
# rebuilt the cache key on every save (about 1.9 ms of a save, the largest statement-building cost).
_UPDATE = update(ledger_cases).where(ledger_cases.c.instance_id == bindparam("b_instance_id"))
_INSERT = insert(ledger_cases)


def _upsert(connection: Connection, row: dict[str, Any]) -> None:
    """Update the case's row (one statement on every later save), inserting it on the first."""
    ledger_totals.follow(connection, row)  # the summary's monthly totals, before the old row is gone
    params = {key: value for key, value in row.items() if key != "instance_id"}
    params["b_instance_id"] = row["instance_id"]
    changed = connection.execute(_UPDATE, params).rowcount
    if changed == 0:
        connection.execute(_INSERT, row)


def rebuild(engine: ProcessEngine, *, batch: int = 200) -> int:
    """Recompute every ledger row from the stored cases (after calendar overrides or ledger rules change).

    Reads each case's row and data; how a finished case ended is taken from the row already projected
    (a terminate end event cannot be seen in the saved variables); a completed case never projected
    (a database from before the ledger) is read from its workflow state once.
    """
    engine.calendar.invalidate()
    specs: dict[str, LedgerSpec] = {}
    count = 0
    last = ""
    while True:

        def step(connection: Connection, after: str) -> tuple[int, str]:
            cases = (
                connection.execute(
                    select(process_instances)
                    .where(process_instances.c.id > after)
                    .order_by(process_instances.c.id)
                    .limit(batch)
                )
                .mappings()
                .all()
            )
            for case_row in cases:
                spec = specs.get(case_row["definition_id"])
                if spec is None:
                    model_json = connection.execute(
                        select(process_definitions.c.model_json).where(
                            process_definitions.c.id == case_row["definition_id"]
                        )
                    ).scalar_one()
                    spec = specs[case_row["definition_id"]] = LedgerSpec.from_properties(
                        json.loads(model_json).get("properties", {})
                    )
                known = case_row["ended_how"] or connection.execute(
                    select(ledger_cases.c.ended_how).where(ledger_cases.c.instance_id == case_row["id"])
                ).scalar()
                how = _stored_how(case_row["state"], known)
                if how == "completed" and known is None:  # never projected (a database from before the ledger)
                    how = _how_from_state(engine, connection, dict(case_row))
                steps = _open_steps(connection, case_row["id"]) if case_row["state"] in ("running", "error") else []
                row = ledger_row(
                    dict(case_row), json.loads(case_row["variables_json"]), spec, how, steps, engine.calendar,
                    engine.policy.zone,
                )
                _upsert(connection, row)
            return len(cases), (str(cases[-1]["id"]) if cases else after)

        with engine.db.transaction() as connection:
            done, last = step(connection, last)
        count += done
        if done < batch:
            with engine.db.transaction() as connection:
                ledger_totals.recount(connection)
            return count


def _how_from_state(engine: ProcessEngine, connection: Connection, case_row: dict[str, Any]) -> str:
    """Read a completed case's workflow once to tell a terminate end event from a normal end."""
    from engine.command_context import stored_version
    from engine.spiff.cases import LiveCase

    specs, _ = engine.definition(connection, case_row["definition_id"])
    stored = connection.execute(
        select(case_state_rows.c.row_key, case_state_rows.c.owner, case_state_rows.c.content)
        .where(case_state_rows.c.instance_id == case_row["id"])
        .order_by(case_state_rows.c.seq)
    ).all()
    live = LiveCase.restore(specs, ((r.row_key, r.owner, r.content) for r in stored), engine.script_engine,
                            stored_version(case_row, f"case {case_row['number']}"))
    return "terminated" if live.terminated() else "completed"


def _stored_how(state: str, known: str | None) -> str | None:
    if state == "cancelled":
        return "cancelled"
    if state != "completed":
        return None
    return known if known in ("completed", "terminated") else "completed"


