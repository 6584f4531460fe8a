"""Database connections and the one place that commits.

SQLite runs in WAL mode with ``synchronous=FULL``. A plain write transaction begins with ``BEGIN
IMMEDIATE`` (the write lock from the start). An *optimistic* transaction
(:meth:`Database.optimistic_transaction`, used by the commands on cases and tasks) begins deferred,
reads from one snapshot without any lock, and takes the write lock only at its first write (or when
the command says its engine step is over, :func:`take_write_lock`): there it ends the read snapshot,
begins ``IMMEDIATE`` (waiting up to the lock wait) and runs the caller's check that what it read is
unchanged (the cases' ``row_version``), else :class:`StaleRead` and the executor runs the command
again. So user expressions never hold SQLite's write lock. A write that still reaches SQLite as an
upgrade of the read snapshot (``SQLITE_BUSY``/``SQLITE_BUSY_SNAPSHOT``: another writer committed
since) is a ``StaleRead`` too, never a 500. PostgreSQL runs READ COMMITTED; lost updates there are
caught by the ``row_version`` check on the case row, and its optimistic transaction is an ordinary one.

Within one process, SQLite's writers queue on a lock of their own (:class:`WriterGate`) before
``BEGIN IMMEDIATE``: SQLite's busy handler polls with sleeps of up to 100 ms, so a writer waiting for
another thread's one-millisecond commit often slept tens of milliseconds (four clients on one
``wutong serve`` worker: completion p95 95 ms, p99 545 ms). A writer waiting on the gate wakes as
soon as the holder commits. Writers in other processes still meet SQLite's busy handler.

Waiting for a lock is bounded (``lock_wait_seconds``: SQLite's ``busy_timeout``, PostgreSQL's
``lock_timeout``); a command that cannot get the database in time raises :class:`DatabaseBusy`, which
the web layer answers with 503 and ``Retry-After``, so a client never waits half a minute for a 500.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from engine.errors import DatabaseBusy, Unavailable

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")
DEFAULT_LOCK_WAIT_SECONDS = 5.0
PG_LOCK_NOT_AVAILABLE = "55P03"  # SQLSTATE of lock_timeout expiring
ON_FIRST_WRITE = "wutong_on_first_write"  # connection.info key: the optimistic transaction's lock step
WRITER_GATE = "wutong_writer_gate"  # connection.info key: (the gate, whether this transaction holds it)
WRITE_VERBS = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})
SQLITE_BUSY_CODES = frozenset({5, 517})  # SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT


class StaleRead(Exception):
    """An optimistic transaction read something another command changed before it took the write
    lock: the executor discards the attempt and runs the command again."""

WriteLockCheck = Callable[[Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]], None]
"""Run once the write lock is held, before the first write; gets a ``query(sql, params) -> rows`` for
the check (the connection is mid-statement, so the check reads through the driver) and raises to
abandon the transaction."""


def is_lock_timeout(error: sa_exc.DBAPIError) -> bool:
    """Whether ``error`` means "another transaction holds the lock and the wait ran out"."""
    original = error.orig
    if getattr(original, "sqlstate", None) == PG_LOCK_NOT_AVAILABLE:
        return True
    message = str(original).lower()
    return "database is locked" in message or "database table is locked" in message


def redacted_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa_exc.ArgumentError:
        return "<unparsable URL>"


class WriterGate:
    """One process's SQLite writers, one at a time: a waiting writer wakes when the holder's
    transaction ends instead of polling SQLite's lock. Reentrant, so a thread that holds it meets
    SQLite's own lock (and its timeout) as before."""

    def __init__(self, wait_seconds: float) -> None:
        self._lock = threading.RLock()
        self._wait_seconds = wait_seconds

    def acquire(self) -> None:
        if not self._lock.acquire(timeout=self._wait_seconds):
            raise DatabaseBusy("the database is busy (no write lock in time); retry shortly")

    def release(self) -> None:
        self._lock.release()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()


class Database:
    """Owns the engines; hands out one transaction per command."""

    def __init__(
        self, url: str, *, sqlite_synchronous: str = "FULL", lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS
    ) -> None:
        self.url = url
        self.lock_wait_seconds = lock_wait_seconds
        busy_timeout_ms = max(1, round(lock_wait_seconds * 1000))
        self.writer_gate = WriterGate(lock_wait_seconds)
        if sqlite_synchronous.upper() not in SYNCHRONOUS_MODES:
            raise Unavailable(
                f"SQLite synchronous mode must be one of {', '.join(SYNCHRONOUS_MODES)}", code="database_config_invalid"
            )
        try:
            parsed = make_url(url)
            self.dialect = parsed.get_backend_name()
            self._create_engines(url, parsed, sqlite_synchronous.upper(), busy_timeout_ms)
        except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError) as exc:
            raise Unavailable(f"{redacted_url(url)} ({exc})", code="database_url_invalid") from exc

    def _create_engines(self, url: str, parsed: Any, sqlite_synchronous: str, busy_timeout_ms: int) -> None:
        if self.dialect == "sqlite":
            database = parsed.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            self.write_engine = self._sqlite_engine(url, "IMMEDIATE", sqlite_synchronous, busy_timeout_ms)
            self.read_engine = self._sqlite_engine(url, "DEFERRED", sqlite_synchronous, busy_timeout_ms)
            event.listen(self.read_engine, "before_cursor_execute", _take_write_lock_at_first_write)
        else:
            self.write_engine = create_engine(
                url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                connect_args={"options": f"-c lock_timeout={busy_timeout_ms}"},
            )
            self.read_engine = self.write_engine

    @staticmethod
    def _sqlite_engine(url: str, begin: str, synchronous: str, busy_timeout_ms: int) -> Engine:
        engine = create_engine(url, poolclass=NullPool if ":memory:" in url else None)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            connection.exec_driver_sql(f"BEGIN {begin}")

        return engine

    @contextlib.contextmanager
    def connect(self, *, write: bool = True) -> Iterator[Connection]:
        """A connection; an unreachable database becomes the engine's Unavailable error."""
        engine = self.write_engine if write else self.read_engine
        try:
            connection = engine.connect()
        except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
            raise Unavailable(f"cannot use the database {redacted_url(self.url)}: {detail}") from exc
        with connection:
            yield connection

    @contextlib.contextmanager
    def transaction(self, *, write: bool = True, adopted: OpenTransaction | None = None) -> Iterator[Connection]:
        """One unit of work: commits once at the end, rolls back on any exception.

        A lock wait that runs out (at BEGIN on SQLite, at any statement on PostgreSQL) becomes
        :class:`DatabaseBusy`; the transaction is rolled back like on any other error.

        ``adopted``: a read transaction already open (a request's, see ``engine/read_scope.py``) that this
        unit of work continues instead of beginning its own; it ends with this one. SQLite's writes begin
        ``IMMEDIATE`` under the writer gate, so there a write unit of work ends the read and begins anew.
        """
        if adopted is not None and write and self.dialect == "sqlite":
            adopted[0].close()
            adopted = None
        gate = self.writer_gate.held() if write and self.dialect == "sqlite" else contextlib.nullcontext()
        try:
            if adopted is not None:
                stack, connection = adopted
                with stack:  # commits it at the end, or rolls it back with the exception that ends it
                    yield connection
            else:
                with gate, self.connect(write=write) as connection, connection.begin():
                    yield connection
        except sa_exc.OperationalError as exc:
            if not is_lock_timeout(exc):
                raise
            raise DatabaseBusy(
                f"the database is busy (no lock within {self.lock_wait_seconds:g} s); retry shortly"
            ) from exc

    @contextlib.contextmanager
    def optimistic_transaction(
        self, check: WriteLockCheck, adopted: OpenTransaction | None = None
    ) -> Iterator[Connection]:
        """A unit of work that reads without a lock and takes the write lock at its first write.

        On SQLite the transaction begins deferred; just before its first INSERT/UPDATE/DELETE it ends
        the read snapshot, begins ``IMMEDIATE`` (waiting up to the lock wait), runs ``check`` and only
        then writes: reads before that point come from the old snapshot, so ``check`` must verify that
        what they found is unchanged. On PostgreSQL (READ COMMITTED, no write lock to avoid) it is
        :meth:`transaction`. ``adopted``: as for :meth:`transaction` (a read transaction is what this
        one begins as, so SQLite continues it too).
        """
        if self.dialect != "sqlite":
            with self.transaction(adopted=adopted) as connection:
                yield connection
            return
        held: list[bool] = []  # set when the lock step took the writer gate: released after the commit
        try:
            with self.transaction(write=False, adopted=adopted) as connection:
                connection.info[ON_FIRST_WRITE] = check
                connection.info[WRITER_GATE] = (self.writer_gate, held)
                try:
                    yield connection
                except sa_exc.OperationalError as exc:
                    # a write SQLite saw as an upgrade of the stale read snapshot: run the command again
                    if getattr(exc.orig, "sqlite_errorcode", None) in SQLITE_BUSY_CODES:
                        raise StaleRead(f"the read snapshot could not become a write transaction: {exc.orig}") from exc
                    raise
                finally:
                    connection.info.pop(ON_FIRST_WRITE, None)  # info outlives the checkout
                    connection.info.pop(WRITER_GATE, None)
        finally:
            if held:
                self.writer_gate.release()

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


OpenTransaction = tuple[contextlib.ExitStack, Connection]
"""A transaction begun elsewhere and handed over: the stack that ends it, and its connection."""


def take_write_lock(connection: Connection) -> None:
    """From here on the optimistic transaction reads current data under the write lock: end its read
    snapshot, take the lock and run its check (no-op once done, and outside an optimistic transaction)."""
    check: WriteLockCheck | None = connection.info.pop(ON_FIRST_WRITE, None)
    if check is not None:
        _swap_snapshot_for_lock(connection.connection.driver_connection, check, connection.info.get(WRITER_GATE))


def _take_write_lock_at_first_write(
    connection: Connection, cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    """The optimistic transaction's first write: swap the read snapshot for the write lock, then check."""
    if ON_FIRST_WRITE not in connection.info:
        return
    if context is not None and getattr(context, "compiled", None) is not None:
        writes = bool(context.isinsert or context.isupdate or context.isdelete)
    else:
        words = statement.lstrip().split(None, 1)
        writes = bool(words) and words[0].upper() in WRITE_VERBS
    if writes:
        check = connection.info.pop(ON_FIRST_WRITE)
        _swap_snapshot_for_lock(cursor.connection, check, connection.info.get(WRITER_GATE))


def _swap_snapshot_for_lock(driver: Any, check: WriteLockCheck, gate: tuple[WriterGate, list[bool]] | None) -> None:
    driver.execute("COMMIT")  # the read snapshot (nothing was written yet)
    if gate is not None:  # this process's other writers first, then SQLite's lock
        gate[0].acquire()
        gate[1].append(True)
    try:
        driver.execute("BEGIN IMMEDIATE")  # waits up to busy_timeout
    except sqlite3.OperationalError as exc:
        raise DatabaseBusy("the database is busy (no write lock in time); retry shortly") from exc

    def query(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return list(driver.execute(sql, params).fetchall())

    check(query)
