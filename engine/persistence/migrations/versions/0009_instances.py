"""instances: task instances of their own (tasks.spiff_task_id) and how a case ended (process_instances.ended_how)

Each opening of a user task gets its own row; ``spiff_task_id`` names the workflow task it opened
for. Existing rows keep their ids, which were the workflow's task ids. ``ended_how`` is backfilled
best-effort from the case state (a case ended by a terminate end event cannot be told apart from a
completed one after the fact).

Revision ID: 0009_instances
Revises: 0008_authpath
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_instances"
down_revision = "0008_authpath"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE (no batch copy): SQLite adds and drops columns in place, so rows that other
    # tables refer to are never copied or dropped
    op.add_column("tasks", sa.Column("spiff_task_id", sa.String(length=36), nullable=True))
    op.create_index("ix_tasks_spiff_task_id", "tasks", ["spiff_task_id"], unique=False)
    op.execute("UPDATE tasks SET spiff_task_id = id WHERE kind = 'user'")
    op.add_column("process_instances", sa.Column("ended_how", sa.String(length=16), nullable=True))
    op.execute("UPDATE process_instances SET ended_how = state WHERE state IN ('completed', 'cancelled')")


def downgrade() -> None:
    op.drop_column("process_instances", "ended_how")
    op.drop_index("ix_tasks_spiff_task_id", table_name="tasks")
    op.drop_column("tasks", "spiff_task_id")
