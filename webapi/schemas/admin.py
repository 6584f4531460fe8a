"""Schemas of departments, users and API tokens (administrators)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from engine.services.identity_users import NOTIFY_CHANNELS
from webapi.schemas.common import ListArgs, sort_field, text


class DepartmentQuerySchema(ListArgs):
    sort = sort_field(("code", "name"), "code")


class DepartmentCreateSchema(ma.Schema):
    code = text(64, required=True)
    name = text(200, required=True)
    name_en = text(200, allow_none=True)


class DepartmentSchema(ma.Schema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String(allow_none=True)


class UserQuerySchema(ListArgs):
    sort = sort_field(("username", "display_name"), "username")


class UserCreateSchema(ma.Schema):
    username = text(100, required=True)
    display_name = text(200, allow_none=True)
    roles = fields.List(text(32), load_default=list)
    departments = fields.List(text(64), load_default=list)
    company = text(200, allow_none=True, metadata={"description": "applicants: their company's name"})
    credit_code = text(64, allow_none=True)
    password = text(1000, allow_none=True, load_only=True)
    active = fields.Boolean(load_default=True)
    phone = text(32, allow_none=True, metadata={"description": "for SMS notifications"})
    email = text(254, allow_none=True, metadata={"description": "for e-mail notifications"})
    notify_via = fields.String(allow_none=True, validate=validate.OneOf(NOTIFY_CHANNELS),
                               metadata={"description": "how a delivery bridge reaches the user"})


class UserPatchSchema(ma.Schema):
    display_name = text(200)
    roles = fields.List(text(32))
    departments = fields.List(text(64))
    company = text(200)
    active = fields.Boolean()
    password = text(1000, load_only=True)
    phone = text(32, allow_none=True, metadata={"description": "null clears it"})
    email = text(254, allow_none=True, metadata={"description": "null clears it"})
    notify_via = fields.String(allow_none=True, validate=validate.OneOf(NOTIFY_CHANNELS),
                               metadata={"description": "`sms`, `email` or `dingtalk`; null clears it"})


class CompanySchema(ma.Schema):
    id = fields.String()
    name = fields.String()
    credit_code = fields.String(allow_none=True)


class UserSchema(ma.Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()
    active = fields.Boolean()
    roles = fields.List(fields.String())
    departments = fields.List(fields.String())
    company = fields.Nested(CompanySchema, allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    notify_via = fields.String(allow_none=True, metadata={"description": "`sms`, `email` or `dingtalk`"})


class ApplicantSchema(ma.Schema):
    id = fields.String(metadata={"description": "the `applicant_id` to open a case for this company's user"})
    username = fields.String()
    display_name = fields.String()
    company = fields.Nested(CompanySchema, allow_none=True)


class ApplicantQuerySchema(ListArgs):
    pass


class TokenCreateSchema(ma.Schema):
    name = text(100, allow_none=True)
    expires_in_days = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=3650),
        metadata={"description": "the token's lifetime in days (default: WUTONG_TOKEN_TTL_DAYS, 90)"},
    )


class TokenSchema(ma.Schema):
    id = fields.String()
    user_id = fields.String()
    name = fields.String(allow_none=True)
    prefix = fields.String(
        allow_none=True,
        metadata={"description": "the 8 characters after `wt_`, to tell tokens apart (null for older tokens)"},
    )
    state = fields.String(metadata={"description": "`active`, `expired` or `revoked`"})
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True, metadata={"description": "null: never expires"})
    last_used_at = fields.DateTime(
        allow_none=True, metadata={"description": "the hour the token was last used (recorded once an hour)"}
    )
    revoked_at = fields.DateTime(allow_none=True)
    secret = fields.String(allow_none=True, metadata={"description": "shown once, right after creation"})


class TokenQuerySchema(ListArgs):
    pass
