"""Versions of stored state, and the migrations that bring older documents up to date.

Every stored case and process definition records the SpiffWorkflow serializer version that wrote
it and Wutong's own row-layout version (how a workflow is cut into rows, ``engine/spiff/state.py``).
A newer or unknown version is refused with a clear error instead of being misread.

Documents of older serializer versions are migrated on restore. SpiffWorkflow 3.2.0's own
migrations cannot be used as they are: they do not chain (``from_version_1_3`` stops at 1.4 and
even marks the document "1.3"), and both the 1.3→1.4 and the 1.4→1.5 step raise ``NameError`` on any
document with a subprocess (they loop over ``up`` and read ``sp``). The steps below are Wutong's
corrected copies, applied in order to the whole document (the case's rows reassembled with its
definition's spec). The 1.4→1.5 step also finishes what the library's leaves out: it rewrites every
event-based gateway in the specs (not only those a task has reached) and moves a gateway that is
already waiting to the 1.5 way of waiting (the gateway holds the timer's due time, its children are
predictions again), which is what SpiffWorkflow 3.2.0 itself builds for a fresh case.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

SERIALIZER_VERSION = "1.5"  # what SpiffWorkflow 3.2.0 writes
LAYOUT_VERSION = 1  # Wutong's row layout: "wf:"/"task:"/"part:" rows, see engine/spiff/state.py

WAITING = 8
MAYBE = 1
STARTED = 32
_LOOPING_TYPENAMES = ("StandardLoopTask", "SequentialMultiInstanceTask", "ParallelMultiInstanceTask")
_NONE_EVENT = {"description": "Default", "name": None, "typename": "NoneEventDefinition"}


class StateVersionError(Exception):
    """Stored state written by a version this code cannot read."""


def needs_migration(serializer_version: str, layout_version: int, what: str) -> bool:
    """True for an older, migratable serializer version; raises for anything unknown or newer."""
    if layout_version != LAYOUT_VERSION:
        raise StateVersionError(
            f"{what} is stored in row layout {layout_version}; this Wutong reads layout {LAYOUT_VERSION} only"
        )
    if serializer_version == SERIALIZER_VERSION:
        return False
    if serializer_version in _STEPS:
        return True
    raise StateVersionError(
        f"{what} was written by SpiffWorkflow serializer {serializer_version}; this Wutong reads "
        f"{SERIALIZER_VERSION} and migrates {', '.join(sorted(_STEPS))}"
    )


def migrate_document(document: dict[str, Any], version: str) -> dict[str, Any]:
    """A copy of a complete serialized workflow (with ``spec`` and ``subprocess_specs``) at the
    current serializer version."""
    migrated = copy.deepcopy(document)
    for step in _steps_from(version):
        step(migrated)
    migrated["serializer_version"] = SERIALIZER_VERSION
    return migrated


def migrate_specs(specs: dict[str, Any], version: str) -> dict[str, Any]:
    """A copy of a stored ``{"spec", "subprocess_specs"}`` bundle at the current version."""
    migrated = copy.deepcopy(specs)
    for step in _steps_from(version):
        step({**migrated, "tasks": {}, "subprocesses": {}})  # the steps edit the spec dicts in place
    return migrated


def _steps_from(version: str) -> list[Callable[[dict[str, Any]], None]]:
    ordered = sorted(_STEPS)
    return [_STEPS[v] for v in ordered[ordered.index(version) :]]


def _workflows(document: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(tasks, task specs) of the top workflow and of every subprocess."""
    yield document["tasks"], document["spec"]["task_specs"]
    for sub in document.get("subprocesses", {}).values():
        spec = sub["spec"]
        sub_spec = document["subprocess_specs"][spec] if isinstance(spec, str) else spec
        yield sub["tasks"], sub_spec["task_specs"]


def _all_task_specs(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield document["spec"]["task_specs"]
    for spec in document.get("subprocess_specs", {}).values():
        yield spec["task_specs"]


def _from_1_3(document: dict[str, Any]) -> None:
    """1.3 → 1.4: reached loop and multi-instance tasks are STARTED, no longer WAITING."""
    for tasks, specs in _workflows(document):
        for task in tasks.values():
            spec = specs.get(task["task_spec"], {})
            if task["state"] == WAITING and spec.get("typename") in _LOOPING_TYPENAMES:
                task["state"] = STARTED


def _from_1_4(document: dict[str, Any]) -> None:
    """1.4 → 1.5: an event-based gateway holds its children's events; the children catch nothing."""
    for specs in _all_task_specs(document):
        for spec in specs.values():
            if spec.get("typename") == "EventBasedGateway":
                for name in spec["outputs"]:
                    specs[name]["event_definition"] = dict(_NONE_EVENT)
    for tasks, specs in _workflows(document):
        for task in tasks.values():
            if task["state"] != WAITING or specs.get(task["task_spec"], {}).get("typename") != "EventBasedGateway":
                continue
            internal = task.setdefault("internal_data", {})
            for child_id in task["children"]:
                child = tasks.get(child_id)
                if child is None:
                    continue
                due = child.get("internal_data", {}).pop("event_value", None)
                if due is not None:  # 1.5 keeps one timer value on the gateway; the first timer's
                    internal.setdefault("event_value", due)
                if child["state"] == WAITING:
                    child["state"] = MAYBE
            internal.setdefault("seen_events", [])


_STEPS: dict[str, Callable[[dict[str, Any]], None]] = {"1.3": _from_1_3, "1.4": _from_1_4}
