"""Messages between cases within one command: hand each message a case threw to the one case waiting for
it, in the same transaction, and run the receiver's engine step at once.

``CommandContext.note`` delivers right after every engine step, so the receivers' steps (their scripts,
conditions and the expressions of the tasks they open) run before the command's first write and, on
SQLite, without the write lock. What a receiver throws in turn goes out in the next round. After
``execute``, ``finish`` delivers what is left, hands back the deliveries' ``message.received`` events
(recorded after the command's own: the sender's ``task.completed`` comes first in its chain) and puts
the messages nobody waited for back in their senders' outboxes, each one a failure of its sender.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from engine import audit
from engine.audit_values import capped
from engine.persistence.tables import message_subscriptions
from engine.spiff.cases import Failure

if TYPE_CHECKING:
    from engine.command_context import CommandContext, LoadedCase

MAX_MESSAGE_ROUNDS = 50


class MessageDelivery:
    """One command's message delivery (owned by its ``CommandContext``)."""

    def __init__(self, work: CommandContext) -> None:
        self._work = work
        self._delivering = False
        self._events: list[audit.PendingEvent] = []

    def deliver(self) -> None:
        """Hand every message a case threw to the one case waiting for it; a message nobody waits for
        becomes a failure of its sender (put back in its outbox by ``finish``). Does nothing while a
        delivery is under way: a receiver's step, noted during it, is picked up by its next round."""
        if self._delivering:
            return
        self._delivering = True
        try:
            for _ in range(MAX_MESSAGE_ROUNDS):
                sent_any = False
                for case in list(self._work.cases.values()):
                    for message, event in case.live.take_outgoing():
                        sent_any = True
                        self._hand_over(case, message, event)
                if not sent_any:
                    break
        finally:
            self._delivering = False

    def finish(self) -> list[audit.PendingEvent]:
        """After ``execute``: deliver what is left, requeue the undelivered; the deliveries' events."""
        self.deliver()
        for case in self._work.cases.values():
            if case.undelivered:
                case.live.requeue(case.undelivered)
                case.undelivered = []
        events, self._events = self._events, []
        return events

    def _hand_over(self, sender: LoadedCase, message: Any, event: Any) -> None:
        work = self._work
        receiver = self._find_receiver(message.name, event, exclude=sender.id)
        if receiver is None:
            sender.undelivered.append(event)
            sender.failures.append(
                Failure(
                    element_id=None,
                    task_id=None,
                    message=f"no case is waiting for the message '{message.name}'",
                    line=None,
                    data={"payload": message.payload, "correlations": message.correlations},
                    code="message_undelivered",
                )
            )
            return
        work.note(receiver, receiver.live.run())
        details = {"name": message.name, "payload": capped(message.payload), "from": sender.id}
        self._events.append(work.event("message.received", receiver.id, details=details))

    def _find_receiver(self, name: str, event: Any, exclude: str) -> LoadedCase | None:
        work = self._work
        candidates = (
            work.connection.execute(
                select(message_subscriptions.c.instance_id)
                .where(message_subscriptions.c.message_name == name)
                .where(message_subscriptions.c.instance_id != exclude)
                .order_by(message_subscriptions.c.instance_id)
            )
            .scalars()
            .all()
        )
        for instance_id in dict.fromkeys(candidates):
            candidate = work.load(instance_id)
            if candidate.row["state"] not in ("running", "error"):
                continue
            if candidate.live.receive_event(event):
                return candidate
        return None
