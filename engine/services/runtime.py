"""Runtime service: start, read, list, cancel and repair cases; deliver messages; fire timers."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from engine import access
from engine.access import applicant_data
from engine.access.cases import visible_case_branches, visible_cases_clause
from engine.actors import SYSTEM, Actor
from engine.case_data_labels import labels_for
from engine.commands.runtime import (
    CancelCase,
    DeliverMessage,
    FireTimers,
    RecordTimerFailure,
    RetryCase,
    StartCase,
    UpdateVariables,
)
from engine.definitions import DefinitionModel
from engine.errors import Conflict, InvalidInput, Problem
from engine.forms import validate_submission
from engine.paging import branch_page, sorted_page
from engine.persistence.tables import (
    incidents,
    process_definitions,
    process_instances,
    timers,
)
from engine.results import (
    CaseProgress,
    DataLabel,
    IncidentView,
    InstanceView,
    MessageResult,
    Page,
    TimerRun,
    WaitingMessageView,
)
from engine.services import case_progress, message_payloads
from engine.views import (
    incident_view,
    instance_view,
    instance_views,
    order_by,
    require_choice,
    require_reason,
    visible_instance,
)
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

        command = StartCase(
            actor=actor,
            key=key,
            variables=start_data,
            business_key=business_key,
            version=version,
            department=department,
            applicant_id=applicant_id,
        )
        try:
            started = self._engine.execute(command)
        except IntegrityError as exc:
            if "business_key" not in str(exc.orig):
                raise
            # the partial unique index caught a concurrent duplicate
            raise Conflict(
                f"a running case of '{key}' already has the business key '{business_key}'",
                code="duplicate_business_key",
            ) from exc
        if applicant_data.is_restricted(actor):  # what an applicant sees depends on the committed history
            return self.get(actor, started.id)
        return started

    # --- reading ------------------------------------------------------------------------------

    def get(self, actor: Actor, instance_id: str) -> InstanceView:
        return self._engine.query(
            lambda c: instance_view(c, actor, visible_instance(c, actor, instance_id), self._engine.judge())
        )

    def progress(self, actor: Actor, instance_id: str) -> CaseProgress:
        """The state of each element of a visible case (for marking its diagram) and its departments."""
        return self._engine.query(
            lambda c: case_progress.progress(c, actor, visible_instance(c, actor, instance_id), self._engine.judge())
        )

    def data_labels(self, actor: Actor, instance_id: str) -> tuple[DataLabel, ...]:
        """How a visible case's variables read: the titles its process version's forms give them."""
        return self._engine.query(
            lambda c: labels_for(c, visible_instance(c, actor, instance_id)["definition_id"])
        )

    def diagram(self, actor: Actor, instance_id: str) -> bytes:
        """The BPMN file a visible case runs (for its page's diagram)."""
        return self._engine.query(lambda c: case_progress.case_diagram(c, visible_instance(c, actor, instance_id)))

    def waiting_messages(self, actor: Actor, instance_id: str) -> builtins.list[WaitingMessageView]:
        """The messages a visible case waits for, and whether the actor may record them."""
        return self._engine.query(
            lambda c: case_progress.waiting_messages(c, actor, visible_instance(c, actor, instance_id))
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
        order_by(process_instances, sort, CASE_SORT_FIELDS, {"created_at": "started_at"})  # InvalidInput: /sort
        field = sort.lstrip("-")
        column = process_instances.c["started_at" if field == "created_at" else field]
        descending = sort.startswith("-")
        filters = []
        if state is not None:
            filters.append(process_instances.c.state == state)
        if key is not None:
            filters.append(process_instances.c.process_key == key)
        if business_key is not None:
            filters.append(process_instances.c.business_key == business_key)

        def run(connection: Connection) -> Page:
            total, capped, ids = branch_page(
                connection, process_instances, filters, visible_case_branches(actor), (column, descending),
                page, page_size, self._engine.config.count_cap,
            )
            direction = column.desc() if descending else column.asc()
            rows = connection.execute(
                select(process_instances)
                .where(process_instances.c.id.in_(ids.scalar_subquery()))
                .order_by(direction, process_instances.c.id)
            ).mappings().all()
            return Page(instance_views(connection, actor, rows, self._engine.judge()), total, capped)

        return self._engine.query(run)

    def incidents(
        self, actor: Actor, *, instance_id: str | None = None, open_only: bool = True
    ) -> builtins.list[IncidentView]:
        """The incidents of the cases the actor may see, oldest first (open ones with ``open_only``)."""
        return builtins.list(self.incident_page(actor, instance_id=instance_id, open_only=open_only).items)

    def incident_page(
        self,
        actor: Actor,
        *,
        instance_id: str | None = None,
        open_only: bool = True,
        sort: str | None = None,
        page: int = 1,
        page_size: int | None = None,
    ) -> Page:
        """:meth:`incidents` paged, counted and sorted (``field`` or ``-field`` of an incident) in SQL."""

        def run(connection: Connection) -> Page:
            query = select(incidents).join(process_instances, process_instances.c.id == incidents.c.instance_id)
            if instance_id is not None:
                visible_instance(connection, actor, instance_id)
                query = query.where(incidents.c.instance_id == instance_id)
            if open_only:
                query = query.where(incidents.c.resolved_at.is_(None))
            query = query.where(visible_cases_clause(actor))
            order = (incidents.c[sort.lstrip("-")], sort.startswith("-")) if sort else None
            base = (incidents.c.created_at, incidents.c.id)
            rows, total = sorted_page(connection, query, order, base, page, page_size or max(1, 1 << 30))
            if not applicant_data.is_restricted(actor):
                return Page(tuple(incident_view(r) for r in rows), total)
            # an applicant reads an incident's data only with the variables shown to them
            cases = connection.execute(
                select(process_instances).where(process_instances.c.id.in_({r["instance_id"] for r in rows}))
            ).mappings().all()
            models = {
                definition: DefinitionModel.from_json(document)
                for definition, document in connection.execute(
                    select(process_definitions.c.id, process_definitions.c.model_json).where(
                        process_definitions.c.id.in_({case["definition_id"] for case in cases})
                    )
                ).all()
            }
            shown = applicant_data.shown_names_by_case(connection, actor, cases, models)
            return Page(tuple(incident_view(r, shown[r["instance_id"]]) for r in rows), total)

        return self._engine.query(run)

    # --- supervision --------------------------------------------------------------------------

    def cancel(self, actor: Actor, instance_id: str, reason: str | None = None) -> InstanceView:
        """Stop a running case; like every supervisory action it needs a reason (InvalidInput naming /reason)."""
        why = require_reason(reason)

        return self._engine.execute(CancelCase(actor=actor, instance_id=instance_id, reason=why))

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

        command = UpdateVariables(
            actor=actor, instance_id=instance_id, set_values=values, unset=tuple(names), reason=str(reason)
        )
        return self._engine.execute(command)

    def retry(self, actor: Actor, instance_id: str) -> InstanceView:
        return self._engine.execute(RetryCase(actor=actor, instance_id=instance_id))

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

        command = DeliverMessage(
            actor=actor, name=name, payload=body, instance_id=instance_id, correlation=wanted
        )
        return self._engine.execute(command)

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
                if self._engine.execute(FireTimers(actor=SYSTEM, instance_id=instance_id)):
                    fired.append(instance_id)
            except Conflict:  # another worker advanced the case meanwhile; its timers are re-read next run
                continue
            except Exception as exc:  # this case only: record it, put it off, go on with the others
                log.exception("the timers of case %s could not fire", instance_id)
                failed.append(instance_id)
                try:
                    self._engine.execute(RecordTimerFailure(actor=SYSTEM, instance_id=instance_id, error=exc))
                except Exception:  # e.g. the database is gone: the next run tries again
                    log.exception("could not record the timer failure of case %s", instance_id)
        return TimerRun(len(fired), tuple(fired), tuple(failed))
