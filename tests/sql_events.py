"""What the engine's database connections did meanwhile: the SQL statements run, the transactions
begun (both databases fire ``begin``; PostgreSQL sends no BEGIN statement). For tests that hold the
engine to a number of statements or transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from engine import ProcessEngine


@contextmanager
def _listening(engine: ProcessEngine, name: str, seen: list[Any], keep: Any) -> Iterator[list[Any]]:
    targets = {id(e): e for e in (engine.db.write_engine, engine.db.read_engine)}.values()
    for target in targets:
        event.listen(target, name, keep)
    try:
        yield seen
    finally:
        for target in targets:
            event.remove(target, name, keep)


@contextmanager
def statements_run(engine: ProcessEngine) -> Iterator[list[str]]:
    """The SQL text of every statement run on the engine's connections while the block runs."""
    seen: list[str] = []

    def keep(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    with _listening(engine, "before_cursor_execute", seen, keep) as statements:
        yield statements


@contextmanager
def transactions_begun(engine: ProcessEngine) -> Iterator[list[int]]:
    """One entry per transaction begun on the engine's connections while the block runs."""
    seen: list[int] = []

    def keep(_connection: Any) -> None:
        seen.append(1)

    with _listening(engine, "begin", seen, keep) as begun:
        yield begun
