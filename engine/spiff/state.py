"""A workflow's state as independent rows, so a step writes only what changed.

SpiffWorkflow serializes a whole workflow as one dict. Here that dict is split into one row per
task and one row per (sub)workflow's own attributes. Every save converts every task (a task's
stored delta depends on its parent's data, and loop and multi-instance parents change data
without changing state, so "tasks whose state changed" is not enough) and compares a digest of
each row with the digest last stored: only rows whose digest differs are written, rows that
vanished are deleted. Restoring reassembles exactly the dict the library's own serializer makes.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.spiff.state_versions import SERIALIZER_VERSION, migrate_document

if TYPE_CHECKING:
    from engine.spiff.specs import SpecBundle

TOP = "top"


def _build_serializer() -> BpmnWorkflowSerializer:
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]), typename="Decimal")
    registry.register(
        date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]), typename="date"
    )
    return BpmnWorkflowSerializer(registry, version=SERIALIZER_VERSION)


SERIALIZER = _build_serializer()


def dumps(value: Any) -> str:
    """Compact JSON that keeps key order: task data restored in another order would make the
    library compute its deltas in another order, so a reload would not be exact."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def dumps_for_reading(value: Any) -> str:
    """Like :func:`dumps` for what people and clients read (a case's variables): dates and times as
    ISO 8601 text, decimals as text."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_readable_default)


def _readable_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return _json_default(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if isinstance(value, (date, Decimal)):  # a date, datetime or Decimal the converter passed through
        return SERIALIZER.registry.convert(_plain(value))
    raise TypeError(f"value of type {type(value).__name__} cannot be stored in case data")


def _plain(value: Any) -> Any:
    """A subclass of ``datetime`` (the sandbox's clock-following one) as a plain ``datetime``, so the
    registry knows its type."""
    if isinstance(value, datetime) and type(value) is not datetime:
        return datetime.fromisoformat(value.isoformat())
    return value


def digest(content: str) -> str:
    return hashlib.blake2b(content.encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True)
class StateRow:
    """One stored piece of a case: a task, or one (sub)workflow's own attributes."""

    key: str  # "wf:top", "wf:<subprocess id>" or "task:<task id>"
    owner: str  # the workflow the row belongs to: "top" or a subprocess id
    content: str
    digest: str


@dataclass(frozen=True)
class RowChanges:
    """What a save must write: rows to insert or update, and keys to delete."""

    upserts: list[StateRow]
    deletes: list[str]

    @property
    def empty(self) -> bool:
        return not self.upserts and not self.deletes


def _workflow_converter() -> WorkflowConverter:
    converter = SERIALIZER.registry.convert_to_dict["BpmnWorkflow"].args[1].__self__
    assert isinstance(converter, WorkflowConverter)
    return converter


def _row(key: str, owner: str, value: Any) -> StateRow:
    content = dumps(value)
    return StateRow(key, owner, content, digest(content))


PART_SIZE = 64  # list items per part row
PARTS = "__wutong_parts__"  # marker left in a task row where a long list was moved out


def _task_rows(task_id: str, owner: str, task: dict[str, Any]) -> list[StateRow]:
    """A task's row, plus part rows for the lists that grow with history.

    A loop task's ``children`` and its ``internal_data`` lists gain one id per pass. Kept inline
    they would make the task's row, rewritten on every pass, grow without bound; cut into
    fixed-size parts, a pass rewrites only the last part, so the bytes a step writes stay flat.
    """
    parts: list[StateRow] = []

    def cut(container: dict[str, Any], name: str, slot: str) -> None:
        value = container.get(name)
        if isinstance(value, list) and len(value) > PART_SIZE and len(slot) <= 64 and ":" not in slot:
            count = (len(value) + PART_SIZE - 1) // PART_SIZE
            for index in range(count):
                chunk = value[index * PART_SIZE : (index + 1) * PART_SIZE]
                parts.append(_row(f"part:{task_id}:{slot}:{index}", owner, chunk))
            container[name] = {PARTS: count}

    cut(task, "children", "children")
    internal = task.get("internal_data")
    if isinstance(internal, dict):
        for name in list(internal):
            cut(internal, name, f"internal_data.{name}")
    return [_row(f"task:{task_id}", owner, task), *parts]


def _join_parts(task: dict[str, Any], task_id: str, parts: Mapping[tuple[str, str], dict[int, list[Any]]]) -> None:
    def join(container: dict[str, Any], name: str, slot: str) -> None:
        marker = container.get(name)
        if isinstance(marker, dict) and set(marker) == {PARTS}:
            pieces = parts.get((task_id, slot), {})
            container[name] = [item for index in range(marker[PARTS]) for item in pieces[index]]

    join(task, "children", "children")
    internal = task.get("internal_data")
    if isinstance(internal, dict):
        for name in list(internal):
            join(internal, name, f"internal_data.{name}")


class RowCache:
    """Each task's rows from the last save of one live workflow, with a snapshot of everything the
    library's task converter reads: state, ``last_state_change``, ``triggered``, parent and children
    ids, ``internal_data``, and deep copies of the task's data (its row stores a delta against its
    parent's data, so the parent's data must be unchanged too).

    A task whose snapshot still equals the task reuses its rows; only the others are converted. The
    data comparison is what keeps this sound: a task's data may change without any change of state
    (loop and multi-instance parents, nested values shared by reference with other tasks), and
    comparing with an independent deep copy sees every such change. Anything that does not compare
    equal to its copy (objects without ``__eq__``, NaN) is simply converted again.

    After every save each task's snapshot holds its data as of that save, so "the parent's data is
    unchanged" is the parent's own data comparison, made just before (a parent is created, and
    stored, before its children). Keys are the ids' integers: ``UUID.__hash__`` runs in Python and
    was a third of the time on a 1,000-task case.
    """

    def __init__(self) -> None:
        self._entries: dict[int, tuple[tuple[Any, ...], list[StateRow]]] = {}
        self._data_unchanged: dict[int, bool] = {}

    def rows(self, task: Any, owner: str) -> list[StateRow]:
        key = task.id.int
        entry = self._entries.get(key)
        if entry is not None:
            snapshot, rows = entry
            data_unchanged = task.data == snapshot[6]
            self._data_unchanged[key] = data_unchanged
            if data_unchanged and self._parent_data_unchanged(task) and _unchanged(snapshot, task):
                return rows
        else:
            self._data_unchanged[key] = False
        rows = _task_rows(str(task.id), owner, SERIALIZER.registry.convert(task))
        self._entries[key] = (_snapshot(task), rows)
        return rows

    def _parent_data_unchanged(self, task: Any) -> bool:
        if task._parent is None:
            return True
        known = self._data_unchanged.get(task._parent.int)
        if known is not None:
            return known
        return False  # a parent outside this walk (not expected): convert to be safe

    def start_walk(self) -> None:
        self._data_unchanged.clear()

    def keep_only(self, count: int) -> None:
        """Forget tasks that left the workflow; ``count`` tasks were walked, each now has an entry."""
        if len(self._entries) != count:
            walked = self._data_unchanged
            for key in [k for k in self._entries if k not in walked]:
                del self._entries[key]


def _snapshot(task: Any) -> tuple[Any, ...]:
    return (
        task.state,
        task.last_state_change,
        task.triggered,
        task._parent,
        list(task._children),
        copy.deepcopy(task.internal_data),
        copy.deepcopy(task.data),
    )


def _unchanged(snapshot: tuple[Any, ...], task: Any) -> bool:
    """Everything but the data, which ``RowCache.rows`` compared first."""
    state, changed, triggered, parent_id, children, internal, _data = snapshot
    return bool(
        task.state == state
        and task.last_state_change == changed
        and task.triggered == triggered
        and task._parent == parent_id
        and task._children == children
        and task.internal_data == internal
    )


def workflow_rows(workflow: BpmnWorkflow, cache: RowCache | None = None) -> list[StateRow]:
    """Convert a running workflow into rows, top workflow first, tasks in creation order.

    With a ``cache`` (kept by the live case between saves), only tasks that changed since the last
    save are converted; the rows are the same either way.
    """
    registry = SERIALIZER.registry
    registry._encoder_mode = False
    cache = cache if cache is not None else RowCache()
    converter = _workflow_converter()
    walked = 0
    rows: list[StateRow] = []
    cache.start_walk()
    owners: list[tuple[str, Any, dict[str, Any]]] = [(TOP, workflow, _top_row(converter, workflow))]
    for sub_id, subprocess in workflow.subprocesses.items():
        owners.append((str(sub_id), subprocess, _sub_row(subprocess)))
    for owner, flow, own_row in owners:
        rows.append(_row(f"wf:{owner}", owner, own_row))
        for task in flow.tasks.values():
            walked += 1
            rows.extend(cache.rows(task, owner))
    cache.keep_only(walked)
    return rows


def _top_row(converter: WorkflowConverter, workflow: BpmnWorkflow) -> dict[str, Any]:
    registry = SERIALIZER.registry
    top = {
        "data": registry.convert(registry.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "root": str(workflow.task_tree.id),
        "bpmn_events": registry.convert(workflow.bpmn_events),
    }
    return top


def _sub_row(subprocess: Any) -> dict[str, Any]:
    registry = SERIALIZER.registry
    return {
        "data": registry.convert(registry.clean(subprocess.data)),
        "correlations": subprocess.correlations,
        "last_task": str(subprocess.last_task.id) if subprocess.last_task is not None else None,
        "success": subprocess.success,
        "completed": subprocess.completed,
        "root": str(subprocess.task_tree.id),
        "parent_task_id": str(subprocess.parent_task_id),
        "spec": subprocess.spec.name,
        "typename": "BpmnSubWorkflow",
    }


def diff_rows(rows: Iterable[StateRow], stored: Mapping[str, str]) -> RowChanges:
    """Compare fresh rows with the stored digests (key -> digest)."""
    upserts: list[StateRow] = []
    seen: set[str] = set()
    for row in rows:
        seen.add(row.key)
        if stored.get(row.key) != row.digest:
            upserts.append(row)
    deletes = [key for key in stored if key not in seen]
    return RowChanges(upserts, deletes)


def restore_workflow(
    specs: SpecBundle, rows: Iterable[tuple[str, str, str]], version: str = SERIALIZER_VERSION
) -> BpmnWorkflow:
    """Rebuild a workflow from its specs and its (key, owner, content) rows in stored order.

    Mirrors ``BpmnWorkflowConverter.from_dict`` but takes already restored (shared) spec objects.
    Rows written by an older serializer ``version`` are reassembled into one document with the
    definition's spec, migrated (``engine/spiff/state_versions.py``) and split again.
    """
    top: dict[str, Any] | None = None
    subprocesses: dict[str, dict[str, Any]] = {}
    tasks: list[tuple[str, str, dict[str, Any]]] = []
    parts: dict[tuple[str, str], dict[int, list[Any]]] = {}
    for key, owner, content in rows:
        kind, _, ident = key.partition(":")
        value = json.loads(content)
        if kind == "part":
            task_id, slot, index = ident.split(":")
            parts.setdefault((task_id, slot), {})[int(index)] = value
        elif kind == "wf":
            if ident == TOP:
                top = value
            else:
                value["tasks"] = {}
                subprocesses[ident] = value
        else:
            tasks.append((ident, owner, value))
    if top is None:
        raise ValueError("stored case has no workflow row")
    top["tasks"] = {}
    for task_id, owner, task in tasks:
        if parts:
            _join_parts(task, task_id, parts)
        target = top if owner == TOP else subprocesses[owner]
        target["tasks"][task_id] = task
    if version != SERIALIZER_VERSION:
        top, subprocesses = _migrated(specs, top, subprocesses, version)

    registry = SERIALIZER.registry
    converter = _workflow_converter()
    workflow = BpmnWorkflow(specs.spec, specs.subprocess_specs, deserializing=True)
    workflow.tasks = converter.mapping_from_dict(top["tasks"], UUID, workflow=workflow)
    workflow.task_tree = workflow.tasks.get(UUID(top["root"]))
    converter.set_default_attributes(workflow, top)
    for sub in subprocesses.values():
        sub["typename"] = "BpmnSubWorkflow"
    converter.subprocesses_from_dict(subprocesses, workflow)
    workflow.bpmn_events = registry.restore(top.get("bpmn_events", []))
    return workflow


def _migrated(
    specs: SpecBundle, top: dict[str, Any], subprocesses: dict[str, dict[str, Any]], version: str
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    registry = SERIALIZER.registry
    registry._encoder_mode = False
    document = {
        **top,
        "spec": registry.convert(specs.spec),
        "subprocess_specs": {name: registry.convert(s) for name, s in specs.subprocess_specs.items()},
        "subprocesses": subprocesses,
    }
    migrated = migrate_document(document, version)
    subprocesses = migrated.pop("subprocesses")
    for name in ("spec", "subprocess_specs", "serializer_version"):
        migrated.pop(name)
    return migrated, subprocesses


def document_rows(document: dict[str, Any]) -> list[StateRow]:
    """A complete serialized workflow (as the library's serializer writes it) cut into rows,
    without running it: how a case written elsewhere (an older library, an export) is stored."""
    top = {k: v for k, v in document.items() if k not in _NOT_IN_TOP_ROW}
    rows = [_row(f"wf:{TOP}", TOP, top)]
    rows.extend(row for task_id, task in document["tasks"].items() for row in _task_rows(task_id, TOP, task))
    for sub_id, sub in document.get("subprocesses", {}).items():
        rows.append(_row(f"wf:{sub_id}", sub_id, {k: v for k, v in sub.items() if k != "tasks"}))
        rows.extend(row for task_id, task in sub["tasks"].items() for row in _task_rows(task_id, sub_id, task))
    return rows


_NOT_IN_TOP_ROW = ("tasks", "spec", "subprocess_specs", "subprocesses", "typename", "serializer_version")


def full_document(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The library's own complete serialized form, used to prove reloads are exact."""
    registry = SERIALIZER.registry
    registry._encoder_mode = False
    document: dict[str, Any] = json.loads(dumps(SERIALIZER.to_dict(workflow)))
    return document
