"""History service: a case's timeline, the search across cases, comments, and the chain checks.

Reads only; comments are the one thing written here, as ``comment.added`` events through the
command's single event writer (``CommandContext.record``), so they are chained and never edited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, exists, func, literal, or_, select

from engine import access
from engine.access import applicant_data
from engine.access import history as history_access
from engine.actors import Actor
from engine.audit_chain import AuditKeyring
from engine.audit_verification import (
    DigestCheck,
    all_chains,
    broken_as_dict,
    load_last_digest,
    verify_stored_chain,
    write_digest,
)
from engine.commands.history import AddComment
from engine.errors import Forbidden, InvalidInput, Problem, Unavailable
from engine.persistence.tables import audit_events, tasks, users
from engine.results import AuditEventView, AuditVerification, ChainVerification, Page
from engine.views import visible_instance

if TYPE_CHECKING:
    from engine.core import ProcessEngine

MAX_COMMENT_LENGTH = 4000


def event_view(row: Mapping[Any, Any]) -> AuditEventView:
    return AuditEventView(
        id=row["id"],
        at=row["at"],
        actor=row["actor_name"],
        actor_user_id=row["actor_user_id"],
        acting_for=row["acting_for"],
        action=row["action"],
        instance_id=row["instance_id"],
        task_id=row["task_id"],
        details=row["details"],
        chain=row["chain"],
        seq=row["seq"],
        actor_roles=row["actor_roles"],
        actor_departments=row["actor_departments"],
        request_id=row["request_id"],
        prev_mac=row["prev_mac"],
        key_id=row["key_id"],
        mac=row["mac"],
    )


def _redacted_view(row: Mapping[Any, Any], known: frozenset[str], shown: frozenset[str]) -> AuditEventView:
    """An event as an applicant reads it: without the variables hidden from them."""
    details = row["details"]
    if not isinstance(details, Mapping):
        return event_view(row)
    hidden = applicant_data.hidden_in(details, known, shown)
    return replace(event_view(row), details=applicant_data.redacted(details, hidden))


def _with_display_names(connection: Connection, views: list[AuditEventView]) -> list[AuditEventView]:
    """The events with their actors' display names (one query for the whole timeline)."""
    ids = {v.actor_user_id for v in views if v.actor_user_id is not None}
    if not ids:
        return views
    found = connection.execute(select(users.c.id, users.c.display_name).where(users.c.id.in_(ids)))
    names = {user_id: name for user_id, name in found}
    return [replace(v, actor_display_name=names.get(v.actor_user_id or "")) for v in views]


class HistoryService:
    def __init__(self, engine: ProcessEngine) -> None:
        self._engine = engine

    # --- reading ----------------------------------------------------------------------------------

    def case_events(self, actor: Actor, instance_id: str) -> list[AuditEventView]:
        """A case's timeline, oldest first, with values, for whoever may see the case.

        Applicants see every step of their own case, without the variables hidden from them
        (``engine.access.applicant_data``): those are taken out of every event's details.
        """

        def run(connection: Connection) -> list[AuditEventView]:
            case = visible_instance(connection, actor, instance_id)
            rows = connection.execute(
                select(audit_events).where(audit_events.c.chain == instance_id).order_by(audit_events.c.seq)
            ).mappings()
            model = applicant_data.case_model(connection, case) if applicant_data.is_restricted(actor) else None
            shown = applicant_data.shown_names(connection, actor, case, model)
            if shown is None or model is None:
                return _with_display_names(connection, [event_view(r) for r in rows])
            known = applicant_data.known_names(case, model)
            return _with_display_names(connection, [_redacted_view(r, known, shown) for r in rows])

        return self._engine.query(run)

    def search(
        self,
        actor: Actor,
        *,
        instance_id: str | None = None,
        user: str | None = None,
        department: str | None = None,
        action: str | None = None,
        from_: datetime | None = None,
        to: datetime | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> Page:
        """Events across cases, oldest first, paged in SQL: auditors and admins see all, staff the
        events of cases their departments can see. ``department`` matches the task's or the actor's."""
        history_access.require_search(actor)
        query = select(audit_events).where(history_access.visible_events_clause(actor))
        if instance_id is not None:
            query = query.where(audit_events.c.instance_id == instance_id)
        if user is not None:
            query = query.where(or_(audit_events.c.actor_user_id == user, audit_events.c.actor_name == user))
        if department is not None:
            of_task = exists().where(tasks.c.id == audit_events.c.task_id, tasks.c.department_code == department)
            listed = (literal(",") + audit_events.c.actor_departments + literal(",")).contains(
                f",{department},", autoescape=True
            )
            query = query.where(or_(of_task, listed))
        if action is not None:
            query = query.where(audit_events.c.action == action)
        if from_ is not None:
            query = query.where(audit_events.c.at >= from_)
        if to is not None:
            query = query.where(audit_events.c.at <= to)

        def run(connection: Connection) -> Page:
            total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
            rows = connection.execute(
                query.order_by(audit_events.c.id).offset((page - 1) * page_size).limit(page_size)
            ).mappings()
            return Page(tuple(event_view(r) for r in rows), total)

        return self._engine.query(run)

    # --- comments ---------------------------------------------------------------------------------

    def comment_on_case(self, actor: Actor, instance_id: str, text: str) -> AuditEventView:
        """Add a comment to a case's history (anyone who may see the case, except auditors)."""
        return self._comment(AddComment(actor=actor, text=_comment_text(actor, text), instance_id=instance_id))

    def comment_on_task(self, actor: Actor, task_id: str, text: str) -> AuditEventView:
        """Add a comment on a task to its case's history."""
        return self._comment(AddComment(actor=actor, text=_comment_text(actor, text), task_id=task_id))

    def _comment(self, command: AddComment) -> AuditEventView:
        instance_id, request_id = self._engine.execute(command)

        def run(connection: Connection) -> AuditEventView:
            row = connection.execute(
                select(audit_events)
                .where(audit_events.c.chain == instance_id, audit_events.c.request_id == request_id)
                .where(audit_events.c.action == "comment.added")
                .order_by(audit_events.c.seq.desc())
                .limit(1)
            ).mappings().one()
            return event_view(row)

        return self._engine.query(run)

    # --- verification -----------------------------------------------------------------------------

    def _keyring(self) -> AuditKeyring:
        keyring = self._engine.config.audit_keys
        if keyring is None:
            raise Unavailable("no audit key is configured; the chains cannot be checked", code="audit_key_missing")
        return keyring

    def verify_case(self, actor: Actor, instance_id: str) -> ChainVerification:
        """Check one case's chain (and its place in the last digest), for whoever may see the case."""
        keyring = self._keyring()

        def run(connection: Connection) -> ChainVerification:
            visible_instance(connection, actor, instance_id)
            digest, _ = load_last_digest(self._engine.config.audit_digest_dir, keyring)
            report = verify_stored_chain(connection, keyring, instance_id, digest)
            return ChainVerification(instance_id, report.valid, report.events, broken_as_dict(report.first_broken))

        return self._engine.query(run)

    def verify_all(self, actor: Actor) -> AuditVerification:
        """Check every chain and the last digest (auditors and admins)."""
        access.require_role(actor, "auditor", "admin")
        keyring = self._keyring()

        def run(connection: Connection) -> AuditVerification:
            digest, failed = load_last_digest(self._engine.config.audit_digest_dir, keyring)
            chains = all_chains(connection, digest)
            broken: list[ChainVerification] = []
            events = 0
            for chain in chains:
                report = verify_stored_chain(connection, keyring, chain, digest)
                events += report.events
                if not report.valid:
                    broken.append(ChainVerification(chain, False, report.events, broken_as_dict(report.first_broken)))
            check = failed or (DigestCheck(digest.path.name, digest.created_at, True) if digest else None)
            digest_info = None if check is None else {
                "file": check.file, "created_at": check.created_at, "valid": check.valid, "reason": check.reason,
            }
            valid = not broken and (check is None or check.valid)
            return AuditVerification(valid, len(chains), events, tuple(broken), digest_info)

        return self._engine.query(run)

    def write_digest(self, actor: Actor) -> Path:
        """Sign every chain head into a new file in ``WUTONG_AUDIT_DIGEST_DIR`` (admins; the worker daily)."""
        access.require_role(actor, "admin")
        keyring = self._keyring()
        directory = self._engine.config.audit_digest_dir
        if directory is None:
            raise Unavailable("WUTONG_AUDIT_DIGEST_DIR is not set", code="audit_digest_dir_missing")
        now = self._engine.clock.now()
        return self._engine.query(lambda connection: write_digest(connection, keyring, Path(directory), now))


def _comment_text(actor: Actor, text: str) -> str:
    """The comment's text, stripped; auditors read the history but do not comment."""
    if actor.is_auditor and not actor.is_admin:
        raise Forbidden("auditors read the history; they do not comment", code="comment_forbidden")
    body = text.strip()
    if not body or len(body) > MAX_COMMENT_LENGTH:
        message = f"a comment has 1 to {MAX_COMMENT_LENGTH} characters"
        raise InvalidInput(message, problems=[Problem("comment_invalid", message, field="/text")])
    return body
