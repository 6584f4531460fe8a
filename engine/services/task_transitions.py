"""Guarded writes to task rows: every change states the state it expects and bumps its case's version.

A command reads a task, decides, then writes. Between the read and the write another command may
have finished, reassigned or claimed the same task (PostgreSQL runs both at once; SQLite makes
the second wait). So each write here is ``UPDATE tasks ... WHERE id = :id AND state IN (...)`` and
then ``UPDATE process_instances SET row_version = v + 1 WHERE row_version = v`` with the version the
command read. Either mismatch is a ``409 Conflict`` and the command's transaction rolls back, so the
loser changes nothing. A case the command loaded into its ``CommandContext`` is not bumped here: its save
already writes the case row guarded by the version it loaded.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Update, bindparam, literal, select, update

from engine.access import tasks as task_access
from engine.command_context import CommandContext
from engine.errors import Conflict, NotFound
from engine.persistence.tables import process_instances, tasks
from engine.projections import note_task_write

# Built once (SQLAlchemy reuses their compiled form and cache key); the task writes per guard below.
_CASE_VERSION = (
    select(process_instances.c.id, process_instances.c.row_version)
    .join(tasks, tasks.c.instance_id == process_instances.c.id)
    .where(tasks.c.id == bindparam("task_id"))
)
_TASK_AND_CASE = (
    select(tasks, *(column.label(f"case__{column.name}") for column in process_instances.c))
    .join(process_instances, process_instances.c.id == tasks.c.instance_id)
    .where(tasks.c.id == bindparam("task_id"))
)
_TRANSITIONS: dict[tuple[tuple[str, ...], str], Update] = {}


def case_version(work: CommandContext, task_id: str) -> int:
    """The ``row_version`` of the task's case, read *before* the command reads the task, so a change
    committed between the two reads fails the version check instead of being overwritten."""
    found = work.connection.execute(_CASE_VERSION, {"task_id": task_id}).first()
    if found is None:
        raise NotFound(f"task {task_id} does not exist", code="task_not_found")
    work.read_version(str(found.id), int(found.row_version))  # checked at the write lock (optimistic commands)
    return int(found.row_version)


def visible_task_and_case(work: CommandContext, task_id: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """The task's case version, the task row (if the actor may see it, else "not found") and its case
    row, read in one statement: :func:`case_version`, ``views.visible_task`` and the case row at once,
    from one snapshot, so the version noted is the one both rows were read at."""
    found = work.connection.execute(_TASK_AND_CASE, {"task_id": task_id}).mappings().first()
    if found is None:
        raise NotFound(f"task {task_id} does not exist", code="task_not_found")
    task_row: dict[str, Any] = {}
    case_row: dict[str, Any] = {}
    for key, value in found.items():
        if key.startswith("case__"):
            case_row[key[6:]] = value
        else:
            task_row[key] = value
    if not task_access.can_see_task_row(work.connection, work.actor, task_row):
        raise NotFound(f"task {task_id} does not exist", code="task_not_found")
    version = int(case_row["row_version"])
    work.read_version(str(case_row["id"]), version)  # checked at the write lock (optimistic commands)
    return version, task_row, case_row


def loaded(work: CommandContext, instance_id: str) -> None:
    """The command has read what it acts on: run the engine's after-load hook, as loading a whole
    case does (race tests hold two commands at this point)."""
    work.loaded(instance_id)


def bump_case(work: CommandContext, instance_id: str, version: int) -> None:
    """Move the case to ``version + 1``, or raise ``stale_case`` when someone changed it since."""
    case = work.cases.get(instance_id)
    if case is not None:  # loaded: its own save is guarded by the version it loaded, which must be ours
        if case.loaded_version != version:
            raise Conflict("the case was changed by someone else; reload and try again", code="stale_case")
        return
    updated = work.connection.execute(
        update(process_instances)
        .where(process_instances.c.id == instance_id, process_instances.c.row_version == version)
        .values(row_version=version + 1)
    ).rowcount
    if updated != 1:
        raise Conflict("the case was changed by someone else; reload and try again", code="stale_case")


def transition(
    work: CommandContext,
    row: Mapping[Any, Any],
    *,
    expected: Collection[str],
    values: Mapping[str, Any],
    version: int,
    assignee: bool = False,
) -> None:
    """Write ``values`` to the task ``row`` (as the command read it) if it is still in an ``expected``
    state (and, with ``assignee``, still held by the same person), then bump its case from ``version``.

    ``version`` comes from ``case_version``. When the command loaded the case into its ``CommandContext``,
    the case's save bumps the version (guarded by the one it loaded, which must equal ``version``).
    """
    held = row["assignee_user_id"] if assignee else None
    guard = "none" if not assignee else ("free" if held is None else "held")
    params = {**values, "b_id": row["id"], **({"b_held": held} if guard == "held" else {})}
    if work.connection.execute(_transition(tuple(sorted(expected)), guard), params).rowcount != 1:
        current = work.connection.execute(select(tasks.c.state).where(tasks.c.id == row["id"])).scalar()
        if current == "claimed" and "claimed" not in expected:
            raise Conflict("the task was claimed by someone else", code="task_claimed_by_other")
        raise Conflict(f"the task is {current}; reload and try again", code="task_not_open")
    case = work.cases.get(str(row["instance_id"]))
    if case is not None:  # loaded by this command: its known open rows follow the write
        note_task_write(case, row, values)
    bump_case(work, str(row["instance_id"]), version)


def _transition(expected: tuple[str, ...], guard: str) -> Update:
    """``UPDATE tasks SET <the parameters' columns> WHERE id = :b_id AND state IN expected`` (and the
    assignee guard: ``free`` IS NULL, ``held`` = :b_held), built once per shape."""
    key = (expected, guard)
    query = _TRANSITIONS.get(key)
    if query is None:
        # one literal bind per state: an "expanding" list is rendered into the SQL at every execution
        states = [literal(state) for state in expected]
        query = update(tasks).where(tasks.c.id == bindparam("b_id"), tasks.c.state.in_(states))
        if guard == "free":
            query = query.where(tasks.c.assignee_user_id.is_(None))
        elif guard == "held":
            query = query.where(tasks.c.assignee_user_id == bindparam("b_held"))
        query = _TRANSITIONS.setdefault(key, query)
    return query
