"""Keep the work a repeating non-interrupting boundary timer started when its activity ends.

BPMN: each firing of a non-interrupting boundary event starts a path that runs on its own, so ending
the activity it is attached to stops the timer but leaves that work alone. SpiffWorkflow keeps the
paths a cycle timer (``R52/P7D``) started as children of the still-waiting timer task, and ending
the activity cancels the timer together with them: an open weekly reminder would vanish. This
wrapper stops such a timer by marking it finished instead, which keeps its children running; a
cycle timer that never fired is cancelled as before.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.util.task import TaskState

_original_check = BoundaryEventJoin._check_threshold_structured


def _fired_cycle_timer(task: Any) -> bool:
    definition = getattr(task.task_spec, "event_definition", None)
    return (
        isinstance(definition, CycleTimerEventDefinition)
        and not getattr(task.task_spec, "cancel_activity", True)
        and task.state == TaskState.WAITING
        and bool(task.children)
    )


def _check_threshold_structured(self: Any, my_task: Any) -> tuple[bool, list[Any]]:
    finished, cancel = _original_check(self, my_task)
    if not finished:
        return finished, cancel
    keep_running = [task for task in cancel if _fired_cycle_timer(task)]
    for timer in keep_running:
        timer.workflow.top_workflow.event_manager.remove_task(timer)
        timer._set_state(TaskState.COMPLETED)  # stopped; the paths it started go on
    return finished, [task for task in cancel if task not in keep_running]


if BoundaryEventJoin._check_threshold_structured is _original_check:
    BoundaryEventJoin._check_threshold_structured = _check_threshold_structured
