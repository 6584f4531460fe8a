"""Make a decision table with no matching rule an error instead of a silent empty result.

SpiffWorkflow's DMN engine returns ``{}`` when no rule matches (hit policies other than COLLECT),
so a case would run on without the decision's outputs and fail later somewhere unrelated. The
engine wants an incident at the business rule task itself; this wraps ``DMNEngine.result`` once.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.specs.model import HitPolicy

_original_result = DMNEngine.result


class NoMatchingRule(Exception):
    """No rule of a decision table matched the case's data."""


def _strict_result(self: Any, task: Any) -> Any:
    table = self.decision_table
    if table.hit_policy != HitPolicy.COLLECT.value and not self.decide(task):
        name = getattr(table, "name", None) or getattr(table, "bpmn_id", None) or "decision table"
        raise NoMatchingRule(f"no rule of {name} matches the case data")
    return _original_result(self, task)


if getattr(DMNEngine.result, "__name__", "") != "_strict_result":
    DMNEngine.result = _strict_result
