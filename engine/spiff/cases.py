"""A running case behind a typed facade: the rest of the engine never touches SpiffWorkflow objects.

Every method that advances the workflow returns a ``Failure`` instead of raising when BPMN content
fails (a script, a gateway without a true condition, a DMN table without a match): the caller
records an incident and the case stops at the failing element with everything before it kept.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import TerminateEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.spiff import boundary_cycles, dmn_rules, row_cache, state, storable_steps, timer_limits
from engine.spiff.activities import ActivityChange
from engine.spiff.specs import SpecBundle
from engine.spiff.state_versions import SERIALIZER_VERSION
from engine.spiff.task_index import TaskIndex

E = TypeVar("E")

_STRICT_DMN = dmn_rules.NoMatchingRule  # importing dmn_rules makes a table with no matching rule fail
_STORABLE = storable_steps.UnstorableResult  # importing it makes a step with an unstorable result fail
_CYCLES = boundary_cycles  # importing it keeps the work repeating boundary timers started
_CYCLE_BOUNDS = timer_limits.bounds_problem  # importing it checks computed timer cycles when they start
ACTIVE_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


@dataclass(frozen=True)
class ReadyTask:
    """A human task waiting for someone."""

    id: str
    activity_id: str
    name: str | None
    lane: str | None
    properties: dict[str, str]
    instructions: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class WaitingTimer:
    task_id: str
    activity_id: str
    due_at: datetime


@dataclass(frozen=True)
class WaitingMessage:
    task_id: str
    activity_id: str
    name: str
    correlations: dict[str, Any]  # flattened: property name -> expected value


@dataclass(frozen=True)
class OutgoingMessage:
    name: str
    payload: Any
    correlations: dict[str, Any]  # flattened: property name -> value


@dataclass(frozen=True)
class Failure:
    """Why and where engine steps stopped."""

    element_id: str | None
    task_id: str | None
    message: str
    line: int | None
    data: dict[str, Any] | None
    code: str = "script_failed"


def _bpmn_id(task: Task) -> str | None:
    bpmn_id: str | None = getattr(task.task_spec, "bpmn_id", None)
    return bpmn_id


def _flatten(correlations: Mapping[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for properties in correlations.values():
        if isinstance(properties, Mapping):
            flat.update(properties)
    return flat


def _failure_from(exc: BaseException, fallback: Task | None = None) -> Failure:
    task = getattr(exc, "task", None) or fallback
    line = getattr(exc, "line_number", None)
    message = str(exc)
    notes = getattr(exc, "__notes__", None)
    if notes:
        message = message + " " + " ".join(str(n) for n in notes)
    data = _jsonable(task.data) if task is not None else None
    return Failure(
        element_id=_bpmn_id(task) if task is not None else None,
        task_id=str(task.id) if task is not None else None,
        message=message.strip(),
        line=line if isinstance(line, int) else None,
        data=data,
        code=getattr(exc, "incident_code", "script_failed"),
    )


def _jsonable(data: Mapping[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(state.dumps(state.SERIALIZER.registry.convert(dict(data))))
    return loaded


class LiveCase:
    """One case's workflow, with the script engine attached (it is never serialized)."""

    def __init__(self, workflow: BpmnWorkflow, script_engine: Any, *, new: bool = False) -> None:
        """``new``: a case that has just started, so every activity it reached counts as started."""
        self.workflow = workflow
        workflow.script_engine = script_engine
        self._row_cache = row_cache.RowCache()  # rows of the last save, so a save converts only what changed
        # ready, waiting and active tasks and activity phases; every method that moves the workflow
        # marks it dirty, and it catches up with one cheap walk when next asked
        self._index = TaskIndex(workflow, report_existing=new)

    # --- creation and storage -----------------------------------------------------------------

    @classmethod
    def start(cls, specs: SpecBundle, variables: Mapping[str, Any], script_engine: Any) -> LiveCase:
        workflow = BpmnWorkflow(specs.spec, specs.subprocess_specs, script_engine=script_engine)
        first = workflow.get_tasks(state=TaskState.READY)
        for task in first:
            task.data.update(copy.deepcopy(dict(variables)))
        return cls(workflow, script_engine, new=True)

    @classmethod
    def restore(
        cls,
        specs: SpecBundle,
        rows: Iterable[tuple[str, str, str]],
        script_engine: Any,
        version: str = SERIALIZER_VERSION,
    ) -> LiveCase:
        """Rebuild a stored case; rows of an older serializer ``version`` are migrated."""
        return cls(state.restore_workflow(specs, rows, version), script_engine)

    def rows(self) -> list[state.StateRow]:
        return row_cache.workflow_rows(self.workflow, self._row_cache)

    def document(self) -> dict[str, Any]:
        return state.full_document(self.workflow)

    # --- advancing ----------------------------------------------------------------------------

    def run(self) -> Failure | None:
        """Run engine steps until only human work, timers or messages remain."""
        self._index.dirty = True
        try:
            self.workflow.do_engine_steps()
        except (SpiffWorkflowException, Exception) as exc:  # BPMN content failed: becomes an incident
            return _failure_from(exc, self._failed_task())
        return None

    def _failed_task(self) -> Task | None:
        return next((t for t in self._all_tasks() if t.state == TaskState.ERROR), None)

    def complete(self, task_id: str, data: Mapping[str, Any]) -> Failure | None:
        task = self._task(task_id)
        task.data.update(copy.deepcopy(dict(data)))
        self._index.dirty = True
        try:
            task.run()
        except (SpiffWorkflowException, Exception) as exc:
            return _failure_from(exc, task)
        return self.run()

    def fire_timers(self) -> Failure | None:
        self._index.dirty = True
        try:
            self.workflow.refresh_timers()
        except (SpiffWorkflowException, Exception) as exc:
            return _failure_from(exc, self._failed_task())
        return self.run()

    def retry(self) -> Failure | None:
        """Make failed tasks ready again and resume from them."""
        self._index.dirty = True
        for task in self._all_tasks():
            if task.state == TaskState.ERROR:
                task._set_state(TaskState.READY)
        return self.run()

    def send_back(self, task_id: str, activity_id: str) -> bool:
        """Reopen the latest finished ``activity_id`` that led to ``task_id``; False if none did."""
        current = self._task(task_id)
        earlier = [
            t
            for t in self._all_tasks()
            if _bpmn_id(t) == activity_id and t.state == TaskState.COMPLETED and _is_ancestor(t, current)
        ]
        if not earlier:
            return False
        latest = max(earlier, key=lambda t: _depth(t))
        self._index.dirty = True
        # The reopened step starts from the case's data as it is now, not from what flowed into it the
        # first time (which may be empty once old task data is compacted).
        self.workflow.reset_from_task_id(latest.id, data=copy.deepcopy(current.data))
        return True

    def cancel(self) -> None:
        self._index.dirty = True
        self.workflow.cancel()

    def update_variables(self, set_values: Mapping[str, Any], unset: Iterable[str]) -> None:
        """Change data where the case goes on from: tasks that are ready, waiting or failed."""
        names = list(unset)
        for task in self._all_tasks():
            if task.state & ACTIVE_STATES:
                task.data.update(copy.deepcopy(dict(set_values)))
                for name in names:
                    task.data.pop(name, None)
        self.workflow.data.update(copy.deepcopy(dict(set_values)))
        for name in names:
            self.workflow.data.pop(name, None)

    # --- messages -----------------------------------------------------------------------------

    def take_outgoing(self) -> list[tuple[OutgoingMessage, Any]]:
        """Messages this case threw that none of its own tasks caught (its outbox), removed from it.

        Each comes with the opaque event to hand to ``receive_event`` of another case.
        """
        outgoing: list[tuple[OutgoingMessage, Any]] = []
        keep: list[Any] = []
        for event in self.workflow.get_events():
            if isinstance(event.event_definition, MessageEventDefinition):
                message = OutgoingMessage(
                    name=event.event_definition.name,
                    payload=copy.deepcopy(event.payload),
                    correlations=_flatten(event.correlations or {}),
                )
                outgoing.append((message, event))
            else:
                keep.append(event)
        self.workflow.bpmn_events.extend(keep)
        return outgoing

    def requeue(self, events: Iterable[Any]) -> None:
        """Put undelivered messages back in the outbox, so a retry sends them again."""
        self.workflow.bpmn_events.extend(events)

    def evaluate_on_start(self, expression: str) -> Any:
        """Evaluate over the start data (the first task's), before engine steps ran."""
        ready = self.workflow.get_tasks(state=TaskState.READY)
        return self.workflow.script_engine.evaluate(ready[0] if ready else self.workflow.task_tree, expression)

    def evaluate(self, task_id: str, expression: str) -> Any:
        """Evaluate a sandboxed expression over a task's data (e.g. ``assignDepartment``)."""
        task = self._task(task_id)
        return self.workflow.script_engine.evaluate(task, expression)

    def waiting_messages(self) -> list[WaitingMessage]:
        waiting: list[WaitingMessage] = []
        for task in self._index.waiting():
            spec = task.task_spec
            if not isinstance(spec, CatchingEvent):
                continue
            for definition in _caught(spec, MessageEventDefinition):
                waiting.append(
                    WaitingMessage(
                        task_id=str(task.id),
                        activity_id=_bpmn_id(task) or spec.name,
                        name=definition.name,
                        correlations=_flatten(task.workflow.correlations),
                    )
                )
        return waiting

    def receive(
        self,
        name: str,
        payload: Any,
        correlations: Mapping[str, Any] | None = None,
        *,
        own_correlations: bool = False,
    ) -> bool:
        """Deliver a message; True when a waiting task took it.

        ``own_correlations``: a correlation property the payload does not carry takes the case's own
        value (the caller named the case), instead of failing to evaluate.
        """
        for task, definition in self._waiting_for(name):
            if not self._payload_correlates(definition, task, payload):
                continue
            event_correlations = (
                dict(correlations) if correlations is not None else copy.deepcopy(task.workflow.correlations)
            )
            event = BpmnEvent(definition, copy.deepcopy(payload), event_correlations)
            defaults: dict[str, Any] = {}
            if own_correlations:
                expected = _flatten(task.workflow.correlations)
                defaults = {
                    prop.retrieval_expression: expected[prop.name]
                    for prop in self._missing_properties(definition, payload)
                    if prop.name in expected
                }
            engine = self.workflow.script_engine
            self._index.dirty = True
            if defaults:
                self.workflow.script_engine = _CorrelationDefaults(engine, defaults)
            try:
                self.workflow.send_event(event)
            except WorkflowException:
                continue
            finally:
                self.workflow.script_engine = engine
            return True
        return False

    def missing_correlations(self, name: str, payload: Any) -> list[str]:
        """Correlation properties of the catch waiting for ``name`` that ``payload`` does not carry."""
        missing: dict[str, None] = {}
        for _task, definition in self._waiting_for(name):
            for prop in self._missing_properties(definition, payload):
                missing.setdefault(prop.name, None)
        return list(missing)

    def _waiting_for(self, name: str) -> list[tuple[Task, MessageEventDefinition]]:
        """Waiting tasks that catch the message ``name`` (an event-based gateway among its events)."""
        return [
            (task, definition)
            for task in self._index.waiting()
            for definition in _caught(task.task_spec, MessageEventDefinition)
            if definition.name == name
        ]

    def _missing_properties(self, definition: Any, payload: Any) -> list[Any]:
        missing: list[Any] = []
        for prop in getattr(definition, "correlation_properties", []) or []:
            try:
                self.workflow.script_engine.environment.evaluate(
                    prop.retrieval_expression, dict(payload) if isinstance(payload, Mapping) else {}
                )
            except Exception:  # the payload does not carry this property
                missing.append(prop)
        return missing

    def _payload_correlates(self, definition: Any, task: Task, payload: Any) -> bool:
        """False when the payload carries a correlation value that differs from the waiting case's."""
        expected = _flatten(task.workflow.correlations)
        if not expected or not isinstance(payload, Mapping):
            return True
        for prop in getattr(definition, "correlation_properties", []) or []:
            if prop.name not in expected:
                continue
            try:
                value = self.workflow.script_engine.environment.evaluate(prop.retrieval_expression, dict(payload))
            except Exception:  # the payload does not carry this property: nothing to contradict
                continue
            if value != expected[prop.name]:
                return False
        return True

    def receive_event(self, event: Any) -> bool:
        """Deliver another case's thrown event (its correlations decide whether it matches)."""
        self._index.dirty = True
        try:
            self.workflow.send_event(copy.deepcopy(event))
        except WorkflowException:
            return False
        return True

    # --- reading ------------------------------------------------------------------------------

    def ready_user_tasks(self) -> list[ReadyTask]:
        ready: list[ReadyTask] = []
        for task in self._index.ready_manual():
            spec = task.task_spec
            extensions = getattr(spec, "extensions", None) or {}
            ready.append(
                ReadyTask(
                    id=str(task.id),
                    activity_id=_bpmn_id(task) or spec.name,
                    name=getattr(spec, "bpmn_name", None),
                    lane=getattr(spec, "lane", None),
                    properties=dict(extensions.get("properties", {}) or {}),
                    instructions=extensions.get("instructionsForEndUser"),
                    data=_jsonable(task.data),
                )
            )
        return ready

    def waiting_timers(self) -> list[WaitingTimer]:
        timers: list[WaitingTimer] = []
        for task in self._index.waiting():
            for definition in _caught(task.task_spec, TimerEventDefinition):
                due = _parse_due(definition.details(task).value)
                if due is not None:
                    timers.append(WaitingTimer(str(task.id), _bpmn_id(task) or task.task_spec.name, due))
                    break  # an event-based gateway keeps one due time for all its timers
        return timers

    def completed_activities(self) -> list[str]:
        return self._index.activities("completed")

    def active_activities(self) -> list[str]:
        return self._index.activities("active")

    def variables(self) -> dict[str, Any]:
        """The case's current data: the last completed task's, then what waiting work carries on with.

        Overlaying the active top-level tasks shows data changed since (fixed by a supervisor, or
        written by parallel branches still under way).
        """
        data: dict[str, Any] = dict(self.workflow.data)
        last = self.workflow.last_task
        if last is not None:
            data.update(last.data)
        for task in self._index.active():  # in tree order, the top workflow's first
            if task.workflow is self.workflow and _bpmn_id(task):
                data.update(task.data)
        return _jsonable(data)

    def task_data(self, task_id: str) -> dict[str, Any]:
        return _jsonable(self._task(task_id).data)

    def task_state(self, task_id: str) -> str | None:
        """A workflow task's state in lower case (``ready``, ``cancelled``, ...); None when it is gone."""
        key = UUID(task_id)
        for tasks in (self.workflow.tasks, *(sub.tasks for sub in self.workflow.subprocesses.values())):
            task = tasks.get(key)
            if task is not None:
                return str(TaskState.get_name(task.state)).lower()
        return None

    def has_task(self, task_id: str) -> bool:
        try:
            self._task(task_id)
        except KeyError:
            return False
        return True

    @property
    def finished(self) -> bool:
        """Completed, checked by the absence of unfinished work (``is_completed`` can lie)."""
        if self._index.any_active():
            return False
        return bool(self.workflow.is_completed())

    def activity_changes(self) -> list[ActivityChange]:
        """The activities that started, completed or were cancelled since the last call (or since the
        case was restored): derived from task states, so no command has to say what the engine did."""
        return self._index.activity_changes()

    def index_problems(self) -> list[str]:
        """Where the kept index of tasks differs from a full walk (the reload check asks; empty when right)."""
        return self._index.problems()

    def terminated(self) -> bool:
        """The case ended at a terminate end event of its top-level process."""
        return any(
            task.state == TaskState.COMPLETED
            and isinstance(getattr(task.task_spec, "event_definition", None), TerminateEventDefinition)
            for task in self.workflow.tasks.values()
        )

    # --- internals ----------------------------------------------------------------------------

    def _all_tasks(self) -> Iterator[Task]:
        yield from self.workflow.tasks.values()
        for subprocess in self.workflow.subprocesses.values():
            yield from subprocess.tasks.values()

    def _task(self, task_id: str) -> Task:
        task = self.workflow.get_task_from_id(UUID(task_id))
        if task is None:
            raise KeyError(task_id)
        return task


def _caught(spec: Any, kind: type[E]) -> list[E]:
    """The events of one kind (messages, timers) a task spec waits for: its own, or, for an
    event-based gateway (which holds its branches' events since SpiffWorkflow 3.2), each among them."""
    definition = getattr(spec, "event_definition", None)
    if isinstance(definition, kind):
        return [definition]
    if isinstance(definition, MultipleEventDefinition):
        return [d for d in definition.event_definitions if isinstance(d, kind)]
    return []


class _CorrelationDefaults:
    """A workflow's script engine for one delivery: a correlation property's retrieval expression that
    fails on the payload yields the case's own value."""

    def __init__(self, engine: Any, defaults: Mapping[str, Any]) -> None:
        self._engine = engine
        self._defaults = dict(defaults)
        self.environment = self

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        try:
            return self._engine.environment.evaluate(expression, context, external_context)
        except Exception:
            if expression in self._defaults:
                return copy.deepcopy(self._defaults[expression])
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)


def _is_ancestor(candidate: Task, task: Task) -> bool:
    node = task.parent
    while node is not None:
        if node.id == candidate.id:
            return True
        node = node.parent
    return False


def _depth(task: Task) -> int:
    depth, node = 0, task.parent
    while node is not None:
        depth, node = depth + 1, node.parent
    return depth


def _parse_due(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
