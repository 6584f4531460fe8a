"""Deployments for designers: checking an upload without storing it, and reading a deployment's files.

The modeler opens a version with every file it was deployed with (BPMN, forms, DMN), checks the
changed set against the server (the same checks as a deploy, nothing stored) and shows what a deploy
would change from the newest version, element by element.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, func, select

from engine.actors import Actor
from engine.definitions import DefinitionModel
from engine.errors import NotFound, Problem
from engine.persistence.tables import deployment_files, deployments, process_definitions, process_instances, users
from engine.results import DefinitionView
from engine.services import decision_versions
from engine.spiff import model_diff
from engine.spiff.parsing import ParsedBundle, ProcessModel, sort_problems
from engine.spiff.state import digest


@dataclass(frozen=True)
class CheckedProcess:
    """A process of a checked upload: the version a deploy would make (or keep) and what changes."""

    key: str
    name: str | None
    version: int | None  # the version a deploy would give it (None: it has problems)
    created: bool  # a deploy would make a new version
    previous_version: int | None
    changes: model_diff.ModelChanges | None  # from the newest version (None: no version yet)


@dataclass(frozen=True)
class CheckedDecision:
    key: str
    file: str
    created: bool


@dataclass(frozen=True)
class DeployCheck:
    valid: bool
    problems: tuple[Problem, ...]
    processes: tuple[CheckedProcess, ...]
    decisions: tuple[CheckedDecision, ...]


@dataclass(frozen=True)
class DeployerView:
    id: str
    username: str
    display_name: str


@dataclass(frozen=True)
class DeployedDefinition:
    id: str
    key: str
    version: int


@dataclass(frozen=True)
class DeploymentView:
    id: str
    created_at: datetime
    deployed_by: DeployerView | None
    files: tuple[str, ...]
    processes: tuple[DeployedDefinition, ...]


def check(
    connection: Connection,
    bundle: ParsedBundle,
    problems: list[Problem],
    prepared: list[tuple[ProcessModel, str, DefinitionModel]],
) -> DeployCheck:
    """What ``RepositoryService.deploy`` would answer for ``bundle``, computed without writing."""
    hashes = {process.key: digest(spec_json + "\n" + model.to_json()) for process, spec_json, model in prepared}
    processes: list[CheckedProcess] = []
    for key, declared in bundle.declared.items():
        latest = connection.execute(
            select(
                process_definitions.c.version,
                process_definitions.c.content_hash,
                process_definitions.c.deployment_id,
                process_definitions.c.source_file,
            )
            .where(process_definitions.c.key == key)
            .order_by(process_definitions.c.version.desc())
            .limit(1)
        ).first()
        changes = None
        if latest is not None:
            old = _content(connection, latest.deployment_id, latest.source_file)
            changes = model_diff.diff(old or b"", bundle.files[declared.file], key)
        new_hash = hashes.get(key)
        created = new_hash is not None and (latest is None or latest.content_hash != new_hash)
        version = None
        if new_hash is not None:
            version = (latest.version + 1 if latest is not None else 1) if created else latest.version  # type: ignore[union-attr]
        processes.append(
            CheckedProcess(
                key=key,
                name=declared.name,
                version=version,
                created=created,
                previous_version=latest.version if latest is not None else None,
                changes=changes,
            )
        )
    decisions = tuple(
        CheckedDecision(key, file_name, decision_versions.changed(connection, key, bundle.files[file_name]))
        for key, file_name in sorted(bundle.decisions.items())
    )
    return DeployCheck(
        valid=not problems,
        problems=tuple(sort_problems(problems, bundle.files)),
        processes=tuple(processes),
        decisions=decisions,
    )


def with_usage(connection: Connection, views: list[DefinitionView]) -> list[DefinitionView]:
    """The views with their running cases and who deployed them (two queries for any number of views)."""
    if not views:
        return views
    ids = [v.id for v in views]
    counts = {
        str(row[0]): int(row[1])
        for row in connection.execute(
            select(process_instances.c.definition_id, func.count())
            .where(process_instances.c.definition_id.in_(ids))
            .where(process_instances.c.state.in_(("running", "error")))
            .group_by(process_instances.c.definition_id)
        )
    }
    deployers = {
        row.id: DeployerView(row.user_id, row.username, row.display_name)
        for row in connection.execute(
            select(deployments.c.id, users.c.id.label("user_id"), users.c.username, users.c.display_name)
            .join(users, users.c.id == deployments.c.deployed_by)
            .where(deployments.c.id.in_({v.deployment_id for v in views}))
        )
    }
    return [
        replace(v, running_cases=int(counts.get(v.id, 0)), deployed_by=deployers.get(v.deployment_id)) for v in views
    ]


def _may_read_files(actor: Actor) -> bool:
    """Deployed models are for staff (designers first); a company's users read none of them."""
    return actor.is_admin or not actor.is_applicant


def _content(connection: Connection, deployment_id: str, name: str) -> bytes | None:
    content = connection.execute(
        select(deployment_files.c.content)
        .where(deployment_files.c.deployment_id == deployment_id)
        .where(deployment_files.c.name == name)
    ).scalar()
    return bytes(content) if content is not None else None


def get_deployment(connection: Connection, actor: Actor, deployment_id: str) -> DeploymentView:
    """One deployment: when, by whom, its files and the process versions it made."""
    row = connection.execute(select(deployments).where(deployments.c.id == deployment_id)).first()
    if row is None or not _may_read_files(actor):
        raise NotFound(f"deployment {deployment_id} does not exist", code="deployment_not_found")
    deployer = None
    if row.deployed_by is not None:
        user = connection.execute(
            select(users.c.id, users.c.username, users.c.display_name).where(users.c.id == row.deployed_by)
        ).first()
        if user is not None:
            deployer = DeployerView(user.id, user.username, user.display_name)
    files = connection.execute(
        select(deployment_files.c.name)
        .where(deployment_files.c.deployment_id == deployment_id)
        .order_by(deployment_files.c.name)
    ).scalars()
    definitions = connection.execute(
        select(process_definitions.c.id, process_definitions.c.key, process_definitions.c.version)
        .where(process_definitions.c.deployment_id == deployment_id)
        .order_by(process_definitions.c.key)
    )
    return DeploymentView(
        id=row.id,
        created_at=row.created_at,
        deployed_by=deployer,
        files=tuple(files),
        processes=tuple(DeployedDefinition(d.id, d.key, d.version) for d in definitions),
    )


def get_file(connection: Connection, actor: Actor, deployment_id: str, name: str) -> bytes:
    """One file of a deployment, as uploaded."""
    content = _content(connection, deployment_id, name) if _may_read_files(actor) else None
    if content is None:
        raise NotFound(f"deployment {deployment_id} has no file '{name}'", code="deployment_file_not_found")
    return content


__all__ = ["CheckedProcess", "DeployCheck", "DeploymentView", "check", "get_deployment", "get_file"]
