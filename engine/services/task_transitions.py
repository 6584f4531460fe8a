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

from sqlalchemy import select, update

from engine.command_context import CommandContext
from engine.errors import Conflict, NotFound
from engine.persistence.tables import process_instances, tasks


def case_version(work: CommandContext, task_id: str) -> int:
    """The ``row_version`` of the task's case, read *before* the command reads the task, so a change
    committed between the two reads fails the version check instead of being overwritten."""
    found = work.connection.execute(
        select(process_instances.c.id, process_instances.c.row_version)
        .join(tasks, tasks.c.instance_id == process_instances.c.id)
        .where(tasks.c.id == task_id)
    ).first()
    if found is None:
        raise NotFound(f"task {task_id} does not exist", code="task_not_found")
    work.read_version(str(found.id), int(found.row_version))  # checked at the write lock (optimistic commands)
    return int(found.row_version)


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
    query = update(tasks).where(tasks.c.id == row["id"], tasks.c.state.in_(sorted(expected)))
    if assignee:
        held = row["assignee_user_id"]
        query = query.where(tasks.c.assignee_user_id.is_(None) if held is None else tasks.c.assignee_user_id == held)
    if work.connection.execute(query.values(dict(values))).rowcount != 1:
        current = work.connection.execute(select(tasks.c.state).where(tasks.c.id == row["id"])).scalar()
        if current == "claimed" and "claimed" not in expected:
            raise Conflict("the task was claimed by someone else", code="task_claimed_by_other")
        raise Conflict(f"the task is {current}; reload and try again", code="task_not_open")
    bump_case(work, str(row["instance_id"]), version)
