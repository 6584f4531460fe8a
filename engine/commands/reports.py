"""Report commands (admins): the points rules applied to the history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine import points
from engine.command_context import CommandContext
from engine.commands.base import Command


@dataclass(frozen=True, kw_only=True)
class SetPointsRules(Command[dict[str, int]]):
    """Change some points rules (already checked); the answer is every rule now in force."""

    rules: dict[str, Any]

    def execute(self, work: CommandContext) -> dict[str, int]:
        merged = points.store_rules(work.connection, self.rules, work.now, self.actor.username)
        work.record(action="points_rules.changed", details={"set": self.rules, "in_force": merged})
        return merged
