"""supervision: a notification's read state, for each user's own notifications in the web application

``notifications.read_at`` is when its recipient marked it read (null: unread), apart from ``sent_at``
(when a delivery bridge sent it); ``ix_notifications_unread`` answers one user's unread count.

Revision ID: 0012_supervision
Revises: 0011_inbox
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_supervision"
down_revision = "0011_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("read_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_notifications_unread", ["recipient_user_id", "read_at"])


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_unread")
        batch_op.drop_column("read_at")
