"""Schemas of the web application's sign-in session and of changing one's own password."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from webapi.schemas.admin import UserSchema
from webapi.schemas.common import text


class SignInSchema(ma.Schema):
    username = text(100, required=True)
    password = text(1000, required=True, load_only=True)


class SessionUserSchema(UserSchema):
    may_start = fields.Boolean(metadata={
        "description": "the user may start at least one deployed process (`GET /process-definitions?startable=true`)"})


class SessionSchema(ma.Schema):
    user = fields.Nested(SessionUserSchema)
    csrf_token = fields.String(
        metadata={"description": "send it back in the `X-CSRF-Token` header on every state-changing request"}
    )
    created_at = fields.DateTime()
    idle_expires_at = fields.DateTime(metadata={"description": "when the session ends unless it is used"})
    expires_at = fields.DateTime(metadata={"description": "when the session ends in any case"})


class PasswordChangeSchema(ma.Schema):
    current_password = text(1000, required=True, load_only=True)
    new_password = text(1000, required=True, load_only=True, metadata={"description": "at least 8 characters"})


class SignInLockSchema(ma.Schema):
    username = fields.String(metadata={"description": "the name typed at sign-in"})
    user_id = fields.String(allow_none=True, metadata={"description": "null: no user has this name"})
    display_name = fields.String(allow_none=True)
    locked_until = fields.DateTime(metadata={"description": "when the lock lifts by itself"})
