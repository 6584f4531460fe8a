"""A page of the task list (the inbox): its count and rows, as statements built once per shape.

The visible tasks are the branches of :func:`engine.access.tasks.visible_branch_kinds` (one rule with
:func:`~engine.access.tasks.can_see_task`). Each branch is paged on its own through its index (its
first ``page * page_size`` ids in order, e.g. over (department, state, due_at)), their UNION gives the
page; the total is the sum of each branch's count of the rows no earlier branch holds
(:func:`engine.paging.disjoint_count_statement`). Counts select a constant, not the id: the id is not
in SQLite's secondary indexes (a rowid table keyed by a text id), so counting ids read every counted
row from the table (30 ms for an auditor's 10,000 open tasks against 1 ms from the index alone).

The statements depend on the list's shape (which filters, the sort, the page, the actor's kind of
visibility), not on its values: they are built once per shape with bound parameters and cached, where
building them per request (coercions and cache keys for a dozen clauses) was about half of a small
list's CPU.

The page is read first: a page shorter than the page size is the last one, so its total is the rows
before it plus its own and needs no count (one statement fewer for most inboxes and every case's own
task list; both reads are one transaction, so they agree).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, bindparam, exists, func, literal_column, select

from engine.access.tasks import branch_clause, inbox_branch_kinds, visible_branch_kinds
from engine.actors import Actor
from engine.paging import capped_count_statement, disjoint_count_statement, merged_branch_ids, total_up_to_cap
from engine.persistence.tables import TASK_IS_OPEN, process_instances, tasks
from engine.views import summary_select

# Each filter of the list by name, over bound parameters (``f_<name>``; due statuses: ``f_now``, ``f_soon``).
FILTERS: dict[str, ColumnElement[bool]] = {
    "state": tasks.c.state == bindparam("f_state"),
    "department": tasks.c.department_code == bindparam("f_department"),
    "assignee": tasks.c.assignee_user_id == bindparam("f_assignee"),
    "instance_id": tasks.c.instance_id == bindparam("f_instance_id"),
    "due:overdue": and_(TASK_IS_OPEN, tasks.c.due_at < bindparam("f_now")),
    "due:due_soon": and_(TASK_IS_OPEN, tasks.c.due_at >= bindparam("f_now"), tasks.c.due_at <= bindparam("f_soon")),
    "due:on_time": and_(TASK_IS_OPEN, tasks.c.due_at > bindparam("f_soon")),
    # a lookup of the task's case by its key per row: cheap while the rows come from a narrower index
    "process_key": exists().where(
        process_instances.c.id == tasks.c.instance_id, process_instances.c.process_key == bindparam("f_process_key")
    ),
}


@dataclass(frozen=True)
class TaskListPage:
    rows: list[Any]  # RowMapping: the summary's columns
    total: int
    capped: bool


def task_list_page(
    connection: Connection,
    actor: Actor,
    filters: Mapping[str, Any],
    sort: str,
    page: int,
    page_size: int,
    cap: int,
    inbox: bool = False,
) -> TaskListPage:
    """The visible tasks (``inbox``: the actor's inbox, :func:`~engine.access.tasks.inbox_branch_kinds`)
    matching ``filters`` (names of :data:`FILTERS` -> their parameters: ``{"state": {"f_state": "open"}}``)
    on ``page``, sorted by ``sort`` (``field`` or ``-field``) then id, with their total counted up to ``cap``."""
    kinds = _kinds(actor, filters, inbox)
    if kinds == ():
        return TaskListPage([], 0, False)
    count, rows = _statements(kinds, tuple(sorted(filters)), sort, page, page_size, cap, len(actor.departments))
    params = _params(actor, filters)
    found = list(connection.execute(rows, params).mappings().all())
    if found and len(found) < page_size:  # the last page: the total is known without counting
        return TaskListPage(found, (page - 1) * page_size + len(found), False)
    total, is_capped = total_up_to_cap(connection.execute(count, params).scalar_one(), cap)
    return TaskListPage(found, total, is_capped)


def task_list_total(
    connection: Connection, actor: Actor, filters: Mapping[str, Any], cap: int, inbox: bool = False
) -> tuple[int, bool]:
    """How many tasks :func:`task_list_page` lists over all its pages (up to ``cap``), and whether it stopped there."""
    kinds = _kinds(actor, filters, inbox)
    if kinds == ():
        return 0, False
    count, _ = _statements(kinds, tuple(sorted(filters)), "due_at", 1, 1, cap, len(actor.departments))
    return total_up_to_cap(connection.execute(count, _params(actor, filters)).scalar_one(), cap)


def _kinds(actor: Actor, filters: Mapping[str, Any], inbox: bool) -> tuple[str, ...] | None:
    if inbox:
        return inbox_branch_kinds(actor)
    return visible_branch_kinds(actor, filters.get("department", {}).get("f_department"))


def _params(actor: Actor, filters: Mapping[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {f"v_d{n}": code for n, code in enumerate(sorted(actor.departments))}
    params["v_user"] = actor.user_id
    for values in filters.values():
        params.update(values)
    return params


@functools.lru_cache(maxsize=512)
def _statements(
    kinds: tuple[str, ...] | None,
    filter_names: tuple[str, ...],
    sort: str,
    page: int,
    page_size: int,
    cap: int,
    departments: int,
) -> tuple[Select[Any], Select[Any]]:
    """The count statement and the page's rows statement of one shape (see the module's docstring); the
    actor's ``departments`` are bound one value each (``v_d0``...): an "expanding" list is rendered into
    the SQL again at every execution."""
    field, descending = sort.lstrip("-"), sort.startswith("-")
    key = tasks.c[field]
    order = key.desc() if descending else key.asc()
    offset = (page - 1) * page_size
    filters = [FILTERS[name] for name in filter_names]
    if kinds is None and filter_names == ("state",):
        # Every task in a state (an auditor's open tasks): walk (state, due_at) and stop at the cap. Unordered,
        # PostgreSQL scanned the table for the first cap + 1 open rows (26.5-30.5 ms against 11.0-13.2 at
        # 100,000 open of 1.1 million tasks); SQLite reads the same covering index either way.
        counted: Select[Any] = select(literal_column("1")).select_from(tasks).where(*filters)
        ordered = counted.order_by(tasks.c.state, tasks.c.due_at).limit(cap + 1).subquery()
        count = select(func.count()).select_from(ordered)
        ids = select(tasks.c.id).where(*filters).order_by(order, tasks.c.id).offset(offset).limit(page_size)
    elif kinds is None:
        count = capped_count_statement(select(literal_column("1")).select_from(tasks).where(*filters), cap)
        ids = select(tasks.c.id).where(*filters).order_by(order, tasks.c.id).offset(offset).limit(page_size)
    else:
        codes: Any = [bindparam(f"v_d{n}") for n in range(departments)]
        user: Any = bindparam("v_user")
        branches = [branch_clause(kind, codes, user) for kind in kinds]
        count = disjoint_count_statement(filters, branches, cap)
        ids = merged_branch_ids(tasks.c.id, key, descending, filters, branches, offset, page_size)
    rows = summary_select().where(tasks.c.id.in_(ids)).order_by(order, tasks.c.id)
    return count, rows

