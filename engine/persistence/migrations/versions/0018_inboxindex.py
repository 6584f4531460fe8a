"""inboxindex: the inbox's rows and counts answered by one index at 100,000 open tasks

``GET /tasks?inbox=true`` and ``GET /tasks/inbox-counts`` filter a department's open steps by
``kind = 'user'`` (escalation tasks are the supervision page's). ``kind`` was in no index, so the
page read every row it returned from the table and each count read all of the department's open
rows (2,020 at issue 13's scale): the inbox's p95 was 26.9 ms and the counts' 45 ms on SQLite.
``(department_code, state, kind, due_at)`` serves the page in due order and the counts (all, due
soon, overdue) from the index alone. The old ``(department_code, state, due_at)`` stays: the task
list filters by department and state without ``kind``.

Revision ID: 0018_inboxindex
Revises: 0017_staffledger
"""
from __future__ import annotations

from alembic import op

revision = "0018_inboxindex"
down_revision = "0017_staffledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tasks_department_state_kind_due", "tasks", ["department_code", "state", "kind", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_tasks_department_state_kind_due", table_name="tasks")
