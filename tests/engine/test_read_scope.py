"""The read scope: the queries inside one share a read transaction (a GET request's authentication and
reads), a command inside it stops the sharing so later reads see its writes, and a failing query
stops it too (on PostgreSQL its transaction is aborted)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine import SYSTEM, ProcessEngine
from engine.persistence.tables import departments
from tests.sql_events import transactions_begun


def department_codes(engine: ProcessEngine) -> list[str]:
    return engine.query(lambda c: list(c.execute(sa.select(departments.c.code).order_by(departments.c.code)).scalars()))


def test_queries_in_a_read_scope_share_one_transaction(engine: ProcessEngine) -> None:
    engine.identity.create_department(SYSTEM, "A", "甲", "A")
    with transactions_begun(engine) as begun, engine.read_scope():
        for _ in range(3):
            assert department_codes(engine) == ["A"]
    assert len(begun) == 1


def test_queries_outside_a_read_scope_each_have_their_own(engine: ProcessEngine) -> None:
    with transactions_begun(engine) as begun:
        for _ in range(3):
            department_codes(engine)
    assert len(begun) == 3


def test_a_command_in_a_read_scope_is_seen_by_the_reads_after_it(engine: ProcessEngine) -> None:
    with engine.read_scope():
        assert department_codes(engine) == []
        engine.identity.create_department(SYSTEM, "B", "乙", "B")
        assert department_codes(engine) == ["B"]


def test_a_failing_query_leaves_the_later_ones_working(engine: ProcessEngine) -> None:
    engine.identity.create_department(SYSTEM, "C", "丙", "C")
    with engine.read_scope():
        with pytest.raises(sa.exc.DBAPIError):
            engine.query(lambda c: c.exec_driver_sql("SELECT * FROM no_such_table").all())
        assert department_codes(engine) == ["C"]
