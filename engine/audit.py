"""The one writer of audit events: each event is appended to its chain, in the command's transaction.

Commands collect their events (``CommandContext.record``) and hand them here once, just before the
commit. Per chain (sorted by name, so two commands never wait on each other's heads in opposite
order), the chain's head row is locked (``FOR UPDATE`` on PostgreSQL; SQLite serialises writers),
the events get the next sequence numbers, the predecessor's MAC and their own MAC
(``engine.audit_chain``), and the head moves to the last of them. A new chain's head row is inserted
once, already pointing at its last event.

The heads this process last committed are remembered (:class:`ChainHeads`): a chain whose head is
known is appended to by moving the head *from* that (seq, MAC) in one conditional UPDATE, which both
locks the head row and proves it is unchanged; only when another transaction or process moved it
(zero rows) is the head read and locked as without the memory. One statement fewer per command.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Collection, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from engine.actors import Actor
from engine.audit_chain import SYSTEM_CHAIN, AuditKeyring, compute_mac, content_of, jsonable
from engine.errors import Unavailable
from engine.persistence.tables import audit_chain_heads, audit_events

# Built once (SQLAlchemy reuses their compiled form and cache key): every command runs them.
_INSERT_EVENTS = insert(audit_events)
_LOCK_HEAD = (
    select(audit_chain_heads.c.seq, audit_chain_heads.c.mac)
    .where(audit_chain_heads.c.chain == bindparam("chain"))
    .with_for_update()
)
_MOVE_HEAD = update(audit_chain_heads).where(audit_chain_heads.c.chain == bindparam("b_chain"))
_MOVE_KNOWN_HEAD = _MOVE_HEAD.where(
    audit_chain_heads.c.seq == bindparam("b_seq"), audit_chain_heads.c.mac == bindparam("b_mac")
)

Head = tuple[int, str]
"""A chain's head: the sequence number and MAC of its last event."""


class ChainHeads:
    """The chain heads this process committed last (bounded, least recently used out). A remembered
    head is only a guess: :func:`record` moves the stored head from it conditionally."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._heads: OrderedDict[str, Head] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, chain: str) -> Head | None:
        with self._lock:
            return self._heads.get(chain)

    def put_all(self, heads: dict[str, Head]) -> None:
        """Remember the heads a transaction wrote, once it committed."""
        with self._lock:
            for chain, head in heads.items():
                self._heads[chain] = head
                self._heads.move_to_end(chain)
            while len(self._heads) > self.capacity:
                self._heads.popitem(last=False)

_request_id: ContextVar[str | None] = ContextVar("wutong_request_id", default=None)


def set_request_id(value: str | None) -> None:
    """The request id of the work this thread or task does now (the web layer sets it per request)."""
    _request_id.set(value)


def current_request_id() -> str:
    """The caller's request id, or a fresh one for work no request started (CLI, worker)."""
    return _request_id.get() or str(uuid.uuid4())


@dataclass(frozen=True)
class PendingEvent:
    """An event a command recorded; it gets its place in the chain when the command appends it."""

    at: datetime
    actor: Actor
    action: str
    request_id: str
    instance_id: str | None = None
    task_id: str | None = None
    acting_for: str | None = None
    details: dict[str, Any] | None = None

    @property
    def chain(self) -> str:
        return self.instance_id or SYSTEM_CHAIN


def record(
    connection: Connection,
    keyring: AuditKeyring | None,
    events: Sequence[PendingEvent],
    known: ChainHeads | None = None,
    fresh: Collection[str] = (),
) -> dict[str, Head]:
    """Append ``events`` (in their order within each chain) with their chain fields; the chains' new
    heads, for ``known`` once the transaction committed. ``fresh``: chains of cases this transaction
    created, whose head row is inserted without first looking for one."""
    if not events:
        return {}
    if keyring is None:
        raise Unavailable(
            "no audit key is configured (WUTONG_AUDIT_KEY or WUTONG_AUDIT_KEY_FILE); nothing can be recorded",
            code="audit_key_missing",
        )
    by_chain: dict[str, list[PendingEvent]] = {}
    for event in events:
        by_chain.setdefault(event.chain, []).append(event)
    heads: dict[str, Head] = {}
    for chain in sorted(by_chain):
        guess = known.get(chain) if known else None
        rows = _append(connection, keyring, chain, by_chain[chain], guess, new=chain in fresh)
        heads[chain] = (rows[-1]["seq"], rows[-1]["mac"])
    return heads


def _append(
    connection: Connection,
    keyring: AuditKeyring,
    chain: str,
    events: list[PendingEvent],
    guess: Head | None,
    *,
    new: bool,
) -> list[dict[str, Any]]:
    """Append one chain's events after its head (``guess``: the head as this process last wrote it;
    ``new``: a chain this transaction began, whose head row is not looked for before it is inserted)."""
    if guess is not None and not new:
        rows = _chained(events, chain, guess[0], guess[1], keyring)
        moved = connection.execute(
            _MOVE_KNOWN_HEAD,
            {"seq": rows[-1]["seq"], "mac": rows[-1]["mac"], "b_chain": chain, "b_seq": guess[0], "b_mac": guess[1]},
        ).rowcount
        if moved == 1:  # the head was still the guess, and is now locked and moved
            connection.execute(_INSERT_EVENTS, rows)
            return rows
    head = None if new else connection.execute(_LOCK_HEAD, {"chain": chain}).first()
    if head is None:  # a new chain (a new case): its head row is written once, already at its end
        rows = _chained(events, chain, 0, None, keyring)
        if _create_head(connection, chain, rows[-1]["seq"], rows[-1]["mac"]):
            connection.execute(_INSERT_EVENTS, rows)
            return rows
        head = connection.execute(_LOCK_HEAD, {"chain": chain}).one()  # created meanwhile: append to it
    rows = _chained(events, chain, int(head.seq), head.mac, keyring)
    connection.execute(_INSERT_EVENTS, rows)
    connection.execute(_MOVE_HEAD, {"seq": rows[-1]["seq"], "mac": rows[-1]["mac"], "b_chain": chain})
    return rows


def _chained(
    events: Sequence[PendingEvent], chain: str, seq: int, prev_mac: str | None, keyring: AuditKeyring
) -> list[dict[str, Any]]:
    """The chain's next rows after (``seq``, ``prev_mac``), each with its sequence number and MAC."""
    rows: list[dict[str, Any]] = []
    for event in events:
        seq += 1
        row = _row(event, chain, seq, prev_mac, keyring.current_id)
        row["mac"] = prev_mac = compute_mac(keyring.current, content_of(row))
        rows.append(row)
    return rows


def _create_head(connection: Connection, chain: str, seq: int, mac: str | None) -> bool:
    """Insert the head row of a new chain; False when another transaction created it first (on
    PostgreSQL this waits for that transaction, and the caller then locks and appends to its head)."""
    statement = _CREATE_HEAD["postgresql" if connection.dialect.name == "postgresql" else "sqlite"]
    return bool(connection.execute(statement, {"chain": chain, "seq": seq, "mac": mac}).rowcount)


# built once per dialect over bound values (a head is created at every start)
_CREATE_HEAD = {
    name: dialect.insert(audit_chain_heads)
    .values(chain=bindparam("chain"), seq=bindparam("seq"), mac=bindparam("mac"))
    .on_conflict_do_nothing()
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def _row(event: PendingEvent, chain: str, seq: int, prev_mac: str | None, key_id: str) -> dict[str, Any]:
    return {
        "chain": chain,
        "seq": seq,
        "at": event.at,
        "actor_user_id": event.actor.user_id,
        "actor_name": event.actor.username,
        "actor_roles": ",".join(sorted(event.actor.roles)),
        "actor_departments": ",".join(sorted(event.actor.departments)),
        "acting_for": event.acting_for,
        "action": event.action,
        "instance_id": event.instance_id,
        "task_id": event.task_id,
        "request_id": event.request_id,
        "details": jsonable(event.details),
        "prev_mac": prev_mac,
        "key_id": key_id,
    }
