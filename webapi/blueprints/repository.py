"""Deployments and process definitions (designers), and starting cases from a definition."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, jsonify, url_for
from werkzeug.datastructures import FileStorage
from werkzeug.routing import BaseConverter

from engine.errors import InvalidInput, Problem
from webapi.auth import current_actor, current_engine
from webapi.blueprints.common import PAGINATION_HEADERS, documents, page_in_memory, protected_blueprint
from webapi.schemas.common import ListArgs, sort_field
from webapi.schemas.repository import (
    DefinitionQuerySchema,
    DefinitionSchema,
    DeployArgsSchema,
    DeployCheckSchema,
    DeployFilesSchema,
    DeploymentDetailSchema,
    DeploymentSchema,
)
from webapi.schemas.runtime import InstanceSchema, StartSchema

blp = protected_blueprint("definitions", __name__, "Deploy BPMN models and read process definitions.")


class ProcessKeyConverter(BaseConverter):
    """A process key in a path: no slash, no NUL, at most 255 characters (else no route: 404)."""

    regex = r"[^/\x00]{1,255}"


def key_param_schema(_converter: BaseConverter) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[^/\x00]+$"}


class DefinitionListArgs(DefinitionQuerySchema, ListArgs):
    sort = sort_field(("key", "version", "name", "created_at"), None)


DEPLOY_200 = ("nothing changed: no new version (a Deployment with `created` false); with `dry_run=true`: "
              "the check (a DeployCheck), problems or not, and nothing stored")


@blp.route("/deployments", methods=["POST"])
@blp.arguments(DeployArgsSchema, location="query")
@blp.arguments(DeployFilesSchema, location="files")
@blp.response(201, DeploymentSchema, description="a new version of at least one process")
@blp.alt_response(200, schema=DeployCheckSchema, success=True, description=DEPLOY_200)
@blp.doc(responses={"200": {"description": DEPLOY_200, "content": {"application/json": {"schema": {"oneOf": [
    {"$ref": "#/components/schemas/Deployment"}, {"$ref": "#/components/schemas/DeployCheck"}]}}}}})
@documents(blp, 403, 413, 422)
def deploy(query: dict[str, Any], args: dict[str, Any]) -> Any:
    """Deploy BPMN, DMN and form files (multipart, one part named `files` per file), or only check them."""
    uploads: list[FileStorage] = args["files"]
    files: dict[str, bytes] = {}
    problems = []
    for index, upload in enumerate(uploads):
        name = upload.filename or ""
        if name in files:
            problems.append(Problem("duplicate_file", f"the file '{name}' is sent twice", field=f"/files/{index}",
                                    file=name))
        files[name] = upload.read()
    if problems:
        raise InvalidInput("the upload names a file twice", problems=problems)
    if query["dry_run"]:
        check = current_engine().repository.check(current_actor(), files)
        return jsonify(DeployCheckSchema().dump(check))
    result = current_engine().repository.deploy(current_actor(), files)
    return result, 201 if result.created else 200


@blp.route("/deployments/<uuid:deployment_id>", methods=["GET"])
@blp.response(200, DeploymentDetailSchema)
@documents(blp, 404)
def get_deployment(deployment_id: UUID) -> Any:
    """One deployment: when and by whom, its files, and the process versions it made."""
    return current_engine().repository.get_deployment(current_actor(), str(deployment_id))


@blp.route("/deployments/<uuid:deployment_id>/files/<path:name>", methods=["GET"])
@blp.response(200, {"type": "string"}, content_type="application/octet-stream",
              description="the file as uploaded (BPMN and DMN as XML, forms as JSON)")
@documents(blp, 404)
def get_deployment_file(deployment_id: UUID, name: str) -> Response:
    """One file of a deployment, as it was uploaded."""
    content = current_engine().repository.get_file(current_actor(), str(deployment_id), name)
    mimetype = "application/json" if name.endswith(".json") else "application/xml"
    return Response(content, mimetype=mimetype)


@blp.route("/process-definitions", methods=["GET"])
@blp.arguments(DefinitionListArgs, location="query")
@blp.response(200, DefinitionSchema(many=True), headers=PAGINATION_HEADERS)
@documents(blp, 422)
def list_definitions(args: dict[str, Any]) -> Any:
    """Deployed process definitions, by key and newest version first; `startable=true`: what the caller may start."""
    items = current_engine().repository.list_definitions(
        current_actor(), args.get("key"), args["latest"], startable=args["startable"]
    )
    return page_in_memory(items, args)


@blp.route("/process-definitions/<uuid:definition_id>", methods=["GET"])
@blp.response(200, DefinitionSchema)
@documents(blp, 404)
def get_definition(definition_id: UUID) -> Any:
    """One process definition."""
    return current_engine().repository.get_definition(current_actor(), str(definition_id))


@blp.route("/process-definitions/<uuid:definition_id>/xml", methods=["GET"])
@blp.response(200, {"type": "string"}, content_type="application/xml", description="the deployed BPMN file")
@documents(blp, 404)
def get_definition_xml(definition_id: UUID) -> Response:
    """The BPMN file the definition was deployed from."""
    xml = current_engine().repository.get_xml(current_actor(), str(definition_id))
    return Response(xml, mimetype="application/xml")


@blp.route("/process-definitions/key/<process_key:key>/start", methods=["POST"])
@blp.arguments(StartSchema)
@blp.response(201, InstanceSchema, headers={"Location": {"schema": {"type": "string"},
                                                         "description": "the new case"}})
@documents(blp, 403, 404, 409, 422)
def start(args: dict[str, Any], key: str) -> Any:
    """Start a case of the newest (or the given) version of a process."""
    applicant = args.get("applicant_id")
    view = current_engine().runtime.start(
        current_actor(),
        key,
        variables=args["variables"],
        business_key=args.get("business_key"),
        version=args.get("version"),
        department=args.get("department"),
        applicant_id=str(applicant) if applicant is not None else None,
    )
    return view, 201, {"Location": url_for("instances.get_instance", instance_id=view.id)}


__all__ = ["ProcessKeyConverter", "blp", "key_param_schema"]
