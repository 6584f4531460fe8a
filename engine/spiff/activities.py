"""Which BPMN activities started, completed or were cancelled between two moments of a case.

The engine changes tasks on its own (gateways, scripts, timers, boundary events, a terminate end
event, a send-back's reset); comparing each workflow task's phase before and after a command
finds every such change without any command having to name it (``engine/spiff/task_index.py``
keeps the phases and hands over only the tasks whose state changed).
"""

from __future__ import annotations

from dataclasses import dataclass

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
    order: tuple[int, int]  # the task's place in the tree's order (engine/spiff/task_index.py)
    task_id: str


def phase_of(state: int) -> str:
    """The phase of a task in ``state``: active, completed, cancelled or pending (predicted, not reached)."""
    if state & ACTIVE_STATES:
        return _ACTIVE
    if state == TaskState.COMPLETED:
        return _COMPLETED
    if state == TaskState.CANCELLED:
        return _CANCELLED
    return _PENDING


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
