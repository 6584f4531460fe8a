"""Schemas of notifications: the outbox as delivery bridges see it, and each user's own with read state."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate, validates_schema

from webapi.schemas.common import ListArgs, local_twin, sort_field
from webapi.schemas.supervision import MAX_IDS, MarkedSchema, MarkSentSchema

__all__ = [
    "MarkReadSchema",
    "MarkSentSchema",
    "MarkedSchema",
    "MyNotificationQuerySchema",
    "NotificationQuerySchema",
    "NotificationSchema",
    "ReadMarkedSchema",
    "UnreadCountSchema",
]


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
    read_at = fields.DateTime(allow_none=True,
                              metadata={"description": "when its recipient marked it read (null: unread)"})
    read_at_local = local_twin("read_at")


class MyNotificationQuerySchema(ListArgs):
    unread = fields.Boolean(load_default=False, metadata={"description": "only those not marked read"})


class MarkReadSchema(ma.Schema):
    ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=MAX_IDS),
                      metadata={"description": f"your notifications to mark read (at most {MAX_IDS})"})
    all = fields.Boolean(load_default=False, metadata={"description": "true: mark every unread one read"})

    @validates_schema
    def _one_of(self, data: dict[str, object], **_: object) -> None:
        if ("ids" in data) == bool(data.get("all")):
            raise ma.ValidationError("name the notifications in `ids`, or send `all: true`", "ids")


class ReadMarkedSchema(ma.Schema):
    marked = fields.Integer(metadata={"description": "how many were newly marked read"})
    unread = fields.Integer(metadata={"description": "how many of yours are unread now"})


class UnreadCountSchema(ma.Schema):
    unread = fields.Integer(metadata={"description": "how many of your notifications are unread"})
