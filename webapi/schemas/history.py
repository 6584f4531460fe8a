"""Schemas of the history: audit events with their chain fields, searches, comments, verification."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from webapi.schemas.common import ListArgs, text

EXPORT_FORMATS = ("json", "csv")


class AuditEventSchema(ma.Schema):
    id = fields.Integer()
    at = fields.DateTime(metadata={"description": "UTC, with microseconds"})
    actor = fields.String(metadata={"description": "the acting user's name (as `actor_name`)"})
    actor_name = fields.String()
    actor_user_id = fields.String(allow_none=True)
    actor_display_name = fields.String(allow_none=True, metadata={
        "description": "the actor's display name today, in a case's timeline (not part of the chained event)"})
    actor_roles = fields.String(metadata={"description": "the actor's roles then, sorted, comma-separated"})
    actor_departments = fields.String(metadata={"description": "the actor's departments then, sorted, comma-separated"})
    acting_for = fields.String(allow_none=True, metadata={"description": "the applicant a staff member acted for"})
    action = fields.String()
    instance_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True, metadata={"description": "the task instance"})
    request_id = fields.String(allow_none=True)
    details = fields.Dict(allow_none=True, metadata={"description": "the values (hidden from applicants "
                                                                     "for other people's actions)"})
    chain = fields.String(metadata={"description": "the case id, or `system` for events of no case"})
    seq = fields.Integer(metadata={"description": "place in the chain, from 1"})
    prev_mac = fields.String(allow_none=True, metadata={"description": "the previous event's MAC"})
    key_id = fields.String(metadata={"description": "the audit key the MAC was made with"})
    mac = fields.String(metadata={"description": "HMAC-SHA256 (hex) over the event's canonical form"})


class ExportArgs(ListArgs):
    format = fields.String(validate=validate.OneOf(EXPORT_FORMATS), metadata={
        "description": "`csv` or `json`: the whole result as a download (also chosen by `Accept: text/csv`)"})


class AuditEventQuerySchema(ExportArgs):
    instance_id = fields.UUID()
    user = text(100, metadata={"description": "the actor's user id or user name"})
    department = text(64, metadata={"description": "the task's department or one of the actor's"})
    action = text(64)
    from_ = fields.AwareDateTime(data_key="from", metadata={"description": "at or after (ISO 8601 with zone)"})
    to = fields.AwareDateTime(metadata={"description": "at or before (ISO 8601 with zone)"})


class CommentSchema(ma.Schema):
    text = text(4000, required=True, min_length=1)


class BrokenSchema(ma.Schema):
    seq = fields.Integer()
    event_id = fields.Integer(allow_none=True)
    reason = fields.String()


class ChainVerificationSchema(ma.Schema):
    chain = fields.String()
    valid = fields.Boolean()
    events = fields.Integer()
    first_broken = fields.Nested(BrokenSchema, allow_none=True)


class DigestCheckSchema(ma.Schema):
    file = fields.String(allow_none=True)
    created_at = fields.String(allow_none=True)
    valid = fields.Boolean()
    reason = fields.String(allow_none=True)


class AuditVerificationSchema(ma.Schema):
    valid = fields.Boolean()
    chains = fields.Integer()
    events = fields.Integer()
    broken = fields.List(fields.Nested(ChainVerificationSchema))
    digest = fields.Nested(DigestCheckSchema, allow_none=True)
