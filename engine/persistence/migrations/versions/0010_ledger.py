"""ledger: the ledger projection (one row per case) and the admin-managed points rules

Revision ID: 0010_ledger
Revises: 0009_instances
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.persistence.tables import UtcDateTime

revision = "0010_ledger"
down_revision = "0009_instances"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_cases",
        sa.Column("instance_id", sa.String(36), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("business_key", sa.String(255)),
        sa.Column("process_key", sa.String(255), nullable=False),
        sa.Column("department_code", sa.String(64)),
        sa.Column("owner_department_code", sa.String(64)),
        sa.Column("applicant_user_id", sa.String(36)),
        sa.Column("company", sa.String(255)),
        sa.Column("credit_code", sa.String(255)),
        sa.Column("category", sa.String(255)),
        sa.Column("outcome", sa.String(255)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("ended_how", sa.String(16)),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("satisfaction", sa.Integer()),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("start_month", sa.String(7), nullable=False),
        sa.Column("end_month", sa.String(7)),
        sa.Column("due_at", UtcDateTime(), nullable=True),
        sa.Column("original_due_at", UtcDateTime(), nullable=True),
        sa.Column("handling_days", sa.Integer()),
        sa.Column("on_time", sa.Boolean()),
        sa.Column("on_time_original", sa.Boolean()),
        sa.Column("current_steps", sa.Text(), nullable=False, server_default=""),
        sa.Column("current_departments", sa.Text(), nullable=False, server_default=""),
        sa.Column("extra_json", sa.Text(), nullable=False, server_default="{}"),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instances.id"], name="fk_ledger_cases_instance_id_process_instances"
        ),
        sa.PrimaryKeyConstraint("instance_id", name="pk_ledger_cases"),
    )
    op.create_index("ix_ledger_cases_department_due", "ledger_cases", ["department_code", "due_at"])
    op.create_index("ix_ledger_cases_started", "ledger_cases", ["started_at"])
    op.create_index("ix_ledger_cases_ended", "ledger_cases", ["ended_at"])
    op.create_index("ix_ledger_cases_process_started", "ledger_cases", ["process_key", "started_at"])
    op.create_index("ix_ledger_cases_category", "ledger_cases", ["category"])
    op.create_index("ix_ledger_cases_company", "ledger_cases", ["company"])
    op.create_index("ix_ledger_cases_state_due", "ledger_cases", ["state", "due_at"])
    op.create_index(
        "ix_ledger_cases_figures",
        "ledger_cases",
        ["department_code", "category", "start_month", "accepted", "closed", "state", "ended_how", "on_time",
         "on_time_original", "satisfaction"],
    )
    op.create_index(
        "ix_ledger_cases_closed_days", "ledger_cases", ["closed", "department_code", "category", "handling_days"]
    )
    op.create_index("ix_ledger_cases_closed_month", "ledger_cases", ["closed", "end_month", "on_time"])
    op.create_table(
        "points_rules",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(100)),
        sa.PrimaryKeyConstraint("name", name="pk_points_rules"),
    )


def downgrade() -> None:
    op.drop_table("points_rules")
    for name in ("closed_month", "closed_days", "figures", "state_due", "company", "category", "process_started", "ended", "started", "department_due"):
        op.drop_index(f"ix_ledger_cases_{name}", table_name="ledger_cases")
    op.drop_table("ledger_cases")
