"""SQLite: one process's writers queue on its writer gate before ``BEGIN IMMEDIATE``, so a writer waiting
for another thread's commit wakes when that commit is done instead of polling SQLite's lock (whose busy
handler sleeps up to 100 ms at a time). Plain and optimistic transactions both; a gate held too long is
``DatabaseBusy`` like SQLite's own lock; the gate is free again after a failed transaction.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, String, Table, event, insert, select, text

from engine.errors import DatabaseBusy
from engine.persistence.database import Database

pytestmark = pytest.mark.only_db("sqlite")

HOLD_SECONDS = 0.3
NOTES = Table("notes", MetaData(), Column("who", String))  # Core statements: the lock step knows a write


def _database(database_url: str, lock_wait_seconds: float = 5.0, trace: list[str] | None = None) -> Database:
    db = Database(database_url, lock_wait_seconds=lock_wait_seconds)
    if trace is not None:  # every statement as SQLite starts it (before it waits for a lock), by thread
        for engine in {db.write_engine, db.read_engine}:
            event.listen(engine, "connect", lambda dbapi, _record: dbapi.set_trace_callback(
                lambda sql: trace.append(f"{sql.strip()} by {threading.current_thread().name}")))
    with db.transaction() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS notes (who TEXT)"))
    return db


def _hold_a_write(db: Database, holding: threading.Event) -> None:
    with db.transaction() as connection:
        connection.execute(text("INSERT INTO notes VALUES ('holder')"))
        holding.set()
        time.sleep(HOLD_SECONDS)


def _in_thread(name: str, target: Callable[[], Any], results: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        try:
            results[name] = target()
        except Exception as exc:  # the outcome is what the tests check
            results[name] = exc

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def test_a_second_writer_begins_only_after_the_first_commits(database_url: str) -> None:
    trace: list[str] = []
    db = _database(database_url, trace=trace)
    holding, results = threading.Event(), {}
    holder = _in_thread("holder", lambda: _hold_a_write(db, holding), results)
    assert holding.wait(10)

    def write() -> None:
        with db.transaction() as connection:
            connection.execute(text("INSERT INTO notes VALUES ('waiter')"))

    waiter = _in_thread("waiter", write, results)
    holder.join(10)
    waiter.join(10)
    assert results == {"holder": None, "waiter": None}
    # without the gate the waiter's BEGIN IMMEDIATE starts (and polls SQLite) while the holder holds the lock
    assert trace.index("BEGIN IMMEDIATE by waiter") > trace.index("COMMIT by holder"), trace


def test_an_optimistic_transaction_waits_on_the_gate_at_its_first_write(database_url: str) -> None:
    trace: list[str] = []
    db = _database(database_url, trace=trace)
    holding, results = threading.Event(), {}
    checked_at: list[float] = []

    def optimistic_write() -> float:
        with db.optimistic_transaction(lambda query: checked_at.append(time.monotonic())) as connection:
            connection.execute(select(NOTES.c.who)).all()  # reads without the lock
            connection.execute(insert(NOTES).values(who="optimistic"))
        return time.monotonic()

    holder = _in_thread("holder", lambda: _hold_a_write(db, holding), results)
    assert holding.wait(10)
    started = time.monotonic()
    writer = _in_thread("writer", optimistic_write, results)
    holder.join(10)
    writer.join(10)
    assert not isinstance(results["writer"], Exception), results
    assert checked_at and checked_at[0] - started >= HOLD_SECONDS * 0.5  # the lock step waited for the holder
    assert trace.index("BEGIN IMMEDIATE by writer") > trace.index("COMMIT by holder"), trace  # on the gate
    with db.transaction(write=False) as connection:
        assert sorted(connection.execute(text("SELECT who FROM notes")).scalars()) == ["holder", "optimistic"]


def test_a_gate_held_past_the_lock_wait_is_database_busy(database_url: str) -> None:
    db = _database(database_url, lock_wait_seconds=0.1)
    holding, results = threading.Event(), {}
    holder = _in_thread("holder", lambda: _hold_a_write(db, holding), results)
    assert holding.wait(10)
    with pytest.raises(DatabaseBusy), db.transaction() as connection:
        connection.execute(text("INSERT INTO notes VALUES ('late')"))
    holder.join(10)
    assert results == {"holder": None}


def test_the_gate_is_free_again_after_a_failed_transaction(database_url: str) -> None:
    db = _database(database_url, lock_wait_seconds=0.5)
    with pytest.raises(RuntimeError), db.optimistic_transaction(lambda query: None) as connection:
        connection.execute(insert(NOTES).values(who="rolled back"))  # takes the gate at this write
        raise RuntimeError("the command failed after its first write")
    with pytest.raises(RuntimeError), db.transaction() as connection:
        connection.execute(text("INSERT INTO notes VALUES ('rolled back too')"))
        raise RuntimeError("the command failed")
    results: dict[str, Any] = {}

    def write() -> None:
        with db.transaction() as connection:  # another thread: a gate still held would time out here
            connection.execute(text("INSERT INTO notes VALUES ('after')"))

    _in_thread("after", write, results).join(10)
    assert results == {"after": None}
