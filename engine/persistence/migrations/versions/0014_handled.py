"""handled: an index for the ledger's ``handled_by`` filter

``GET /ledger?handled_by=<username>`` lists the cases in which that user completed a step (the
people rows of the figures link there). ``tasks`` (completed_by, instance_id) answers "the cases a
person completed a step in" from the index alone, as (department_code, instance_id) does for
``handled_by_department``.

Revision ID: 0014_handled
Revises: 0013_perf
"""
from __future__ import annotations

from alembic import op

revision = "0014_handled"
down_revision = "0013_perf"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tasks_completed_by_instance", "tasks", ["completed_by", "instance_id"])


def downgrade() -> None:
    op.drop_index("ix_tasks_completed_by_instance", table_name="tasks")
