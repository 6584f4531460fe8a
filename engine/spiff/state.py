"""A workflow's state as independent rows, so a step writes only what changed.

SpiffWorkflow serializes a whole workflow as one dict. Here that dict is split into one row per
task and one row per (sub)workflow's own attributes. Every save converts every task (a task's
stored delta depends on its parent's data, and loop and multi-instance parents change data
without changing state, so "tasks whose state changed" is not enough) and compares a digest of
each row with the digest last stored: only rows whose digest differs are written, rows that
vanished are deleted. Restoring reassembles exactly the dict the library's own serializer makes.
"""

from __future__ import annotations

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


PartMemo = dict[str, tuple[list[Any], StateRow]]
"""A task's part rows by key, each with the items it holds (so an unchanged part is not dumped again)."""


def _task_rows(task_id: str, owner: str, task: dict[str, Any], memo: PartMemo | None = None) -> list[StateRow]:
    """A task's row, plus part rows for the lists that grow with history.

    A loop task's ``children`` and its ``internal_data`` lists gain one id per pass. Kept inline
    they would make the task's row, rewritten on every pass, grow without bound; cut into
    fixed-size parts, a pass rewrites only the last part, so the bytes a step writes stay flat.
    With a ``memo`` (the task's parts as last cut, replaced by this cut's), a part whose items are
    unchanged reuses its row instead of being dumped and digested again.
    """
    parts: list[StateRow] = []
    known = dict(memo) if memo is not None else {}
    if memo is not None:
        memo.clear()

    def cut(container: dict[str, Any], name: str, slot: str) -> None:
        value = container.get(name)
        if isinstance(value, list) and len(value) > PART_SIZE and len(slot) <= 64 and ":" not in slot:
            count = (len(value) + PART_SIZE - 1) // PART_SIZE
            for index in range(count):
                chunk = value[index * PART_SIZE : (index + 1) * PART_SIZE]
                key = f"part:{task_id}:{slot}:{index}"
                last = known.get(key)
                row = last[1] if last is not None and last[0] == chunk else _row(key, owner, chunk)
                parts.append(row)
                if memo is not None:
                    memo[key] = (chunk, row)
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
