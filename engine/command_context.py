"""The command context: one command's unit of work (its connection, actor, clock reading and events)
and the cases it touches: load (or create) each once, note each engine step, save them all.

A ``CommandContext`` lives for exactly one command and one database transaction (also for commands
that touch no case: identity, sessions, calendar). It loads each case it touches once (from the
per-process cache when the stored ``row_version`` still matches, otherwise from the rows) and notes
the version it read (checked when an optimistic command takes the write lock). After each engine step
it evaluates the expressions of the tasks the step readied and delivers the messages the step threw
(``engine.message_delivery``); at the end it saves every touched case (``engine.case_saving``) and,
after the commit, puts the live cases back in the cache. Nothing here commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from engine import audit
from engine.actors import Actor
from engine.case_saving import save_case
from engine.deadlines import compute_due
from engine.definitions import DefinitionModel
from engine.errors import Conflict, NotFound
from engine.message_delivery import MessageDelivery
from engine.persistence.database import StaleRead, take_write_lock
from engine.persistence.tables import case_state_rows, process_definitions, process_instances
from engine.projections import TEMPLATE_INCIDENTS, prepare_openings
from engine.spiff.cases import Failure, LiveCase
from engine.spiff.specs import SpecBundle
from engine.spiff.state_versions import LAYOUT_VERSION, SERIALIZER_VERSION, StateVersionError, needs_migration

if TYPE_CHECKING:
    from engine.core import ProcessEngine


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
    # workflow task id -> the task instance this command knows to be its open (else latest) opening: the
    # one it completed, and those the save found open or opened (history events name them unread)
    task_rows: dict[str, str] = field(default_factory=dict)

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
        self._messages = MessageDelivery(self)
        self.read_versions: dict[str, int] = {}  # case id -> row_version this command read it at
        self._heads: dict[str, audit.Head] = {}  # the audit chain heads this command wrote

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
        self._events.append(self.event(action, instance_id, task_id, acting_for, details))

    def event(
        self,
        action: str,
        instance_id: str | None,
        task_id: str | None = None,
        acting_for: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> audit.PendingEvent:
        """An audit event of this command's actor, not yet recorded."""
        return audit.PendingEvent(
            at=self.now,
            actor=self.actor,
            action=action,
            request_id=self.request_id,
            instance_id=instance_id,
            task_id=task_id,
            acting_for=acting_for,
            details=details,
        )

    def append_events(self) -> None:
        """Append the recorded events to their chains (the last write of the command's transaction)."""
        events, self._events = self._events, []
        take_write_lock(self.connection)  # the chain heads are read then written: read them locked
        engine = self.engine
        fresh = {case.id for case in self.cases.values() if case.new}  # chains no event was appended to yet
        self._heads.update(audit.record(self.connection, engine.config.audit_keys, events, engine.chain_heads, fresh))

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
        projected = {"timers": [], "subscriptions": [], TEMPLATE_INCIDENTS: False}
        case = LoadedCase(row, live, model, {}, 0, 0, new=True, projected=projected)
        self.cases[instance_id] = case
        return case

    # --- advancing ----------------------------------------------------------------------------

    def note(self, case: LoadedCase, failure: Failure | None) -> None:
        """After an engine step: keep its failure, evaluate the user expressions of the tasks it readied
        now, and deliver the messages it threw (the receivers run their steps), all before the command
        writes (and so, on SQLite, before it holds the write lock)."""
        if failure is not None:
            case.failures.append(failure)
        prepare_openings(self, case)
        self._messages.deliver()

    def deliver_messages(self) -> None:
        """The executor, after ``execute``: deliver what a case threw outside a noted step, record the
        deliveries' events after the command's own, requeue what nobody waited for."""
        self._events.extend(self._messages.finish())

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
        self.bytes_written += save_case(self, case)
        self._saved.append(case)

    # --- projections --------------------------------------------------------------------------

    def deadline(self, duration: str, calendar: str) -> datetime:
        return compute_due(self.now, duration, calendar, self.engine.calendar, self.engine.policy).at

    # --- after the transaction ----------------------------------------------------------------

    def after_commit(self) -> None:
        self.engine.chain_heads.put_all(self._heads)
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

