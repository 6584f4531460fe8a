"""Case commands: start, cancel, change data, retry; deliver a message; fire timers."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, select

from engine import access
from engine.access.cases import visible_cases_clause
from engine.actors import Actor
from engine.audit_values import capped
from engine.command_context import CommandContext, LoadedCase
from engine.commands.base import Command
from engine.deadlines import DeadlineSpec
from engine.definitions import DefinitionModel
from engine.errors import Conflict, EngineError, InvalidInput, NotFound, Problem
from engine.forms import validate_submission
from engine.persistence.tables import (
    departments,
    message_subscriptions,
    process_definitions,
    process_instances,
    user_roles,
    users,
)
from engine.results import InstanceView, MessageResult
from engine.services import case_repair, message_payloads
from engine.views import instance_view, visible_instance


@dataclass(frozen=True, kw_only=True)
class CaseCommand(Command[InstanceView]):
    """A command whose result is the case's view as its actor sees it."""

    optimistic = True

    def finish(self, work: CommandContext, value: str) -> InstanceView:
        loaded = work.cases.get(value)
        row = loaded.row if loaded is not None else visible_instance(work.connection, self.actor, value)
        return instance_view(work.connection, self.actor, row, work.engine.judge())


@dataclass(frozen=True, kw_only=True)
class StartCase(CaseCommand):
    """Start a case of the latest (or the named) version of process ``key``."""

    key: str
    variables: Mapping[str, Any]
    business_key: str | None = None
    version: int | None = None
    department: str | None = None
    applicant_id: str | None = None

    def execute(self, work: CommandContext) -> str:
        actor, key, business_key = self.actor, self.key, self.business_key
        connection = work.connection
        definition = latest_definition(connection, key, self.version)
        _, model = work.engine.definition(connection, definition["id"])
        access.require_start(
            actor, startable_by=model.startable_by, startable_by_applicant=model.startable_by_applicant
        )
        check_start_form(model, self.variables)
        owner_department = owning_department(connection, actor, model, self.department)
        applicant = applicant_of(connection, actor, self.applicant_id)
        if applicant is None and model.needs_applicant:
            reason = "this process has steps only the applicant may complete: name the applicant"
            raise InvalidInput(reason, problems=[Problem("required", reason, field="/applicant_id")])
        if business_key is not None and _live_business_key(connection, key, business_key):
            raise Conflict(
                f"a running case of '{key}' already has the business key '{business_key}'",
                code="duplicate_business_key",
            )
        case = work.create(
            definition,
            variables=dict(self.variables),
            business_key=business_key,
            department=owner_department,
            applicant_id=applicant,
        )
        case_deadline(work, case, model)
        work.note(case, case.live.run())
        work.record(
            action="case.started",
            instance_id=case.id,
            details={
                "key": key,
                "version": definition["version"],
                "business_key": business_key,
                "fields": sorted(self.variables),
            },
        )
        return case.id


@dataclass(frozen=True, kw_only=True)
class CancelCase(CaseCommand):
    """Stop a running case, with a reason; works on a case that cannot be restored too."""

    instance_id: str
    reason: str

    def execute(self, work: CommandContext) -> str:
        actor, instance_id = self.actor, self.instance_id
        row = visible_instance(work.connection, actor, instance_id)
        access.require_case_supervisor(actor, department=row["department_code"])
        if row["state"] not in ("running", "error"):
            raise Conflict(f"the case is already {row['state']}", code="case_not_active")
        try:
            case = work.load(instance_id, row)
        except EngineError:
            raise
        except Exception as exc:  # the stored case cannot be restored: cancelling must still work
            case_repair.force_cancel(work, row, self.reason, exc)
            return instance_id
        case.live.cancel()
        case.state_override = "cancelled"
        case_repair.resolve_incidents(work, instance_id)
        work.record(
            action="case.cancelled",
            instance_id=instance_id,
            details={"reason": self.reason, "ended_how": "cancelled"},
        )
        return instance_id


@dataclass(frozen=True, kw_only=True)
class UpdateVariables(CaseCommand):
    """Fix a running case's data (set and unset variables), with a reason."""

    instance_id: str
    set_values: Mapping[str, Any]
    unset: tuple[str, ...]
    reason: str

    def execute(self, work: CommandContext) -> str:
        actor, instance_id = self.actor, self.instance_id
        values, names = dict(self.set_values), list(self.unset)
        row = visible_instance(work.connection, actor, instance_id)
        access.require_case_supervisor(actor, department=row["department_code"])
        case = work.load(instance_id)
        if case.row["state"] not in ("running", "error"):
            raise Conflict(f"the case is {case.row['state']}", code="case_not_active")
        case.live.update_variables(values, names)
        work.record(
            action="case.variables_changed",
            instance_id=instance_id,
            details={"set": sorted(values), "unset": sorted(names), "reason": self.reason},
        )
        return instance_id


@dataclass(frozen=True, kw_only=True)
class RetryCase(CaseCommand):
    """Run a case in error again from where it failed, resolving its incidents."""

    instance_id: str

    def execute(self, work: CommandContext) -> str:
        actor, instance_id = self.actor, self.instance_id
        row = visible_instance(work.connection, actor, instance_id)
        access.require_case_supervisor(actor, department=row["department_code"])
        case = work.load(instance_id)
        if case.row["state"] != "error":
            raise Conflict("only a case in error can be retried", code="case_not_in_error")
        work.note(case, case.live.retry())  # the engine step before the first write
        case_repair.resolve_incidents(work, instance_id)
        case.row["state"] = "running"
        work.record(action="case.retried", instance_id=instance_id)
        return instance_id


@dataclass(frozen=True, kw_only=True)
class DeliverMessage(Command[MessageResult]):
    """Deliver message ``name`` to the one visible case waiting for it (by id or correlation values)."""

    optimistic = True

    name: str
    payload: Any
    instance_id: str | None = None
    correlation: Mapping[str, Any] = field(default_factory=dict)

    def execute(self, work: CommandContext) -> MessageResult:
        actor, name, body, instance_id = self.actor, self.name, self.payload, self.instance_id
        wanted = dict(self.correlation)
        query = (
            select(message_subscriptions.c.instance_id, message_subscriptions.c.correlations_json)
            .join(process_instances, process_instances.c.id == message_subscriptions.c.instance_id)
            .where(message_subscriptions.c.message_name == name)
        )
        if instance_id is not None:
            visible_instance(work.connection, actor, instance_id)  # 404 case_not_found when invisible
            query = query.where(message_subscriptions.c.instance_id == instance_id)
        query = query.where(visible_cases_clause(actor))
        subscriptions = work.connection.execute(query).all()
        if instance_id is not None and not subscriptions:
            raise Conflict(f"the case is not waiting for the message '{name}'", code="not_waiting")
        matches = sorted(
            {row.instance_id for row in subscriptions if _correlates(json.loads(row.correlations_json), wanted)}
        )
        if not matches:
            raise NotFound(f"no case is waiting for the message '{name}'", code="no_waiting_case")
        if len(matches) > 1:
            raise Conflict(
                f"{len(matches)} cases wait for '{name}': name the case or more correlation values",
                code="message_ambiguous",
            )
        case = work.load(matches[0])
        message_payloads.check_payload_for(case, name, body)
        if instance_id is None:
            missing = case.live.missing_correlations(name, body)
            if missing:
                raise InvalidInput(
                    "the payload lacks the message's correlation values: " + ", ".join(missing),
                    problems=[
                        Problem("required", f"the correlation property '{m}' is missing", field=f"/payload/{m}")
                        for m in missing
                    ],
                )
        if not case.live.receive(name, body, own_correlations=instance_id is not None):
            raise NotFound(f"no case is waiting for the message '{name}'", code="no_waiting_case")
        work.note(case, case.live.run())
        work.record(
            action="message.received",
            instance_id=case.id,
            details={"name": name, "payload": capped(body), "correlation": wanted},
        )
        return MessageResult((case.id,))


@dataclass(frozen=True, kw_only=True)
class FireTimers(Command[bool]):
    """The worker: fire a case's due timers; False when none was due any more."""

    optimistic = True

    instance_id: str

    def execute(self, work: CommandContext) -> bool:
        return case_repair.fire_timers(work, instance_id=self.instance_id)


@dataclass(frozen=True, kw_only=True)
class RecordTimerFailure(Command[None]):
    """The worker: a case's timers could not fire: an incident, and its timers put off with back-off."""

    instance_id: str
    error: Exception

    def execute(self, work: CommandContext) -> None:
        case_repair.timer_failed(work, instance_id=self.instance_id, error=self.error)


def case_deadline(work: CommandContext, case: LoadedCase, model: DefinitionModel) -> None:
    """The whole case's time limit from the process's deadline properties."""
    spec = DeadlineSpec.from_properties(model.properties)
    if spec is None:
        return
    text = spec.duration
    if text is None:
        assert spec.expression is not None
        try:
            text = str(case.live.evaluate_on_start(spec.expression))
        except Exception as exc:
            raise InvalidInput(
                f"the case deadline could not be computed from the start data: {exc}",
                problems=[Problem("deadline_failed", str(exc), field="/variables")],
            ) from exc
    try:
        due = work.deadline(text, spec.calendar)
    except ValueError as exc:
        raise InvalidInput(
            f"the case deadline is invalid: {exc}",
            problems=[Problem("deadline_invalid", str(exc), field="/variables")],
        ) from exc
    case.row["due_at"] = case.row["original_due_at"] = due

_DEPARTMENT_EXISTS = select(departments.c.code).where(departments.c.code == bindparam("code"))


def owning_department(
    connection: Connection, actor: Actor, model: DefinitionModel, requested: str | None
) -> str | None:
    if actor.is_applicant and not actor.is_admin:  # a company's case belongs to the process's owner
        owner = (model.properties.get("ownerDepartment") or "").strip() or None
        if requested is not None and requested != owner:
            reason = f"a company's case is owned by {owner or 'the process'}: leave department empty"
            raise InvalidInput(reason, problems=[Problem("not_allowed", reason, field="/department")])
        return owner
    if requested is not None:
        if connection.execute(_DEPARTMENT_EXISTS, {"code": requested}).first() is None:
            raise InvalidInput(
                f"unknown department '{requested}'",
                problems=[Problem("unknown_department", "no such department", field="/department")],
            )
        if not (actor.is_admin or requested in actor.departments):
            raise InvalidInput(
                "you can only open cases for your own departments",
                problems=[Problem("not_a_member", "you are not a member of this department", field="/department")],
            )
        return requested
    if len(actor.departments) == 1:
        return next(iter(actor.departments))
    fallback = model.properties.get("ownerDepartment")
    if not actor.departments and fallback:
        return fallback.strip()
    reason = "you belong to several departments: name one" if actor.departments else "name the owning department"
    raise InvalidInput(reason, problems=[Problem("required", reason, field="/department")])

def applicant_of(connection: Connection, actor: Actor, requested: str | None) -> str | None:
    if actor.is_applicant:
        if requested not in (None, actor.user_id):
            raise InvalidInput(
                "applicants open cases for themselves",
                problems=[Problem("not_allowed", "must be empty or yourself", field="/applicant_id")],
            )
        return actor.user_id
    if requested is None:
        return None
    is_applicant = connection.execute(
        select(users.c.id)
        .join(user_roles, user_roles.c.user_id == users.c.id)
        .where(users.c.id == requested, users.c.active.is_(True), user_roles.c.role == "applicant")
    ).first()
    if is_applicant is None:
        raise InvalidInput(
            "applicant_id names no active applicant user",
            problems=[Problem("unknown_applicant", "no active applicant with this id", field="/applicant_id")],
        )
    return requested


def _live_business_key(connection: Connection, key: str, business_key: str) -> bool:
    return (
        connection.execute(
            select(process_instances.c.id).where(
                process_instances.c.process_key == key,
                process_instances.c.business_key == business_key,
                process_instances.c.state.in_(("running", "error")),
            )
        ).first()
        is not None
    )


def _correlates(stored: Mapping[Any, Any], wanted: Mapping[Any, Any]) -> bool:
    return all(name in stored and stored[name] == value for name, value in wanted.items())

# A definition's light columns (its specs and model are parsed once per process: ``ProcessEngine.definition``),
# newest version first; built once, with and without a named version.
_LATEST = (
    select(*(column for column in process_definitions.c if column.name not in ("spec_json", "model_json")))
    .where(process_definitions.c.key == bindparam("key"))
    .order_by(process_definitions.c.version.desc())
    .limit(1)
)
_NAMED_VERSION = _LATEST.where(process_definitions.c.version == bindparam("version"))


def latest_definition(connection: Connection, key: str, version: int | None = None) -> dict[str, Any]:
    """The newest (or the named) version of process ``key``, without its specs and model (several
    hundred kilobytes for a large diagram, read on every start); ``definition_not_found`` when none."""
    statement = _LATEST if version is None else _NAMED_VERSION
    row = connection.execute(statement, {"key": key, "version": version}).mappings().first()
    if row is None:
        what = f"process '{key}'" + (f" version {version}" if version is not None else "")
        raise NotFound(f"{what} is not deployed", code="definition_not_found")
    return dict(row)


def check_start_form(model: DefinitionModel, variables: Mapping[str, Any]) -> None:
    """The start ``variables`` against ``startFormJsonSchemaFilename``: 422 per field under ``/variables``."""
    if model.start_form is None:
        return
    try:
        validate_submission(model.start_form, variables)
    except InvalidInput as exc:
        raise InvalidInput(
            "the start variables do not match the process's start form",
            problems=[dataclasses.replace(p, field="/variables" + (p.field or "")) for p in exc.problems],
        ) from exc
