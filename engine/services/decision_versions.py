"""Versions of DMN decisions (the repository's part for decision tables).

Every valid DMN file a deployment uploads is a version of its decision, new when its content changed.
A process deployed later whose business rule task calls a decision its upload does not define binds
the newest version at its own deploy (the table is built into the process version's spec), so
process versions, and the cases running them, keep the table they were deployed with.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, insert, select

from engine.command_context import CommandContext
from engine.persistence.tables import decision_versions, deployment_files
from engine.results import DeployedDecision
from engine.spiff.state import digest


def changed(connection: Connection, key: str, content: bytes) -> bool:
    """True when ``content`` differs from the newest version of decision ``key`` (or there is none)."""
    latest = _latest(connection, key)
    return latest is None or latest[1] != _hash(content)


def store(work: CommandContext, key: str, file_name: str, content: bytes, deployment_id: str) -> DeployedDecision:
    """Record ``content`` as the next version of decision ``key`` unless it equals the newest."""
    latest = _latest(work.connection, key)
    content_hash = _hash(content)
    if latest is not None and latest[1] == content_hash:
        return DeployedDecision(key, latest[0], file_name, False)
    version = latest[0] + 1 if latest is not None else 1
    work.connection.execute(
        insert(decision_versions).values(
            decision_key=key,
            version=version,
            deployment_id=deployment_id,
            file_name=file_name,
            content_hash=content_hash,
            created_at=work.now,
        )
    )
    return DeployedDecision(key, version, file_name, True)


def newest_files(connection: Connection) -> dict[str, tuple[str, bytes]]:
    """Decision id -> file name and content of its newest deployed version."""
    newest = (
        select(decision_versions.c.decision_key, func.max(decision_versions.c.version).label("v"))
        .group_by(decision_versions.c.decision_key)
        .subquery()
    )
    rows = connection.execute(
        select(decision_versions.c.decision_key, decision_versions.c.file_name, deployment_files.c.content)
        .join(
            newest,
            (newest.c.decision_key == decision_versions.c.decision_key) & (newest.c.v == decision_versions.c.version),
        )
        .join(
            deployment_files,
            (deployment_files.c.deployment_id == decision_versions.c.deployment_id)
            & (deployment_files.c.name == decision_versions.c.file_name),
        )
    ).all()
    return {row.decision_key: (row.file_name, bytes(row.content)) for row in rows}


def _latest(connection: Connection, key: str) -> tuple[int, str] | None:
    row = connection.execute(
        select(decision_versions.c.version, decision_versions.c.content_hash)
        .where(decision_versions.c.decision_key == key)
        .order_by(decision_versions.c.version.desc())
        .limit(1)
    ).first()
    return (int(row.version), str(row.content_hash)) if row is not None else None


def _hash(content: bytes) -> str:
    return digest(content.decode("utf-8", "replace"))
