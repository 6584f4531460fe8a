"""The command context: one command's unit of work (its connection, actor, clock reading and events)
and the cases it touches: load, act, run, deliver messages, sync projections, save.

A ``CommandContext`` lives for exactly one command and one database transaction (also for commands
that touch no case: identity, sessions, calendar). It loads each case it
touches once (from the per-process cache when the stored ``row_version`` still matches, otherwise
from the rows), and at the end writes, per case: the case row guarded by its ``row_version`` (a
lost update becomes a Conflict and the whole transaction rolls back), the state rows whose digest
changed, and the open-task, timer and message-subscription projections. Nothing here commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from engine import audit, case_events
from engine.actors import Actor
from engine.audit_values import capped
from engine.case_numbers import next_case_number
from engine.deadlines import compute_due
from engine.definitions import DefinitionModel
from engine.errors import Conflict, NotFound
from engine.instructions import NON_BLOCKING_INCIDENTS
from engine.ledger import project_case
from engine.persistence.database import StaleRead, take_write_lock
from engine.persistence.tables import (
    case_state_rows,
    incidents,
    message_subscriptions,
    process_definitions,
    process_instances,
    tasks,
)
from engine.projections import prepare_openings, sync_subscriptions, sync_tasks, sync_timers
from engine.spiff.cases import Failure, LiveCase
from engine.spiff.specs import SpecBundle
from engine.spiff.state import diff_rows, dumps, dumps_for_reading
from engine.spiff.state_versions import LAYOUT_VERSION, SERIALIZER_VERSION, StateVersionError, needs_migration

if TYPE_CHECKING:
    from engine.core import ProcessEngine

from engine.vocabulary import OPEN_TASK_STATES as OPEN_STATES

MAX_MESSAGE_ROUNDS = 50

# The case row's statements, built once and run with parameter dicts: building them with
# ``.values(row)`` on every save coerced each column and recomputed the cache key per call.
_INSERT_CASE = insert(process_instances)
_UPDATE_CASE = (
    update(process_instances)
    .where(process_instances.c.id == bindparam("b_id"))
    .where(process_instances.c.row_version == bindparam("b_loaded_version"))
)


@dataclass
class LoadedCase:
    """A case inside the current unit of work."""

    row: dict[str, Any]
    live: LiveCase
    model: DefinitionModel
    digests: dict[str, str]
    next_seq: int
    loaded_version: int
    new: bool = False
    failures: list[Failure] = field(default_factory=list)
    undelivered: list[Any] = field(default_factory=list)
    state_override: str | None = None
    # what the timer and subscription projections last wrote (None: unknown, rewrite them)
    projected: dict[str, Any] | None = None
    # the user expressions of the tasks this save opens, evaluated before the write lock (see
    # ``projections.prepare_openings``): (workflow task id, what) -> (the task data it was computed from,
    # "value" or "error", the result or the exception)
    prepared: dict[tuple[str, str], tuple[str, str, Any]] = field(default_factory=dict)
    # the workflow task ids of its open task instances, read once per command by ``prepare_openings``
    open_spiff_ids: frozenset[str] | None = None

    @property
    def id(self) -> str:
        return str(self.row["id"])


@dataclass
class CachedCase:
    row_version: int
    live: LiveCase
    digests: dict[str, str]
    next_seq: int
    projected: dict[str, Any]


class CommandContext:
    """One command's view of the cases it touches."""

    def __init__(
        self,
        engine: ProcessEngine,
        connection: Connection,
        actor: Actor,
        *,
        after_load: Iterable[Callable[[str], None]] = (),
    ) -> None:
        self.engine = engine
        self._after_load = tuple(after_load)
        self.connection = connection
        self.actor = actor
        self.now: datetime = engine.clock.now()
        self.cases: dict[str, LoadedCase] = {}
        self._saved: list[LoadedCase] = []
        self.bytes_written = 0  # state-row bytes this command wrote (benchmarks read it)
        self.request_id = audit.current_request_id()
        self._events: list[audit.PendingEvent] = []
        self.read_versions: dict[str, int] = {}  # case id -> row_version this command read it at

    def read_version(self, instance_id: str, version: int) -> None:
        """Note that the command read case ``instance_id`` at ``version`` (the first reading counts)."""
        self.read_versions.setdefault(instance_id, version)

    def check_unchanged(self, query: Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]) -> None:
        """At the write lock of an optimistic command: every case it read is still at the version it
        read (task rows always bump their case, so this covers them too), else ``StaleRead``."""
        if not self.read_versions:
            return
        ids = tuple(self.read_versions)
        marks = ", ".join("?" for _ in ids)
        current = dict(query(f"SELECT id, row_version FROM process_instances WHERE id IN ({marks})", ids))
        if any(current.get(case_id) != version for case_id, version in self.read_versions.items()):
            raise StaleRead(f"a case changed since this command read it: {sorted(ids)}")

    def record(
        self,
        action: str,
        *,
        instance_id: str | None = None,
        task_id: str | None = None,
        acting_for: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Record an audit event for this command's actor; ``append_events`` writes it before the commit."""
        self._events.append(
            audit.PendingEvent(
                at=self.now,
                actor=self.actor,
                action=action,
                request_id=self.request_id,
                instance_id=instance_id,
                task_id=task_id,
                acting_for=acting_for,
                details=details,
            )
        )

    def append_events(self) -> None:
        """Append the recorded events to their chains (the last write of the command's transaction)."""
        events, self._events = self._events, []
        take_write_lock(self.connection)  # the chain heads are read then written: read them locked
        audit.record(self.connection, self.engine.config.audit_keys, events)

    # --- loading ------------------------------------------------------------------------------

    def load(self, instance_id: str, row: Mapping[Any, Any] | None = None) -> LoadedCase:
        """The case in this unit of work; ``row`` is its case row when the caller already read it."""
        if instance_id in self.cases:
            return self.cases[instance_id]
        found: Mapping[Any, Any] | None = row
        if found is None:
            found = (
                self.connection.execute(select(process_instances).where(process_instances.c.id == instance_id))
                .mappings()
                .first()
            )
        if found is None:
            raise NotFound(f"case {instance_id} does not exist", code="case_not_found")
        row = dict(found)
        self.read_version(instance_id, row["row_version"])
        specs, model = self.engine.definition(self.connection, row["definition_id"])
        cached = self.engine.cases.take(instance_id, row["row_version"])
        if cached is not None:
            case = LoadedCase(
                row, cached.live, model, cached.digests, cached.next_seq, row["row_version"], projected=cached.projected
            )
        else:
            stored = self.connection.execute(
                select(
                    case_state_rows.c.row_key,
                    case_state_rows.c.owner,
                    case_state_rows.c.content,
                    case_state_rows.c.digest,
                    case_state_rows.c.seq,
                )
                .where(case_state_rows.c.instance_id == instance_id)
                .order_by(case_state_rows.c.seq)
            ).all()
            live = LiveCase.restore(
                specs,
                ((r.row_key, r.owner, r.content) for r in stored),
                self.engine.script_engine,
                stored_version(row, f"case {row['number']}"),
            )
            digests = {r.row_key: r.digest for r in stored}
            next_seq = (stored[-1].seq + 1) if stored else 0
            case = LoadedCase(row, live, model, digests, next_seq, row["row_version"])
        self.cases[instance_id] = case
        self.loaded(instance_id)
        return case

    def loaded(self, instance_id: str) -> None:
        """The command has read what it acts on in this case: run the executor's after-load hooks
        (race tests hold two commands here)."""
        for hook in self._after_load:
            hook(instance_id)

    def create(
        self,
        definition: dict[str, Any],
        *,
        variables: dict[str, Any],
        business_key: str | None,
        department: str | None,
        applicant_id: str | None,
    ) -> LoadedCase:
        specs, model = self.engine.definition(self.connection, definition["id"])
        # the engine step (start scripts) before the first write: on SQLite it runs without the write lock
        live = LiveCase.start(specs, variables, self.engine.script_engine)
        instance_id = str(uuid.uuid4())
        row: dict[str, Any] = {
            "id": instance_id,
            "number": None,  # drawn at save: the first write, after the engine step
            "definition_id": definition["id"],
            "process_key": definition["key"],
            "business_key": business_key,
            "state": "running",
            "owner_user_id": self.actor.user_id,
            "department_code": department,
            "applicant_user_id": applicant_id,
            "row_version": 0,
            "serializer_version": SERIALIZER_VERSION,
            "layout_version": LAYOUT_VERSION,
            "started_at": self.now,
            "ended_at": None,
            "ended_how": None,
            "due_at": None,
            "original_due_at": None,
        }
        case = LoadedCase(row, live, model, {}, 0, 0, new=True, projected={"timers": [], "subscriptions": []})
        self.cases[instance_id] = case
        return case

    def _next_number(self) -> str:
        return next_case_number(self.connection, self.now.year)

    # --- advancing ----------------------------------------------------------------------------

    def note(self, case: LoadedCase, failure: Failure | None) -> None:
        """After an engine step: keep its failure, and evaluate the user expressions of the tasks it
        readied now, before the command writes (and so, on SQLite, before it holds the write lock)."""
        if failure is not None:
            case.failures.append(failure)
        prepare_openings(self, case)

    def deliver_messages(self) -> None:
        """Hand every message a case threw to the one case waiting for it, in this same transaction."""
        for _ in range(MAX_MESSAGE_ROUNDS):
            sent_any = False
            for case in list(self.cases.values()):
                for message, event in case.live.take_outgoing():
                    sent_any = True
                    receiver = self._find_receiver(message.name, event, exclude=case.id)
                    if receiver is None:
                        case.undelivered.append(event)
                        case.failures.append(
                            Failure(
                                element_id=None,
                                task_id=None,
                                message=f"no case is waiting for the message '{message.name}'",
                                line=None,
                                data={"payload": message.payload, "correlations": message.correlations},
                                code="message_undelivered",
                            )
                        )
                        continue
                    self.note(receiver, receiver.live.run())
                    self.record(
                        action="message.received",
                        instance_id=receiver.id,
                        details={"name": message.name, "payload": capped(message.payload), "from": case.id},
                    )
            if not sent_any:
                break
        for case in self.cases.values():
            if case.undelivered:
                case.live.requeue(case.undelivered)
                case.undelivered = []

    def _find_receiver(self, name: str, event: Any, exclude: str) -> LoadedCase | None:
        candidates = (
            self.connection.execute(
                select(message_subscriptions.c.instance_id)
                .where(message_subscriptions.c.message_name == name)
                .where(message_subscriptions.c.instance_id != exclude)
                .order_by(message_subscriptions.c.instance_id)
            )
            .scalars()
            .all()
        )
        for instance_id in dict.fromkeys(candidates):
            candidate = self.load(instance_id)
            if candidate.row["state"] not in ("running", "error"):
                continue
            if candidate.live.receive_event(event):
                return candidate
        return None

    # --- saving -------------------------------------------------------------------------------

    def save_all(self) -> None:
        """Write every touched case. The engine step is over: an optimistic transaction takes the
        write lock here (if no write took it yet), so what saving reads is current. The user expressions
        of the tasks the save opens (routing, deadlines, instructions) are evaluated before it."""
        for case in self.cases.values():
            prepare_openings(self, case)
        take_write_lock(self.connection)
        for case in self.cases.values():
            self._save(case)

    def _save(self, case: LoadedCase) -> None:
        if case.new:  # the case row first: tasks, incidents and state rows refer to it
            case.row["number"] = self._next_number()
            self.connection.execute(
                _INSERT_CASE,
                {
                    **case.row,
                    "variables_json": "{}",
                    "completed_activities_json": "[]",
                    "active_activities_json": "[]",
                },
            )
        open_steps = sync_tasks(self, case)
        state = self._case_state(case)
        self._record_incidents(case)
        case_events.record_activities(self, case)
        variables = case.live.variables()
        case_events.record_variables(self, case, variables)
        row = case.row
        ending = state in ("completed", "cancelled") and row.get("ended_at") is None
        row["state"] = state
        if ending:
            row["ended_at"] = self.now
            row["ended_how"] = case_events.ended_how(case, state)
        values = {
            "state": state,
            "ended_at": row.get("ended_at"),
            "ended_how": row.get("ended_how"),
            "variables_json": dumps_for_reading(variables),
            "completed_activities_json": dumps(case.live.completed_activities()),
            "active_activities_json": dumps(case.live.active_activities()),
            "row_version": case.loaded_version + 1,
            "department_code": row["department_code"],
            # every save writes the whole case in the current form, also right after a migration
            "serializer_version": SERIALIZER_VERSION,
            "layout_version": LAYOUT_VERSION,
        }
        updated = self.connection.execute(
            _UPDATE_CASE, {**values, "b_id": case.id, "b_loaded_version": case.loaded_version}
        ).rowcount
        if updated != 1:
            raise Conflict("the case was changed by someone else; reload and try again", code="stale_case")
        row.update(values)
        if ending:
            case_events.record_end(self, case, row["ended_how"])
        if state in ("completed", "cancelled"):  # supervision tasks end with their case
            withdrawn = self.connection.execute(
                update(tasks)
                .where(tasks.c.instance_id == case.id, tasks.c.kind == "escalation", tasks.c.state.in_(OPEN_STATES))
                .values(state="cancelled", ended_at=self.now)
                .returning(tasks.c.id)
            ).scalars()
            for task_id in withdrawn.all():
                self.record(
                    action="task.cancelled",
                    instance_id=case.id,
                    task_id=task_id,
                    details={"cause": "escalation_withdrawn", "case_state": state},
                )
        self._write_rows(case)
        sync_timers(self, case)
        sync_subscriptions(self, case)
        project_case(self, case, open_steps)
        self._saved.append(case)

    def _write_rows(self, case: LoadedCase) -> None:
        changes = diff_rows(case.live.rows(), case.digests)
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for state_row in changes.upserts:
            if state_row.key in case.digests:
                updates.append({"k": state_row.key, "d": state_row.digest, "c": state_row.content})
            else:
                inserts.append(
                    {
                        "instance_id": case.id,
                        "row_key": state_row.key,
                        "owner": state_row.owner,
                        "seq": case.next_seq,
                        "digest": state_row.digest,
                        "content": state_row.content,
                    }
                )
                case.next_seq += 1
            case.digests[state_row.key] = state_row.digest
        if inserts:
            self.connection.execute(insert(case_state_rows), inserts)
        if updates:
            self.connection.execute(
                update(case_state_rows)
                .where(case_state_rows.c.instance_id == case.id)
                .where(case_state_rows.c.row_key == bindparam("k"))
                .values(digest=bindparam("d"), content=bindparam("c")),
                updates,
            )
        if changes.deletes:
            self.connection.execute(
                delete(case_state_rows)
                .where(case_state_rows.c.instance_id == case.id)
                .where(case_state_rows.c.row_key.in_(changes.deletes))
            )
            for key in changes.deletes:
                case.digests.pop(key, None)
        self.bytes_written += sum(len(u["c"]) for u in updates) + sum(len(i["content"]) for i in inserts)

    def _case_state(self, case: LoadedCase) -> str:
        if case.state_override is not None:
            return case.state_override
        if case.failures:
            return "error"
        if case.row["state"] == "error" and self._has_open_incident(case):
            return "error"
        if case.live.finished:
            return "completed"
        return "running"

    def _has_open_incident(self, case: LoadedCase) -> bool:
        if case.new:
            return False
        return self.connection.execute(_OPEN_INCIDENT, {"instance_id": case.id}).first() is not None

    def _record_incidents(self, case: LoadedCase) -> None:
        for failure in case.failures:
            task_id = self._task_instance_of(case, failure.task_id)
            self.connection.execute(
                insert(incidents).values(
                    id=str(uuid.uuid4()),
                    instance_id=case.id,
                    task_id=task_id,
                    element_id=failure.element_id,
                    code=failure.code,
                    message=failure.message,
                    line=failure.line,
                    data_json=dumps(failure.data) if failure.data is not None else None,
                    created_at=self.now,
                )
            )
            self.record(
                action="incident.raised",
                instance_id=case.id,
                task_id=task_id,
                details={"code": failure.code, "element_id": failure.element_id, "message": failure.message},
            )

    def _task_instance_of(self, case: LoadedCase, spiff_task_id: str | None) -> str | None:
        """The latest task instance opened for a workflow task; the workflow task's own id when it has
        none (script tasks, gateways, or a user task that failed before it opened)."""
        if spiff_task_id is None:
            return spiff_task_id
        row_id = self.connection.execute(
            select(tasks.c.id)
            .where(tasks.c.instance_id == case.id, tasks.c.spiff_task_id == spiff_task_id)
            .order_by(tasks.c.state.in_(OPEN_STATES).desc(), tasks.c.created_at.desc(), tasks.c.id.desc())
            .limit(1)
        ).scalar()
        return str(row_id) if row_id is not None else spiff_task_id

    # --- projections --------------------------------------------------------------------------

    def deadline(self, duration: str, calendar: str) -> datetime:
        return compute_due(self.now, duration, calendar, self.engine.calendar, self.engine.policy).at

    # --- after the transaction ----------------------------------------------------------------

    def after_commit(self) -> None:
        for case in self._saved:
            self.engine.cases.put(
                case.id,
                CachedCase(case.row["row_version"], case.live, case.digests, case.next_seq, case.projected or {}),
            )

    def touched(self) -> Iterable[LoadedCase]:
        return self.cases.values()


def definition_row(connection: Connection, definition_id: str) -> dict[str, Any]:
    row = (
        connection.execute(select(process_definitions).where(process_definitions.c.id == definition_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"process definition {definition_id} does not exist", code="definition_not_found")
    return dict(row)


def load_specs(row: dict[str, Any]) -> tuple[SpecBundle, DefinitionModel]:
    version = stored_version(row, f"process definition {row['key']} version {row['version']}")
    return SpecBundle.from_json(row["spec_json"], version), DefinitionModel.from_json(row["model_json"])


def stored_version(row: Mapping[Any, Any], what: str) -> str:
    """The serializer version a stored case or definition row was written by, once it is known to
    be readable (current, or older and migratable); anything else is a clear ``Conflict``."""
    try:
        needs_migration(row["serializer_version"], row["layout_version"], what)
    except StateVersionError as error:
        raise Conflict(str(error), code="unsupported_state_version") from error
    return str(row["serializer_version"])


# built once: whether a case has a blocking incident still open
_OPEN_INCIDENT = (
    select(incidents.c.id)
    .where(incidents.c.instance_id == bindparam("instance_id"), incidents.c.resolved_at.is_(None))
    .where(incidents.c.code.not_in(NON_BLOCKING_INCIDENTS))
    .limit(1)
)
