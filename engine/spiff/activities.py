"""Which BPMN activities started, completed or were cancelled between two moments of a case.

The engine changes tasks on its own (gateways, scripts, timers, boundary events, a terminate end
event, a send-back's reset); comparing each workflow task's phase before and after a command
finds every such change without any command having to name it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

ACTIVE_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_ACTIVE = "active"
_COMPLETED = "completed"
_CANCELLED = "cancelled"
_PENDING = "pending"


@dataclass(frozen=True)
class ActivityChange:
    """A BPMN activity that started, completed or was cancelled."""

    kind: str  # started | completed | cancelled
    element_id: str
    element_type: str  # the BPMN element, e.g. userTask, scriptTask, exclusiveGateway, endEvent
    task_id: str  # the workflow task
    human: bool  # a user or manual task: it has task instances


@dataclass(frozen=True)
class Seen:
    """An activity's workflow task as it was at one moment."""

    element_id: str
    element_type: str
    phase: str  # pending | active | completed | cancelled
    human: bool
    order: int  # the task's place in creation order (parents before their children)


def states(tasks: Iterable[Task]) -> dict[str, Seen]:
    """Each BPMN activity's workflow task (by id) and its phase now."""
    seen: dict[str, Seen] = {}
    for order, task in enumerate(tasks):
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id:
            continue
        if task.state & ACTIVE_STATES:
            phase = _ACTIVE
        elif task.state == TaskState.COMPLETED:
            phase = _COMPLETED
        elif task.state == TaskState.CANCELLED:
            phase = _CANCELLED
        else:
            phase = _PENDING
        name = type(task.task_spec).__name__
        seen[str(task.id)] = Seen(
            str(bpmn_id), name[:1].lower() + name[1:], phase, bool(task.task_spec.manual), order
        )
    return seen


def changes(before: dict[str, Seen], now: dict[str, Seen]) -> list[ActivityChange]:
    """What happened between ``before`` and ``now``, in the order the workflow reached it (the tasks'
    creation order: the library's ``last_state_change`` is not reliable enough to sort by)."""
    found: list[ActivityChange] = []
    for task_id in sorted(before.keys() | now.keys(), key=lambda t: ((now.get(t) or before[t]).order, t)):
        seen = now.get(task_id) or before[task_id]
        was = before[task_id].phase if task_id in before else None
        is_ = now[task_id].phase if task_id in now else None
        kinds: list[str] = []
        fresh = is_ in (_ACTIVE, _COMPLETED) and was in (None, _PENDING, _CANCELLED)
        reopened = is_ == _ACTIVE and was == _COMPLETED  # a send-back reset the workflow to it
        if fresh or reopened:
            kinds.append("started")
        if is_ == _COMPLETED and was != _COMPLETED:
            kinds.append("completed")
        if was == _ACTIVE and is_ in (None, _CANCELLED, _PENDING):
            kinds.append("cancelled")
        found.extend(ActivityChange(kind, seen.element_id, seen.element_type, task_id, seen.human) for kind in kinds)
    return found
