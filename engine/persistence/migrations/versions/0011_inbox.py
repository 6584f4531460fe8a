"""inbox: task indexes that answer one department's or one person's open tasks in due order

(department_code, state, due_at) and (assignee_user_id, state, due_at) replace the two-column indexes
they extend; an inbox page reads its first rows in order instead of sorting every open task.

Revision ID: 0011_inbox
Revises: 0010_ledger
"""
from __future__ import annotations

from alembic import op

revision = "0011_inbox"
down_revision = "0010_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_tasks_department_state", table_name="tasks")
    op.drop_index("ix_tasks_assignee_state", table_name="tasks")
    op.create_index("ix_tasks_department_state_due", "tasks", ["department_code", "state", "due_at"])
    op.create_index("ix_tasks_assignee_state_due", "tasks", ["assignee_user_id", "state", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_tasks_assignee_state_due", table_name="tasks")
    op.drop_index("ix_tasks_department_state_due", table_name="tasks")
    op.create_index("ix_tasks_assignee_state", "tasks", ["assignee_user_id", "state"])
    op.create_index("ix_tasks_department_state", "tasks", ["department_code", "state"])
