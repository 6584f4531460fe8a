"""caselist: indexes for the case list paged per visibility branch

``GET /process-instances`` pages each visibility branch apart (``engine.access.cases.
visible_case_branches``) and merges them. Each branch reads its first rows in the list's default
order (newest first) from an index that leads with the branch's column: (department_code,
started_at) for a department's own cases (it replaces the index on department_code alone, its
prefix) and (applicant_user_id, started_at) for a company's own cases (partial, over the cases
that have an applicant: with most cases having none, a full index's statistics told SQLite that
an applicant's equality matched every row, and it scanned the table instead). Readers of every case page
the whole table by started_at, ended_at or due_at (number has its unique index).

Revision ID: 0016_caselist
Revises: 0015_summary
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_caselist"
down_revision = "0015_summary"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_process_instances_department", table_name="process_instances")
    op.create_index("ix_process_instances_department_started", "process_instances", ["department_code", "started_at"])
    op.create_index(
        "ix_process_instances_applicant_started",
        "process_instances",
        ["applicant_user_id", "started_at"],
        sqlite_where=sa.text("applicant_user_id IS NOT NULL"),
        postgresql_where=sa.text("applicant_user_id IS NOT NULL"),
    )
    op.create_index("ix_process_instances_started_at", "process_instances", ["started_at"])
    op.create_index("ix_process_instances_ended_at", "process_instances", ["ended_at"])
    op.create_index("ix_process_instances_due_at", "process_instances", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_process_instances_due_at", table_name="process_instances")
    op.drop_index("ix_process_instances_ended_at", table_name="process_instances")
    op.drop_index("ix_process_instances_started_at", table_name="process_instances")
    op.drop_index("ix_process_instances_applicant_started", table_name="process_instances")
    op.drop_index("ix_process_instances_department_started", table_name="process_instances")
    op.create_index("ix_process_instances_department", "process_instances", ["department_code"])
