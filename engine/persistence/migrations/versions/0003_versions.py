"""stored state versions: the serializer version and row layout of every case and definition

Revision ID: 0003_versions
Revises: 0002
Create Date: 2026-11-28 04:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003_versions'
down_revision = '0002'
branch_labels = None
depends_on = None

TABLES = ('process_definitions', 'process_instances')


def upgrade() -> None:
    # every row stored so far was written by SpiffWorkflow 3.2.0 (serializer 1.5) in row layout 1
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('serializer_version', sa.String(length=16), server_default='1.5', nullable=False))
            batch.add_column(sa.Column('layout_version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('layout_version')
            batch.drop_column('serializer_version')
