"""Schemas of the notification outbox, as users and delivery bridges see it."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from webapi.schemas.common import ListArgs, local_twin, sort_field
from webapi.schemas.supervision import MarkedSchema, MarkSentSchema

__all__ = ["MarkSentSchema", "MarkedSchema", "NotificationQuerySchema", "NotificationSchema"]


class NotificationQuerySchema(ListArgs):
    unsent = fields.Boolean(load_default=False, metadata={"description": "only those not yet delivered"})
    all = fields.Boolean(
        load_default=False,
        metadata={"description": "every user's notifications, not only the caller's (roles `bridge`, `admin`)"},
    )
    sort = sort_field(("created_at", "kind", "sent_at"), "-created_at")


class RecipientSchema(ma.Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class NotificationSchema(ma.Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "e.g. `task_overdue`"})
    instance_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    text = fields.String()
    created_at = fields.DateTime()
    created_at_local = local_twin("created_at")
    sent_at = fields.DateTime(allow_none=True, metadata={"description": "when a delivery bridge sent it"})
    sent_at_local = local_twin("sent_at")
    recipient = fields.Nested(RecipientSchema, metadata={"description": "whom it is for, with phone and e-mail"})
    channel = fields.String(
        allow_none=True,
        metadata={"description": "how the recipient wants to be reached: `sms`, `email`, `dingtalk` (null: not set)"},
    )
