"""taskcaseindex: a case's open tasks answered from an index, however long the case's history

Every command on a case reads its open tasks: the open workflow-task ids before the save, the open
rows the save syncs, the open tasks a completion returns. Each filters ``tasks`` by ``instance_id``
and ``state``; with only ``(instance_id)`` indexed each read every task row the case ever had, and
a loop at its thousandth pass spent 0.5 ms of a completion on the three (SQLite,
bench/bench_loop_persistence.py). ``(instance_id, state)`` serves them and, as its prefix, everything
``(instance_id)`` served, which it replaces.

Revision ID: 0019_taskcaseindex
Revises: 0018_inboxindex
"""
from __future__ import annotations

from alembic import op

revision = "0019_taskcaseindex"
down_revision = "0018_inboxindex"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tasks_instance_state", "tasks", ["instance_id", "state"])
    op.drop_index("ix_tasks_instance", table_name="tasks")


def downgrade() -> None:
    op.create_index("ix_tasks_instance", "tasks", ["instance_id"])
    op.drop_index("ix_tasks_instance_state", table_name="tasks")
