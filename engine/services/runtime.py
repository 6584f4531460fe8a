"""Runtime service: start, read, list, cancel and repair cases; deliver messages; fire timers."""

from __future__ import annotations

import builtins
import dataclasses
import functools
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from engine import access
from engine.actors import SYSTEM, Actor
from engine.casework import CaseWork, LoadedCase
from engine.deadlines import DeadlineSpec
from engine.definitions import DefinitionModel
from engine.errors import Conflict, EngineError, InvalidInput, NotFound, Problem
from engine.forms import validate_submission
from engine.persistence.tables import (
    departments,
    incidents,
    message_subscriptions,
    process_instances,
    tasks,
    timers,
    user_roles,
    users,
)
from engine.results import IncidentView, InstanceView, MessageResult, Page, TimerRun
from engine.services import case_repair, message_payloads
from engine.views import incident_view, instance_view, order_by, require_choice, require_reason, visible_instance
from engine.vocabulary import CASE_SORT_FIELDS, CASE_STATES

if TYPE_CHECKING:
    from engine.core import ProcessEngine

log = logging.getLogger("wutong.worker")


class RuntimeService:
    def __init__(self, engine: ProcessEngine) -> None:
        self._engine = engine

    # --- starting -----------------------------------------------------------------------------

    def start(
        self,
        actor: Actor,
        key: str,
        *,
        variables: Mapping[Any, Any] | None = None,
        business_key: str | None = None,
        version: int | None = None,
        department: str | None = None,
        applicant_id: str | None = None,
    ) -> InstanceView:
        start_data = dict(variables or {})
        validate_submission(None, start_data)

        def act(work: CaseWork) -> str:
            connection = work.connection
            definition = self._engine.repository.latest(connection, key, version)
            _, model = self._engine.definition(connection, definition["id"])
            access.require_start(
                actor, startable_by=model.startable_by, startable_by_applicant=model.startable_by_applicant
            )
            _check_start_form(model, start_data)
            owner_department = self._owning_department(connection, actor, model, department)
            applicant = self._applicant(connection, actor, applicant_id)
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
                variables=start_data,
                business_key=business_key,
                department=owner_department,
                applicant_id=applicant,
            )
            self._case_deadline(work, case, model)
            work.note(case, case.live.run())
            work.record(
                action="case.started",
                instance_id=case.id,
                details={"key": key, "version": definition["version"], "business_key": business_key},
            )
            return case.id

        try:
            return self._engine.command(actor, act, self._view_of(actor))
        except IntegrityError as exc:
            if "business_key" not in str(exc.orig):
                raise
            # the partial unique index caught a concurrent duplicate
            raise Conflict(
                f"a running case of '{key}' already has the business key '{business_key}'",
                code="duplicate_business_key",
            ) from exc

    @staticmethod
    def _case_deadline(work: CaseWork, case: LoadedCase, model: DefinitionModel) -> None:
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

    def _owning_department(
        self, connection: Connection, actor: Actor, model: DefinitionModel, requested: str | None
    ) -> str | None:
        if actor.is_applicant and not actor.is_admin:  # a company's case belongs to the process's owner
            owner = (model.properties.get("ownerDepartment") or "").strip() or None
            if requested is not None and requested != owner:
                reason = f"a company's case is owned by {owner or 'the process'}: leave department empty"
                raise InvalidInput(reason, problems=[Problem("not_allowed", reason, field="/department")])
            return owner
        if requested is not None:
            if connection.execute(select(departments.c.code).where(departments.c.code == requested)).first() is None:
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

    @staticmethod
    def _applicant(connection: Connection, actor: Actor, requested: str | None) -> str | None:
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

    # --- reading ------------------------------------------------------------------------------

    def get(self, actor: Actor, instance_id: str) -> InstanceView:
        return self._engine.query(
            lambda c: instance_view(c, actor, visible_instance(c, actor, instance_id), self._engine.judge())
        )

    def list(
        self,
        actor: Actor,
        *,
        state: str | None = None,
        key: str | None = None,
        business_key: str | None = None,
        page: int = 1,
        page_size: int = 50,
        sort: str = "-started_at",
    ) -> Page:
        require_choice(state, CASE_STATES, "/state")
        order = order_by(process_instances, sort, CASE_SORT_FIELDS, {"created_at": "started_at"})

        def run(connection: Connection) -> Page:
            query = select(process_instances)
            if state is not None:
                query = query.where(process_instances.c.state == state)
            if key is not None:
                query = query.where(process_instances.c.process_key == key)
            if business_key is not None:
                query = query.where(process_instances.c.business_key == business_key)
            if not actor.sees_everything:
                query = query.where(_visible_cases(actor))
            total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
            rows = connection.execute(
                query.order_by(order, process_instances.c.id).offset((page - 1) * page_size).limit(page_size)
            ).mappings()
            judge = self._engine.judge()
            return Page(tuple(instance_view(connection, actor, r, judge) for r in rows), total)

        return self._engine.query(run)

    def incidents(
        self, actor: Actor, *, instance_id: str | None = None, open_only: bool = True
    ) -> builtins.list[IncidentView]:
        def run(connection: Connection) -> builtins.list[IncidentView]:
            query = select(incidents).join(process_instances, process_instances.c.id == incidents.c.instance_id)
            if instance_id is not None:
                visible_instance(connection, actor, instance_id)
                query = query.where(incidents.c.instance_id == instance_id)
            if open_only:
                query = query.where(incidents.c.resolved_at.is_(None))
            if not actor.sees_everything:
                query = query.where(_visible_cases(actor))
            return [incident_view(r) for r in connection.execute(query.order_by(incidents.c.created_at)).mappings()]

        return self._engine.query(run)

    # --- supervision --------------------------------------------------------------------------

    def cancel(self, actor: Actor, instance_id: str, reason: str | None = None) -> InstanceView:
        """Stop a running case; like every supervisory action it needs a reason (InvalidInput naming /reason)."""
        why = require_reason(reason)

        def act(work: CaseWork) -> str:
            row = visible_instance(work.connection, actor, instance_id)
            access.require_case_supervisor(actor, department=row["department_code"])
            if row["state"] not in ("running", "error"):
                raise Conflict(f"the case is already {row['state']}", code="case_not_active")
            try:
                case = work.load(instance_id, row)
            except EngineError:
                raise
            except Exception as exc:  # the stored case cannot be restored: cancelling must still work
                case_repair.force_cancel(work, row, reason, exc)
                return instance_id
            case.live.cancel()
            case.state_override = "cancelled"
            case_repair.resolve_incidents(work, instance_id)
            work.record(
                action="case.cancelled",
                instance_id=instance_id,
                details={"reason": why},
            )
            return instance_id

        return self._engine.command(actor, act, self._view_of(actor))

    def update_variables(
        self,
        actor: Actor,
        instance_id: str,
        *,
        set_values: Mapping[Any, Any] | None = None,
        unset: Sequence[str] | None = None,
        reason: str | None = None,
    ) -> InstanceView:
        values = dict(set_values or {})
        names = list(unset or [])
        problems: list[Problem] = []
        if not reason or not reason.strip():
            problems.append(Problem("required", "say why the data is changed", field="/reason"))
        if not values and not names:
            problems.append(Problem("required", "set or unset at least one variable", field="/set"))
        if problems:
            raise InvalidInput("the change cannot be applied", problems=problems)
        validate_submission(None, values)

        def act(work: CaseWork) -> str:
            row = visible_instance(work.connection, actor, instance_id)
            access.require_case_supervisor(actor, department=row["department_code"])
            case = work.load(instance_id)
            if case.row["state"] not in ("running", "error"):
                raise Conflict(f"the case is {case.row['state']}", code="case_not_active")
            case.live.update_variables(values, names)
            work.record(
                action="case.variables_changed",
                instance_id=instance_id,
                details={"set": sorted(values), "unset": sorted(names), "reason": reason},
            )
            return instance_id

        return self._engine.command(actor, act, self._view_of(actor))

    def retry(self, actor: Actor, instance_id: str) -> InstanceView:
        def act(work: CaseWork) -> str:
            row = visible_instance(work.connection, actor, instance_id)
            access.require_case_supervisor(actor, department=row["department_code"])
            case = work.load(instance_id)
            if case.row["state"] != "error":
                raise Conflict("only a case in error can be retried", code="case_not_in_error")
            case_repair.resolve_incidents(work, instance_id)
            case.row["state"] = "running"
            work.note(case, case.live.retry())
            work.record(action="case.retried", instance_id=instance_id)
            return instance_id

        return self._engine.command(actor, act, self._view_of(actor))

    # --- messages and timers --------------------------------------------------------------------

    def deliver_message(
        self,
        actor: Actor,
        name: str,
        *,
        payload: Any = None,
        instance_id: str | None = None,
        correlation: Mapping[Any, Any] | None = None,
    ) -> MessageResult:
        """Deliver to the one case waiting for ``name`` (matching the id or correlation values).

        Only cases the sender may see take part: the others never receive, never make the message
        ambiguous and never change the answer. With ``instance_id`` the case's own correlation values
        apply where the payload does not repeat them.
        """
        if not name or not name.strip():
            raise InvalidInput("a message needs a name", problems=[Problem("required", "required", field="/name")])
        access.require_role(actor, "staff", "supervisor")
        wanted = dict(correlation or {})
        body: dict[str, Any] = {} if payload is None else payload
        message_payloads.check_payload(body)

        def act(work: CaseWork) -> MessageResult:
            query = (
                select(message_subscriptions.c.instance_id, message_subscriptions.c.correlations_json)
                .join(process_instances, process_instances.c.id == message_subscriptions.c.instance_id)
                .where(message_subscriptions.c.message_name == name)
            )
            if instance_id is not None:
                visible_instance(work.connection, actor, instance_id)  # 404 case_not_found when invisible
                query = query.where(message_subscriptions.c.instance_id == instance_id)
            if not actor.sees_everything:
                query = query.where(_visible_cases(actor))
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
                action="message.delivered",
                instance_id=case.id,
                details={"name": name, "correlation": wanted},
            )
            return MessageResult((case.id,))

        return self._engine.command(actor, act)

    def fire_due_timers(self, limit: int = 100) -> TimerRun:
        """Fire every timer due by now, one command per case. Returns what fired.

        A case whose timers cannot fire (it cannot be restored, or its command fails for a reason
        other than a concurrent change) gets a ``timer_failed`` incident and its timers are put off
        with back-off (``timer_backoff``), so it never holds up the other cases' timers.
        """
        now = self._engine.clock.now()
        due = self._engine.query(
            lambda c: list(
                dict.fromkeys(
                    c.execute(
                        select(timers.c.instance_id)
                        .where(timers.c.due_at <= now)
                        .order_by(timers.c.due_at)
                        .limit(limit)
                    ).scalars()
                )
            )
        )
        fired: builtins.list[str] = []
        failed: builtins.list[str] = []
        for instance_id in due:
            try:
                if self._engine.command(SYSTEM, functools.partial(case_repair.fire_timers, instance_id=instance_id)):
                    fired.append(instance_id)
            except Conflict:  # another worker advanced the case meanwhile; its timers are re-read next run
                continue
            except Exception as exc:  # this case only: record it, put it off, go on with the others
                log.exception("the timers of case %s could not fire", instance_id)
                failed.append(instance_id)
                try:
                    record = functools.partial(case_repair.timer_failed, instance_id=instance_id, error=exc)
                    self._engine.command(SYSTEM, record)
                except Exception:  # e.g. the database is gone: the next run tries again
                    log.exception("could not record the timer failure of case %s", instance_id)
        return TimerRun(len(fired), tuple(fired), tuple(failed))

    def _view_of(self, actor: Actor) -> Callable[[CaseWork, str], InstanceView]:
        def finish(work: CaseWork, instance_id: str) -> InstanceView:
            loaded = work.cases.get(instance_id)
            row = loaded.row if loaded is not None else visible_instance(work.connection, actor, instance_id)
            return instance_view(work.connection, actor, row, self._engine.judge())

        return finish


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


def _visible_cases(actor: Actor) -> Any:
    departments_of_actor = sorted(actor.departments)
    conditions: list[Any] = [process_instances.c.department_code.in_(departments_of_actor)]
    if actor.user_id is not None:
        conditions.append(process_instances.c.applicant_user_id == actor.user_id)
    conditions.append(
        exists().where(
            and_(tasks.c.instance_id == process_instances.c.id, tasks.c.department_code.in_(departments_of_actor))
        )
    )
    return or_(*conditions)

def _check_start_form(model: DefinitionModel, variables: Mapping[str, Any]) -> None:
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
