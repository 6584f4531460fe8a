"""authpath: users.auth_version, the counter cached actors are checked against on every request

Revision ID: 0008_authpath
Revises: 0007_decisions
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_authpath"
down_revision = "0007_decisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auth_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("auth_version")
