"""A step whose result cannot be stored fails at that step, before anything is written.

A script or a decision table can leave values in task data that the serializer cannot store or the
API cannot send (``10**5000``, bytes, ``NaN``, a list containing itself, a dict with a ``typename``
key; see ``engine/storable.py``). Unchecked, the save fails on every retry and the case is stuck.
This wraps ``Task.run`` once: after the task spec ran and before the task completes, its data is
checked; offending variables are removed from the task, the task goes to ERROR, and the raised
error names them, so the command records an incident and stores a case that can be restored.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.storable import check_data

_original_run = Task.run


class UnstorableResult(WorkflowTaskException):  # type: ignore[misc]
    """A step left values in the case's data that cannot be stored."""

    incident_code = "result_not_storable"


def _checked_run(self: Any) -> bool | None:
    retval = self.task_spec._run(self)
    if retval is None:
        self._set_state(TaskState.STARTED)
    elif retval is False:
        self.error()
    else:
        problems = check_data(self.data) if isinstance(self.data, dict) else []
        if problems:
            names = sorted({p.variable for p in problems})
            detail = "; ".join(f"{p.pointer}: {p.message}" for p in problems)
            for name in names:
                self.data.pop(name, None)
            self.error()
            plural = "s" if len(names) > 1 else ""
            raise UnstorableResult(
                f"the step's result cannot be stored: variable{plural} {', '.join(names)} ({detail})", task=self
            )
        self.complete()
    return retval  # type: ignore[no-any-return]


if getattr(Task.run, "__name__", "") != "_checked_run":
    Task.run = _checked_run
