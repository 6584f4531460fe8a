"""Identity commands (admins): departments, users and their memberships, API tokens."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update

from engine.command_context import CommandContext
from engine.commands.base import Command
from engine.errors import Conflict, InvalidInput, NotFound
from engine.persistence.tables import api_tokens, departments, user_departments, user_roles, users
from engine.results import DepartmentView, TokenView, UserView
from engine.services import identity_tokens as tokens
from engine.services.identity_release import release_claimed_tasks
from engine.services.identity_rules import normalised, same_name
from engine.services.identity_users import (
    WORKING_ROLES,
    check_departments,
    check_user,
    company_id_for,
    contact_details,
    hash_password,
    set_memberships,
    user_id_by_name,
    user_view,
)

UNSET: Any = object()
"""A contact field the caller did not name (None clears it)."""


@dataclass(frozen=True, kw_only=True)
class CreateDepartment(Command[DepartmentView]):
    """A new department; its code and both its names are unique (lanes name departments by them)."""

    code: str
    name: str
    name_en: str | None

    def execute(self, work: CommandContext) -> DepartmentView:
        code, clean_name, clean_en = self.code, self.name, self.name_en
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


@dataclass(frozen=True, kw_only=True)
class CreateUser(Command[UserView]):
    """A new user with roles, departments, company and contact details (input already checked)."""

    username: str
    display_name: str | None
    roles: tuple[str, ...]
    departments: tuple[str, ...]
    company: str | None
    credit_code: str | None
    password: str | None
    active: bool
    contact: dict[str, Any] = field(default_factory=dict)

    def execute(self, work: CommandContext) -> str:
        connection = work.connection
        username, codes = self.username, list(self.departments)
        if user_id_by_name(connection, username) is not None:
            raise Conflict(f"user '{username}' exists", code="user_exists")
        check_departments(connection, codes)
        user_id = str(uuid.uuid4())
        company_id = company_id_for(work, self.company, self.credit_code) if self.company else None
        connection.execute(
            insert(users).values(
                id=user_id,
                username=username,
                display_name=self.display_name or username,
                password_hash=hash_password(self.password) if self.password else None,
                active=self.active,
                company_id=company_id,
                created_at=work.now,
                **self.contact,
            )
        )
        set_memberships(connection, user_id, self.roles, codes)
        work.record(
            action="user.created",
            details={"user_id": user_id, "roles": sorted(self.roles), "departments": sorted(codes)},
        )
        return user_id

    def finish(self, work: CommandContext, value: str) -> UserView:
        return user_view(work.connection, value)


@dataclass(frozen=True, kw_only=True)
class UpdateUser(Command[UserView]):
    """Change a user. Deactivating revokes their tokens (reactivating does not revive them); claimed
    tasks they can no longer work go back to their department's queue."""

    user_id: str
    display_name: str | None
    roles: tuple[str, ...] | None
    departments: tuple[str, ...] | None
    company: str | None
    active: bool | None
    password: str | None
    phone: str | None = UNSET
    email: str | None = UNSET
    notify_via: str | None = UNSET

    def execute(self, work: CommandContext) -> str:
        connection, user_id, company = work.connection, self.user_id, self.company
        current = user_view(connection, user_id)
        new_roles = list(self.roles) if self.roles is not None else list(current.roles)
        new_departments = (
            [normalised(c) for c in self.departments] if self.departments is not None else list(current.departments)
        )
        new_company = company if company is not None else (current.company.name if current.company else None)
        if "applicant" not in new_roles:
            new_company = None if company is None else company
        contact, contact_problems = contact_details(
            current.phone if self.phone is UNSET else self.phone,
            current.email if self.email is UNSET else self.email,
            current.notify_via if self.notify_via is UNSET else self.notify_via,
        )
        problems = check_user(current.username, new_roles, new_departments, new_company) + contact_problems
        if problems:
            raise InvalidInput("the user is not valid", problems=problems)
        check_departments(connection, new_departments)
        values: dict[str, Any] = {**contact}
        if self.display_name is not None:
            values["display_name"] = self.display_name
        if self.active is not None:
            values["active"] = self.active
        if self.password is not None:
            values["password_hash"] = hash_password(self.password)
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
        still_active = current.active if self.active is None else self.active
        _after_membership_change(work, current, still_active, new_roles, new_departments)
        return user_id

    def finish(self, work: CommandContext, value: str) -> UserView:
        return user_view(work.connection, value)


@dataclass(frozen=True, kw_only=True)
class CreateToken(Command[TokenView]):
    """A new API token for a user (``expires_in`` None: never expires); the only time its secret is shown."""

    user_id: str
    name: str | None
    secret: str
    expires_in: timedelta | None

    def execute(self, work: CommandContext) -> TokenView:
        user_view(work.connection, self.user_id)
        values = tokens.insert_values(
            tokens.new_token_id(), self.user_id, self.secret, self.name, work.now, self.expires_in
        )
        work.connection.execute(insert(api_tokens).values(values))
        work.record(
            action="token.created",
            details={"user_id": self.user_id, "token_id": values["id"], "expires_at": _iso(values["expires_at"])},
        )
        return tokens.view({**values, "revoked_at": None, "last_used_at": None}, work.now, self.secret)


@dataclass(frozen=True, kw_only=True)
class RevokeToken(Command[None]):
    """Revoke a token (admins, or its owner); revoking twice changes nothing."""

    token_id: str

    def execute(self, work: CommandContext) -> None:
        actor, token_id = self.actor, self.token_id
        row = work.connection.execute(select(api_tokens).where(api_tokens.c.id == token_id)).mappings().first()
        if row is None or not (actor.is_admin or row["user_id"] == actor.user_id):
            raise NotFound(f"token {token_id} does not exist", code="token_not_found")
        if row["revoked_at"] is not None:  # revoking twice changes nothing
            return
        work.connection.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=work.now))
        work.record(action="token.revoked", details={"token_id": token_id, "user_id": row["user_id"]})


@dataclass(frozen=True, kw_only=True)
class RecordTokenUse(Command[None]):
    """Write the hour of a token's last use (bookkeeping, not history: no event)."""

    token_id: str
    hour: datetime

    def execute(self, work: CommandContext) -> None:
        tokens.record_use(work.connection, self.token_id, self.hour)


def _after_membership_change(
    work: CommandContext, before: UserView, active: bool, roles: Sequence[str], codes: Sequence[str]
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
