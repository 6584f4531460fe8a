"""A small in-process cache of the actors behind tokens, so a request costs one indexed SELECT.

Each request still reads its token row joined to its user (by the token digest's unique index):
that row says whether the token is revoked or expired and whether the user is active, and carries
the user's ``auth_version``, which every change to the user bumps. A cached actor is used only
when its version equals the one just read, so a revocation, expiry, deactivation or change of
roles, departments or company takes effect on the next request in every worker. What the cache
saves is rebuilding the actor (user, roles, departments, company: three or four SELECTs).
Entries also age out after ``ttl`` seconds and the oldest go beyond ``size``, bounding memory.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from engine.actors import Actor

DEFAULT_TTL_SECONDS = 30.0
DEFAULT_SIZE = 1024


class ActorCache:
    """Actors by user id and ``auth_version``; safe to share between a worker's threads."""

    def __init__(self, *, ttl: float = DEFAULT_TTL_SECONDS, size: int = DEFAULT_SIZE,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._size = size
        self._monotonic = monotonic
        self._entries: OrderedDict[str, tuple[int, float, Actor]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, user_id: str, version: int) -> Actor | None:
        """The cached actor of this user at this version, if fresh."""
        with self._lock:
            entry = self._entries.get(user_id)
            if entry is None:
                return None
            cached_version, stored_at, actor = entry
            if cached_version != version or self._monotonic() - stored_at > self._ttl:
                del self._entries[user_id]
                return None
            return actor

    def put(self, user_id: str, version: int, actor: Actor) -> None:
        with self._lock:
            self._entries[user_id] = (version, self._monotonic(), actor)
            self._entries.move_to_end(user_id)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
