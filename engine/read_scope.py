"""One read-only transaction shared by every query of one unit of reading (a GET request).

A GET request authenticates (the token's row) and then reads (a list, a case): each
``ProcessEngine.query`` used to begin and end its own transaction. Inside :meth:`ReadScope.using` the
queries share one, begun at the first of them and ended when the scope closes: one BEGIN and one
COMMIT per request instead of one each per query, and the caller and what it reads come from one
snapshot. A command run inside the scope stops the sharing (later queries must see its writes) and
takes the transaction over as its own (``hand_over``: a request that changes something authenticates
and acts in one transaction; SQLite's non-optimistic commands end the read and begin a write); a query
that fails stops the sharing too (on PostgreSQL its transaction is aborted). Each later query runs alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TypeVar

from sqlalchemy import Connection

from engine.persistence.database import Database, OpenTransaction

T = TypeVar("T")

_current: ContextVar[ReadScope | None] = ContextVar("wutong_read_scope", default=None)


class ReadScope:
    """The shared read transaction of one unit of reading (see the module's docstring)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._transaction: contextlib.ExitStack | None = None
        self._connection: Connection | None = None
        self.sharing = True

    @staticmethod
    def current() -> ReadScope | None:
        return _current.get()

    @classmethod
    @contextlib.contextmanager
    def using(cls, db: Database) -> Iterator[ReadScope]:
        """Share one read transaction among the queries of this thread (or task) until the block ends."""
        scope = cls(db)
        token = _current.set(scope)
        try:
            yield scope
        finally:
            _current.reset(token)
            scope.close()

    def run(self, action: Callable[[Connection], T]) -> T:
        """``action`` in the shared transaction (begun now if this is the first query)."""
        if self._connection is None:
            stack = contextlib.ExitStack()
            self._connection = stack.enter_context(self.db.transaction(write=False))
            self._transaction = stack
        try:
            return action(self._connection)
        except BaseException:
            self.stop_sharing()
            raise

    def hand_over(self) -> OpenTransaction | None:
        """Stop sharing and give the transaction, if begun, to the caller, who ends it: a command goes on
        in the request's read transaction (the token check already in it) instead of beginning another."""
        self.sharing = False
        transaction, connection = self._transaction, self._connection
        self._transaction, self._connection = None, None
        if transaction is None or connection is None:
            return None
        return transaction, connection

    def stop_sharing(self) -> None:
        """Later queries run in their own transactions; the shared one (if begun) ends now."""
        self.sharing = False
        self.close()

    def close(self) -> None:
        """End the shared transaction (read-only: nothing to keep or lose)."""
        transaction, self._transaction, self._connection = self._transaction, None, None
        if transaction is not None:
            transaction.close()
