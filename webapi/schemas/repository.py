"""Schemas of deployments and process definitions (designers)."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields

from webapi.schemas.common import ProblemDetailSchema, text


class DeployFilesSchema(ma.Schema):
    files = fields.List(Upload(), required=True,
                        metadata={"description": "BPMN, DMN and form JSON files; repeat the part per file"})


class DeployArgsSchema(ma.Schema):
    dry_run = fields.Boolean(
        load_default=False,
        metadata={"description": "check only: answer 200 with every problem and what a deploy would create; "
                  "store nothing"},
    )


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
    startable = fields.Boolean(
        load_default=False,
        metadata={"description": "only the newest version of each process the caller may start (the rule of "
                  "`POST /process-definitions/key/{key}/start`)"},
    )


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
    running_cases = fields.Integer(metadata={"description": "cases of this version still running (or in error)"})
    deployed_by = fields.Nested(lambda: DeployerSchema(), allow_none=True,
                                metadata={"description": "who deployed this version"})
    start_form = fields.Dict(allow_none=True, metadata={
        "description": "the JSON Schema (draft 2020-12) the start `variables` must match "
                       "(`startFormJsonSchemaFilename`); null when the process has none"})
    needs_applicant = fields.Boolean(metadata={
        "description": "the process has steps only the company may complete (`applicantOnly`): staff starting "
                       "it name the applicant (`applicant_id`)"})


class ElementChangeSchema(ma.Schema):
    id = fields.String()
    type = fields.String(metadata={"description": "the BPMN element: userTask, sequenceFlow, lane, ..."})
    name = fields.String(allow_none=True)


class ModelChangesSchema(ma.Schema):
    added = fields.List(fields.Nested(ElementChangeSchema))
    removed = fields.List(fields.Nested(ElementChangeSchema))
    changed = fields.List(fields.Nested(ElementChangeSchema),
                          metadata={"description": "attributes, properties, expressions or lane members differ; "
                                    "the diagram's layout is not compared"})


class CheckedProcessSchema(ma.Schema):
    key = fields.String()
    name = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True, metadata={"description": "the version a deploy would make or keep; "
                                                        "null while the process has problems"})
    created = fields.Boolean(metadata={"description": "a deploy would make a new version"})
    previous_version = fields.Integer(allow_none=True, metadata={"description": "the newest deployed version"})
    changes = fields.Nested(ModelChangesSchema, allow_none=True,
                            metadata={"description": "from the newest deployed version; null for a new process"})


class CheckedDecisionSchema(ma.Schema):
    key = fields.String()
    file = fields.String()
    created = fields.Boolean()


class DeployCheckSchema(ma.Schema):
    valid = fields.Boolean(metadata={"description": "true when a deploy of the same files would succeed"})
    problems = fields.List(fields.Nested(ProblemDetailSchema),
                           metadata={"description": "every problem, as a deploy's 422 `errors` would list them"})
    processes = fields.List(fields.Nested(CheckedProcessSchema))
    decisions = fields.List(fields.Nested(CheckedDecisionSchema))


class DeployerSchema(ma.Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()


class DeploymentDefinitionSchema(ma.Schema):
    id = fields.String()
    key = fields.String()
    version = fields.Integer()


class DeploymentDetailSchema(ma.Schema):
    id = fields.String()
    created_at = fields.DateTime()
    deployed_by = fields.Nested(DeployerSchema, allow_none=True)
    files = fields.List(fields.String(), metadata={"description": "read each with GET /deployments/{id}/files/{name}"})
    processes = fields.List(fields.Nested(DeploymentDefinitionSchema),
                            metadata={"description": "the process versions this deployment made"})
