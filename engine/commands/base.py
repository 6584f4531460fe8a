"""Typed commands: one frozen dataclass per state change, run by the :class:`CommandExecutor`.

A command's fields are its input (always the acting ``actor``); :meth:`Command.execute` does its work
inside the one transaction through the unit of work (``CommandContext``) and returns a value;
:meth:`Command.finish` builds the caller's result from that value after the touched cases were saved,
still inside the transaction. Modelled on Camunda 7's ``Command.execute(CommandContext)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from engine.actors import Actor

if TYPE_CHECKING:
    from engine.command_context import CommandContext

R = TypeVar("R")


@dataclass(frozen=True, kw_only=True)
class Command(ABC, Generic[R]):
    """A state change requested by ``actor``; subclasses add their input fields."""

    actor: Actor
    optimistic: ClassVar[bool] = False
    """A command on cases and tasks: on SQLite it runs its engine step before taking the write lock,
    and is run again when a case it read changed meanwhile (see ``TransactionInterceptor``). Only for
    commands whose read-then-written state is cases and what always bumps a case's ``row_version``
    (tasks, timers, subscriptions, incidents, state rows); the others lock at BEGIN."""

    @property
    def kind(self) -> str:
        """The command's name in metrics and logs (its class name, e.g. ``CompleteTask``)."""
        return type(self).__name__

    @abstractmethod
    def execute(self, work: CommandContext) -> Any:
        """Do the work inside the transaction; the value is handed to :meth:`finish`."""

    def finish(self, work: CommandContext, value: Any) -> R:
        """The result, built after the cases were saved, inside the transaction (default: the value)."""
        return value  # type: ignore[no-any-return]

