"""perf: indexes for the staff ledger's visibility branches

The ledger of a staff member is paged per visibility branch (engine/services/ledger_list.py): the
cases they applied for, their departments' own cases and the cases their departments worked on. Each
branch reads an index of its own: (applicant_user_id, started_at) and (owner_department_code,
started_at) on ledger_cases, and (department_code, instance_id) on tasks, which answers "the cases a
department has or had a task in" from the index alone.

Revision ID: 0012_perf
Revises: 0011_inbox
"""
from __future__ import annotations

from alembic import op

revision = "0013_perf"
down_revision = "0012_supervision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ledger_cases_applicant_started", "ledger_cases", ["applicant_user_id", "started_at"])
    op.create_index("ix_ledger_cases_owner_started", "ledger_cases", ["owner_department_code", "started_at"])
    op.create_index("ix_tasks_department_instance", "tasks", ["department_code", "instance_id"])


def downgrade() -> None:
    op.drop_index("ix_tasks_department_instance", table_name="tasks")
    op.drop_index("ix_ledger_cases_owner_started", table_name="ledger_cases")
    op.drop_index("ix_ledger_cases_applicant_started", table_name="ledger_cases")
