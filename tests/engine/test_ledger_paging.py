"""The staff ledger is paged per visibility branch (applicant, owning departments, departments that
worked on the case, a supervisor's lead departments) and merged: it must return exactly the rows, in
exactly the order, of the single filter it replaced (``instance_id IN visible_case_ids`` or, for
supervisors, the lead department), page after page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, func, or_, select

from engine import SYSTEM, Actor, Forbidden, FrozenClock, ProcessEngine
from engine.access.cases import visible_case_ids
from engine.persistence.tables import ledger_cases
from engine.services.ledger_list import LedgerQuery, LedgerSlice, ledger_page, ledger_slice, visible_branches
from tests.engine.branch_cases import branch_actors, start_branch_case
from tests.engine.conftest import Org


def _old_filter(actor: Actor) -> Any:
    """The filter the paged branches replaced (engine/services/ledger_list.py before 0012_perf)."""
    if actor.reads_every_report:
        return None
    condition = ledger_cases.c.instance_id.in_(visible_case_ids(actor))
    if actor.has("supervisor"):
        return or_(ledger_cases.c.department_code.in_(sorted(actor.departments)), condition)
    return condition


def _old_order(connection: Connection, actor: Actor, sort: str) -> list[str]:
    column = ledger_cases.c[sort.lstrip("-")]
    order = column.desc().nulls_last() if sort.startswith("-") else column.asc().nulls_last()
    query = select(ledger_cases.c.instance_id).order_by(order, ledger_cases.c.number)
    condition = _old_filter(actor)
    if condition is not None:
        query = query.where(condition)
    return list(connection.execute(query).scalars())


@pytest.fixture
def mixed(engine: ProcessEngine, org: Org, clock: FrozenClock) -> dict[str, Actor]:
    """Cases owned by D1, D2 and D3, led by each department, two applied for by the applicant, one
    whose task was reassigned from its lead department D2 to D3; a staff member of D1 and D2."""
    actors = branch_actors(engine, org)
    for n in range(12):
        clock.advance(timedelta(hours=5))
        start_branch_case(engine, org, actors, n)
    return actors


@pytest.mark.parametrize("user", ["staff_D1", "staff_D3", "staff_D1D2", "applicant", "supervisor_D2",
                                  "supervisor_D3", "auditor"])
@pytest.mark.parametrize("sort", ["-started_at", "due_at", "number", "-company"])
def test_the_paged_branches_return_exactly_the_rows_of_the_old_filter(
    engine: ProcessEngine, mixed: dict[str, Actor], user: str, sort: str
) -> None:
    actor = mixed[user]

    def run(connection: Connection) -> tuple[list[str], list[tuple[int, list[str]]]]:
        expected = _old_order(connection, actor, sort)
        pages = []
        for page in range(1, 6):
            total, rows = ledger_page(connection, actor, [], sort, page, 3)
            pages.append((total, [r["instance_id"] for r in rows]))
        return expected, pages

    expected, pages = engine.query(run)
    assert expected, "every actor here sees some rows"
    assert all(total == len(expected) for total, _ in pages)
    assert [i for _, ids in pages for i in ids] == expected
    if actor.is_applicant:  # the applicant branch is checked above; the ledger itself is for staff
        with pytest.raises(Forbidden):
            engine.reports.ledger(actor, LedgerQuery(equal={}), 1, 200)
        return
    listed = engine.reports.ledger(actor, LedgerQuery(equal={}, sort=sort), 1, 200)
    assert [r["instance_id"] for r in listed.items] == expected and listed.total == len(expected)


@pytest.mark.parametrize("user", ["staff_D1", "staff_D3", "staff_D1D2", "applicant", "supervisor_D2", "auditor"])
def test_a_capped_count_says_capped_past_the_cap_and_keeps_the_rows(
    engine: ProcessEngine, mixed: dict[str, Actor], user: str
) -> None:
    """With a cap, the total is exact up to the cap and the cap (``capped``) past it; the rows of
    every page are those of the exact count, in the same order."""
    actor = mixed[user]

    def run(connection: Connection) -> tuple[list[str], dict[int, list[tuple[int, bool, list[str]]]]]:
        expected = _old_order(connection, actor, "-started_at")
        by_cap = {}
        for cap in (1, len(expected) - 1, len(expected), 100):
            slices = [ledger_slice(connection, actor, [], "-started_at", page, 2, cap) for page in range(1, 8)]
            by_cap[cap] = [(s.total, s.capped, [r["instance_id"] for r in s.rows]) for s in slices]
        return expected, by_cap

    expected, by_cap = engine.query(run)
    for cap, pages in by_cap.items():
        assert {(total, capped) for total, capped, _ in pages} == {
            (cap, True) if len(expected) > cap else (len(expected), False)
        }, cap
        assert [i for _, _, ids in pages for i in ids] == expected, cap


def test_branches_that_overlap_past_the_cap_together_say_capped(
    engine: ProcessEngine, mixed: dict[str, Actor]
) -> None:
    """No branch alone passes the cap but their UNION does: the count of the UNION says capped."""
    actor = mixed["supervisor_D2"]
    branches = visible_branches(actor)
    assert branches is not None

    def run(connection: Connection) -> tuple[int, list[int], LedgerSlice]:
        every = len(_old_order(connection, actor, "-started_at"))
        sizes = [
            connection.execute(select(func.count()).select_from(ledger_cases).where(b)).scalar_one() for b in branches
        ]
        return every, sizes, ledger_slice(connection, actor, [], "-started_at", 1, 50, max(sizes))

    every, sizes, found = engine.query(run)
    assert every > max(sizes) and sum(1 for n in sizes if n) > 1
    assert (found.total, found.capped, len(found.rows)) == (max(sizes), True, every)


def test_a_staff_member_without_a_visible_row_gets_an_empty_page(
    engine: ProcessEngine, mixed: dict[str, Actor]
) -> None:
    engine.identity.create_department(SYSTEM, "D9", "九部", "Department 9")
    engine.identity.create_user(SYSTEM, "staff_none", roles=["staff"], departments_=["D9"])
    token = engine.identity.create_token(SYSTEM, engine.identity.find_user("staff_none").id)
    assert token.secret is not None
    actor = engine.identity.authenticate(token.secret)
    found = engine.query(lambda connection: ledger_slice(connection, actor, [], "-started_at", 1, 50, 10))
    assert (found.total, found.capped, found.rows) == (0, False, [])
