"""History commands: comments. A comment is an event of the case's history, never edited."""

from __future__ import annotations

from dataclasses import dataclass

from engine.command_context import CommandContext
from engine.commands.base import Command
from engine.views import visible_instance, visible_task


@dataclass(frozen=True, kw_only=True)
class AddComment(Command[tuple[str, str]]):
    """Add a comment to the history of a case, or of a task's case (whoever may see it, checked here).
    Returns the case id and the request id, by which the caller reads the stored event."""

    text: str
    instance_id: str | None = None
    task_id: str | None = None

    def execute(self, work: CommandContext) -> tuple[str, str]:
        if self.task_id is not None:
            task = visible_task(work.connection, self.actor, self.task_id)
            instance_id, task_id = str(task["instance_id"]), str(task["id"])
        else:
            assert self.instance_id is not None
            instance_id, task_id = str(visible_instance(work.connection, self.actor, self.instance_id)["id"]), None
        work.record(action="comment.added", instance_id=instance_id, task_id=task_id, details={"text": self.text})
        return instance_id, work.request_id
