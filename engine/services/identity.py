"""Identity service: departments, companies, users, roles and API tokens; turns a token into an Actor."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from engine import access
from engine.actors import SYSTEM, Actor
from engine.casework import CaseWork
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem, Unauthenticated
from engine.persistence.tables import api_tokens, departments, user_departments, user_roles, users
from engine.results import DepartmentView, TokenView, UserView
from engine.services import identity_tokens as tokens
from engine.services.actor_cache import ActorCache
from engine.services.identity_release import release_claimed_tasks
from engine.services.identity_rules import CREDIT_CODE_MAX, TOKEN_NAME_MAX, free_text, identifier, normalised, same_name
from engine.services.identity_users import (
    WORKING_ROLES,
    check_departments,
    check_password,
    check_user,
    company_id_for,
    contact_details,
    hash_password,
    set_memberships,
    user_id_by_name,
    user_view,
)

if TYPE_CHECKING:
    from engine.core import ProcessEngine

_UNSET: Any = object()


class IdentityService:
    def __init__(self, engine: ProcessEngine) -> None:
        self._engine = engine
        self._actors = ActorCache()  # per worker process: see engine/services/actor_cache.py

    # --- departments --------------------------------------------------------------------------

    def create_department(self, actor: Actor, code: str, name: str, name_en: str | None = None) -> DepartmentView:
        """A new department; its code and both its names are unique (lanes name departments by them)."""
        access.require_role(actor, "admin")
        code, problems = identifier(code, "/code", kind="code")
        clean_name, more = free_text(name, "/name", required=True)
        clean_en, even_more = free_text(name_en, "/name_en")
        problems += more + even_more
        if problems:
            raise InvalidInput("the department is not valid", problems=problems)
        assert clean_name is not None

        def act(work: CaseWork) -> DepartmentView:
            for other in work.connection.execute(select(departments)).mappings():
                if other["code"].lower() == code.lower():
                    raise Conflict(f"department '{other['code']}' exists", code="department_exists")
                for mine in (clean_name, clean_en):
                    for theirs in (other["name"], other["name_en"]):
                        if same_name(mine, theirs):
                            raise Conflict(
                                f"'{mine}' is already the name of department '{other['code']}'",
                                code="department_name_taken",
                            )
            work.connection.execute(
                insert(departments).values(code=code, name=clean_name, name_en=clean_en, created_at=work.now)
            )
            work.record(action="department.created", details={"code": code})
            return DepartmentView(code, clean_name, clean_en)

        return self._engine.command(actor, act)

    def list_departments(self, actor: Actor) -> list[DepartmentView]:
        return self._engine.query(
            lambda c: [
                DepartmentView(r.code, r.name, r.name_en)
                for r in c.execute(select(departments).order_by(departments.c.code))
            ]
        )

    # --- users --------------------------------------------------------------------------------

    def create_user(
        self,
        actor: Actor,
        username: str,
        *,
        display_name: str | None = None,
        roles: Sequence[str] = (),
        departments_: Sequence[str] = (),
        company: str | None = None,
        credit_code: str | None = None,
        password: str | None = None,
        active: bool = True,
        phone: str | None = None,
        email: str | None = None,
        notify_via: str | None = None,
    ) -> UserView:
        access.require_role(actor, "admin")
        username, problems = identifier(username, "/username", kind="username")
        shown, more = free_text(display_name, "/display_name")
        company, company_problems = free_text(company, "/company")
        credit_code, credit_problems = free_text(credit_code, "/credit_code", limit=CREDIT_CODE_MAX)
        codes = [normalised(c) for c in departments_]
        contact, contact_problems = contact_details(phone, email, notify_via)
        problems += more + company_problems + credit_problems + contact_problems
        problems += check_user(username, roles, codes, company)
        if problems:
            raise InvalidInput("the user is not valid", problems=problems)

        def act(work: CaseWork) -> str:
            connection = work.connection
            if user_id_by_name(connection, username) is not None:
                raise Conflict(f"user '{username}' exists", code="user_exists")
            check_departments(connection, codes)
            user_id = str(uuid.uuid4())
            company_id = company_id_for(work, company, credit_code) if company else None
            connection.execute(
                insert(users).values(
                    id=user_id,
                    username=username,
                    display_name=shown or username,
                    password_hash=hash_password(password) if password else None,
                    active=active,
                    company_id=company_id,
                    created_at=work.now,
                    **contact,
                )
            )
            set_memberships(connection, user_id, roles, codes)
            work.record(
                action="user.created",
                details={"user_id": user_id, "roles": sorted(roles), "departments": sorted(codes)},
            )
            return user_id

        return self._engine.command(actor, act, lambda work, user_id: user_view(work.connection, user_id))

    def update_user(
        self,
        actor: Actor,
        user_id: str,
        *,
        display_name: str | None = None,
        roles: Sequence[str] | None = None,
        departments_: Sequence[str] | None = None,
        company: str | None = None,
        active: bool | None = None,
        password: str | None = None,
        phone: str | None = _UNSET,
        email: str | None = _UNSET,
        notify_via: str | None = _UNSET,
    ) -> UserView:
        """Change a user. Deactivating revokes their tokens (reactivating does not revive them);
        claimed tasks they can no longer work go back to their department's queue."""
        access.require_role(actor, "admin")
        shown, problems = free_text(display_name, "/display_name")
        company, more = free_text(company, "/company")
        problems += more
        if display_name is not None and shown is None:
            problems.append(Problem("required", "must not be blank", field="/display_name"))
        if problems:
            raise InvalidInput("the user is not valid", problems=problems)

        def act(work: CaseWork) -> str:
            connection = work.connection
            current = user_view(connection, user_id)
            new_roles = list(roles) if roles is not None else list(current.roles)
            new_departments = (
                [normalised(c) for c in departments_] if departments_ is not None else list(current.departments)
            )
            new_company = company if company is not None else (current.company.name if current.company else None)
            if "applicant" not in new_roles:
                new_company = None if company is None else company
            contact, contact_problems = contact_details(
                current.phone if phone is _UNSET else phone,
                current.email if email is _UNSET else email,
                current.notify_via if notify_via is _UNSET else notify_via,
            )
            problems = check_user(current.username, new_roles, new_departments, new_company) + contact_problems
            if problems:
                raise InvalidInput("the user is not valid", problems=problems)
            check_departments(connection, new_departments)
            values: dict[str, Any] = {**contact}
            if shown is not None:
                values["display_name"] = shown
            if active is not None:
                values["active"] = active
            if password is not None:
                values["password_hash"] = hash_password(password)
            values["company_id"] = company_id_for(work, new_company, None) if new_company else None
            # every change may change the actor: cached ones of the old version are rebuilt everywhere
            connection.execute(
                update(users).where(users.c.id == user_id).values({**values, "auth_version": users.c.auth_version + 1})
            )
            connection.execute(delete(user_roles).where(user_roles.c.user_id == user_id))
            connection.execute(delete(user_departments).where(user_departments.c.user_id == user_id))
            set_memberships(connection, user_id, new_roles, new_departments)
            changed = sorted(k for k, v in values.items() if k != "password_hash" and _differs(current, k, v))
            work.record(action="user.updated", details={"user_id": user_id, "fields": changed})
            still_active = current.active if active is None else active
            _after_membership_change(work, current, still_active, new_roles, new_departments)
            return user_id

        return self._engine.command(actor, act, lambda work, uid: user_view(work.connection, uid))

    def get_user(self, actor: Actor, user_id: str) -> UserView:
        if not (actor.is_admin or actor.user_id == user_id):
            raise NotFound(f"user {user_id} does not exist", code="user_not_found")
        return self._engine.query(lambda c: user_view(c, user_id))

    def list_users(self, actor: Actor) -> list[UserView]:
        access.require_role(actor, "admin", "supervisor", "auditor")
        return self._engine.query(
            lambda c: [user_view(c, uid) for uid in c.execute(select(users.c.id).order_by(users.c.username)).scalars()]
        )

    def find_user(self, username: str) -> UserView:
        """The user of this username (compared as stored: NFKC, any letter case)."""

        def run(connection: Connection) -> UserView:
            user_id = user_id_by_name(connection, normalised(username))
            if user_id is None:
                raise NotFound(f"user '{username}' does not exist", code="user_not_found")
            return user_view(connection, user_id)

        return self._engine.query(run)

    # --- tokens and sign-in -------------------------------------------------------------------

    def create_token(
        self, actor: Actor, user_id: str, name: str | None = None, *, expires_in: timedelta | None = None
    ) -> TokenView:
        """A new token; ``expires_in`` None means it never expires (the API always passes one)."""
        if not (actor.is_admin or actor.user_id == user_id):
            raise Forbidden("only admins create tokens for others", code="role_required")
        label, problems = free_text(name, "/name", limit=TOKEN_NAME_MAX)
        if problems:
            raise InvalidInput("the token is not valid", problems=problems)
        tokens.check_lifetime(expires_in)
        secret = tokens.new_secret()

        def act(work: CaseWork) -> TokenView:
            user_view(work.connection, user_id)
            values = tokens.insert_values(tokens.new_token_id(), user_id, secret, label, work.now, expires_in)
            work.connection.execute(insert(api_tokens).values(values))
            work.record(
                action="token.created",
                details={"user_id": user_id, "token_id": values["id"], "expires_at": _iso(values["expires_at"])},
            )
            return tokens.view({**values, "revoked_at": None, "last_used_at": None}, work.now, secret)

        return self._engine.command(actor, act)

    def list_tokens(self, actor: Actor, user_id: str) -> list[TokenView]:
        """A user's tokens, newest first, without secrets (admins, or the user themself)."""
        if not (actor.is_admin or actor.user_id == user_id):
            raise NotFound(f"user {user_id} does not exist", code="user_not_found")
        now = self._engine.clock.now()

        def run(connection: Connection) -> list[TokenView]:
            user_view(connection, user_id)
            return tokens.tokens_of(connection, user_id, now)

        return self._engine.query(run)

    def revoke_token(self, actor: Actor, token_id: str) -> None:
        def act(work: CaseWork) -> None:
            row = work.connection.execute(select(api_tokens).where(api_tokens.c.id == token_id)).mappings().first()
            if row is None or not (actor.is_admin or row["user_id"] == actor.user_id):
                raise NotFound(f"token {token_id} does not exist", code="token_not_found")
            if row["revoked_at"] is not None:  # revoking twice changes nothing
                return
            work.connection.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=work.now))
            work.record(action="token.revoked", details={"token_id": token_id, "user_id": row["user_id"]})

        self._engine.command(actor, act)

    def check_token(self, secret: str) -> tuple[Actor, tokens.TokenCheck]:
        """The actor behind an API token and whether its use this hour is still to be recorded.

        Unauthenticated for unknown, revoked or expired tokens and for inactive users.
        """
        now = self._engine.clock.now()

        def run(connection: Connection) -> tuple[Actor, tokens.TokenCheck]:
            found = tokens.check(connection, secret, now)
            actor = self._actors.get(found.user_id, found.auth_version)
            if actor is None:
                actor = actor_for(connection, found.user_id)
                self._actors.put(found.user_id, found.auth_version, actor)
            return actor, found

        return self._engine.query(run)

    def authenticate(self, secret: str) -> Actor:
        """The actor behind an API token (see :meth:`check_token`)."""
        return self.check_token(secret)[0]

    def record_token_use(self, found: tokens.TokenCheck) -> None:
        """Write the hour of a token's last use; called after the answer went out, once an hour."""
        if found.record_use_at is None:
            return
        hour = found.record_use_at
        self._engine.command(SYSTEM, lambda work: tokens.record_use(work.connection, found.token_id, hour))

    def sign_in(self, username: str, password: str) -> Actor:
        def run(connection: Connection) -> Actor:
            row = connection.execute(
                select(users.c.id, users.c.password_hash, users.c.active).where(users.c.username == username)
            ).first()
            if row is None or not row.active or not check_password(row.password_hash, password):
                raise Unauthenticated("wrong username or password", code="bad_credentials")
            return actor_for(connection, row.id)

        return self._engine.query(run)


def _after_membership_change(
    work: CaseWork, before: UserView, active: bool, roles: Sequence[str], codes: Sequence[str]
) -> None:
    """Deactivation revokes the tokens; claimed tasks the user can no longer work are released."""
    if not active:
        revoked = tokens.revoke_all(work.connection, before.id, work.now)
        if revoked:
            work.record(action="user.tokens_revoked", details={"user_id": before.id, "token_ids": revoked})
    if not active or not any(r in WORKING_ROLES for r in roles):
        reason = "user_deactivated" if not active else "roles_changed"
        release_claimed_tasks(work, before.id, departments=None, reason=reason)
        return
    left = set(before.departments) - set(codes)
    release_claimed_tasks(work, before.id, departments=left, reason="removed_from_department")


def _differs(current: UserView, key: str, value: Any) -> bool:
    if key == "company_id":
        return bool(value != (current.company.id if current.company else None))
    return bool(getattr(current, key, None) != value)


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def actor_for(connection: Connection, user_id: str) -> Actor:
    view = user_view(connection, user_id)
    return Actor(
        user_id=view.id,
        username=view.username,
        roles=frozenset(view.roles),
        departments=frozenset(view.departments),
        company_id=view.company.id if view.company else None,
    )


__all__ = ["IdentityService", "Mapping", "actor_for", "check_password", "hash_password"]
