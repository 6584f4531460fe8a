"""How a finished case ended, read from its workflow (the only place the ledger looks at one)."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import TerminateEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.runtime.cases import LiveCase


def ended_by_terminate(live: LiveCase) -> bool:
    """True when the top-level process reached a terminate end event (its other work was cut off)."""
    workflow: Any = live.workflow
    for task in workflow.tasks.values():
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, TerminateEventDefinition) and task.state == TaskState.COMPLETED:
            return True
    return False
