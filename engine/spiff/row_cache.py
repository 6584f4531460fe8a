"""A live workflow cut into rows at every save, converting only the tasks that changed since the last one.

``engine/spiff/state.py`` defines the rows; this module makes them quickly for a case that stays in
memory between commands. Two things keep a save's cost flat as a case's history grows: a task whose
snapshot still equals the task reuses its rows, and a task that changed converts the long lists it
carries (a loop task's children and merged iterations, one more per pass) only where they grew.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge

from engine.spiff.state import SERIALIZER, TOP, PartMemo, StateRow, _row, _task_rows


class RowCache:
    """Each task's rows from the last save of one live workflow, with a snapshot of everything the
    library's task converter reads: state, ``last_state_change``, ``triggered``, parent and children
    ids, ``internal_data``, and copies of the task's data (its row stores a delta against its
    parent's data, so the parent's data must be unchanged too).

    A task whose snapshot still equals the task reuses its rows; only the others are converted. The
    data comparison is what keeps this sound: a task's data may change without any change of state
    (loop and multi-instance parents, nested values shared by reference with other tasks), and
    comparing with an independent copy sees every such change. Anything that does not compare
    equal to its copy (objects without ``__eq__``, NaN) is simply converted again.

    After every save each task's snapshot holds its data as of that save, so "the parent's data is
    unchanged" is the parent's own data comparison, made just before (a parent is created, and
    stored, before its children). Keys are the ids' integers: ``UUID.__hash__`` runs in Python and
    was a third of the time on a 1,000-task case.
    """

    def __init__(self) -> None:
        self._entries: dict[int, tuple[tuple[Any, ...], Any, list[StateRow], _Converted]] = {}
        self._data_unchanged: dict[int, bool] = {}

    def add_rows(self, tasks: Iterable[Any], owner: str, out: list[StateRow]) -> int:
        """Append the rows of ``tasks`` (one workflow's, parents before children) to ``out``; returns
        how many tasks there were. The loop is inlined: it runs for every task of the case."""
        entries, unchanged = self._entries, self._data_unchanged
        count = 0
        for task in tasks:
            count += 1
            key = task.id.int
            entry = entries.get(key)
            if entry is not None:
                head, data, rows, converted = entry
                data_unchanged = unchanged[key] = task.data == data
                parent = task._parent
                # a parent outside this walk is not expected: then convert to be safe. The rest of what the
                # converter reads is compared as one tuple, whose equality checks identity first (the
                # same parent and child id objects) and runs in C
                if (
                    data_unchanged
                    and (parent is None or unchanged.get(parent.int, False))
                    and (task.state, task.last_state_change, task.triggered, parent, task._children, task.internal_data)
                    == head
                ):
                    out.extend(rows)
                    continue
            else:
                unchanged[key] = False
                converted = _Converted()
            rows = _task_rows(str(task.id), owner, converted.task_dict(task), converted.parts)
            entries[key] = (_snapshot_head(task), _equal_copy(task.data), rows, converted)
            out.extend(rows)
        return count

    def start_walk(self) -> None:
        self._data_unchanged.clear()

    def keep_only(self, count: int) -> None:
        """Forget tasks that left the workflow; ``count`` tasks were walked, each now has an entry."""
        if len(self._entries) != count:
            walked = self._data_unchanged
            for key in [k for k in self._entries if k not in walked]:
                del self._entries[key]


_TASK_CONVERTER = SERIALIZER.registry.convert_to_dict["Task"].args[1].__self__
# task_dict repeats TaskConverter.to_dict; a library whose converter is another class falls back to it
_SAME_CONVERTER = type(_TASK_CONVERTER) is TaskConverter and SERIALIZER.registry.typenames.get(Task) == "Task"


class _Converted:
    """What converting one task last produced that the next conversion can reuse: the text of its
    children's ids and its part rows."""

    __slots__ = ("children", "children_text", "parts")

    def __init__(self) -> None:
        self.children: list[Any] = []
        self.children_text: list[str] = []
        self.parts: PartMemo = {}

    def task_dict(self, task: Any) -> dict[str, Any]:
        """Exactly what the library's registry makes of the task (``TaskConverter.to_dict`` and its
        typename), with the ids of children seen at the last conversion not turned into text again
        (``UUID.__str__`` runs in Python) and lists of text in ``internal_data`` copied, not walked."""
        registry = SERIALIZER.registry
        if not _SAME_CONVERTER or type(task) is not Task:
            converted: dict[str, Any] = registry.convert(task)
            return converted
        parent = task.parent
        if parent is None:
            data, delta = task.data, {}
        else:
            data = {}
            delta = {
                "updates": DeepMerge.get_updated_keys(parent.data, task.data),
                "deletions": DeepMerge.get_deleted_keys(parent.data, task.data),
            }
        return {
            "id": str(task.id),
            "parent": str(task._parent) if parent is not None else None,
            "children": self._children_text(task._children),
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": _converted_internal(task.internal_data),
            "data": data,
            "delta": delta,
            "typename": "Task",
        }

    def _children_text(self, children: list[Any]) -> list[str]:
        known = len(self.children)
        # the same id objects stay in the list as it grows, and list equality checks identity first
        if known and len(children) >= known and children[:known] == self.children:
            text = self.children_text + [str(child) for child in children[known:]]
        else:
            text = [str(child) for child in children]
        self.children, self.children_text = list(children), text
        return list(text)


def _converted_internal(internal: dict[str, Any]) -> Any:
    """``registry.convert(internal_data)``; a list holding only text converts to a copy of itself."""
    registry = SERIALIZER.registry
    if not isinstance(internal, dict):
        return registry.convert(internal)
    return {
        name: list(value) if type(value) is list and _all_text(value) else registry.convert(value)
        for name, value in registry.clean(internal).items()
    }


def _all_text(items: list[Any]) -> bool:
    return all(type(item) is str for item in items)


def _equal_copy(value: Any) -> Any:
    """A copy that compares equal to ``value`` as it is now and shares nothing mutable with it: a
    deep copy, except that a list holding only text is copied flat (its items cannot change)."""
    if type(value) is dict:
        return {name: _equal_copy(item) for name, item in value.items()}
    if type(value) is list and _all_text(value):
        return list(value)
    return copy.deepcopy(value)


def _snapshot_head(task: Any) -> tuple[Any, ...]:
    """Everything the converter reads but the data, as an independent copy to compare with at the
    next save (``RowCache.add_rows`` builds the same tuple from the live task)."""
    return (
        task.state,
        task.last_state_change,
        task.triggered,
        task._parent,
        list(task._children),
        _equal_copy(task.internal_data),
    )


def workflow_rows(workflow: BpmnWorkflow, cache: RowCache | None = None) -> list[StateRow]:
    """Convert a running workflow into rows, top workflow first, tasks in creation order.

    With a ``cache`` (kept by the live case between saves), only tasks that changed since the last
    save are converted; the rows are the same either way.
    """
    registry = SERIALIZER.registry
    registry._encoder_mode = False
    cache = cache if cache is not None else RowCache()
    walked = 0
    rows: list[StateRow] = []
    cache.start_walk()
    owners: list[tuple[str, Any, dict[str, Any]]] = [(TOP, workflow, _top_row(workflow))]
    for sub_id, subprocess in workflow.subprocesses.items():
        owners.append((str(sub_id), subprocess, _sub_row(subprocess)))
    for owner, flow, own_row in owners:
        rows.append(_row(f"wf:{owner}", owner, own_row))
        walked += cache.add_rows(flow.tasks.values(), owner, rows)
    cache.keep_only(walked)
    return rows


def _flow_attributes(flow: Any) -> dict[str, Any]:
    """What the top workflow's row and a subprocess's row share, in the library's key order."""
    registry = SERIALIZER.registry
    return {
        "data": registry.convert(registry.clean(flow.data)),
        "correlations": flow.correlations,
        "last_task": str(flow.last_task.id) if flow.last_task is not None else None,
        "success": flow.success,
        "completed": flow.completed,
        "root": str(flow.task_tree.id),
    }


def _top_row(workflow: BpmnWorkflow) -> dict[str, Any]:
    return {**_flow_attributes(workflow), "bpmn_events": SERIALIZER.registry.convert(workflow.bpmn_events)}


def _sub_row(subprocess: Any) -> dict[str, Any]:
    return {
        **_flow_attributes(subprocess),
        "parent_task_id": str(subprocess.parent_task_id),
        "spec": subprocess.spec.name,
        "typename": "BpmnSubWorkflow",
    }
