"""decision versions: DMN tables deployed alone become new versions of their decisions

Revision ID: 0007_decisions
Revises: 0006_webapp
Create Date: 2026-11-28 05:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007_decisions'
down_revision = '0006_webapp'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('decision_versions',
    sa.Column('decision_key', sa.String(length=255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.String(length=36), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_decision_versions_deployment_id_deployments')),
    sa.PrimaryKeyConstraint('decision_key', 'version', name=op.f('pk_decision_versions'))
    )


def downgrade() -> None:
    op.drop_table('decision_versions')
