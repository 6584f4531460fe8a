"""Schemas of deployments and process definitions (designers)."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields

from webapi.schemas.common import text


class DeployFilesSchema(ma.Schema):
    files = fields.List(Upload(), required=True,
                        metadata={"description": "BPMN, DMN and form JSON files; repeat the part per file"})


class DeployedProcessSchema(ma.Schema):
    id = fields.String()
    key = fields.String()
    version = fields.Integer()
    name = fields.String(allow_none=True)
    created = fields.Boolean(metadata={"description": "true when this deployment made a new version"})


class DeployedDecisionSchema(ma.Schema):
    key = fields.String(metadata={"description": "the DMN decision id"})
    version = fields.Integer()
    file = fields.String(metadata={"description": "the uploaded DMN file that defines it"})
    created = fields.Boolean(metadata={"description": "true when this deployment made a new version"})


class DeploymentSchema(ma.Schema):
    id = fields.String(allow_none=True, metadata={"description": "null when nothing changed"})
    created = fields.Boolean()
    processes = fields.List(fields.Nested(DeployedProcessSchema))
    decisions = fields.List(
        fields.Nested(DeployedDecisionSchema),
        metadata={"description": "DMN decisions of the upload; a process deployed later without its table binds "
                  "the newest version"},
    )


class DefinitionQuerySchema(ma.Schema):
    key = text(255)
    latest = fields.Boolean(load_default=False, metadata={"description": "only the newest version of each key"})


class DefinitionSchema(ma.Schema):
    id = fields.String()
    key = fields.String()
    version = fields.Integer()
    name = fields.String(allow_none=True)
    deployment_id = fields.String()
    source_file = fields.String()
    created_at = fields.DateTime()
    properties = fields.Dict(keys=fields.String(), values=fields.String())
    lanes = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True),
                        metadata={"description": "lane id -> department code (null: the applicant lane)"})
