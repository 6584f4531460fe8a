"""Identity service: departments, companies, users, roles and API tokens; turns a token into an Actor."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from engine import access
from engine.actors import SYSTEM, Actor
from engine.commands.identity import (
    UNSET,
    CreateDepartment,
    CreateToken,
    CreateUser,
    RecordTokenUse,
    RevokeToken,
    UpdateUser,
)
from engine.errors import Forbidden, InvalidInput, NotFound, Problem, Unauthenticated
from engine.paging import sorted_page
from engine.persistence.tables import departments, users
from engine.results import ApplicantView, DepartmentView, Page, TokenView, UserView
from engine.services import identity_tokens as tokens
from engine.services.actor_cache import ActorCache
from engine.services.identity_rules import CREDIT_CODE_MAX, TOKEN_NAME_MAX, free_text, identifier, normalised
from engine.services.identity_users import (
    actor_for,
    applicant_views,
    check_password,
    check_user,
    contact_details,
    user_id_by_name,
    user_view,
    user_views,
)

if TYPE_CHECKING:
    from engine.core import ProcessEngine

_UNSET: Any = UNSET


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

        return self._engine.execute(CreateDepartment(actor=actor, code=code, name=clean_name, name_en=clean_en))

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

        command = CreateUser(
            actor=actor,
            username=username,
            display_name=shown,
            roles=tuple(roles),
            departments=tuple(codes),
            company=company,
            credit_code=credit_code,
            password=password,
            active=active,
            contact=contact,
        )
        return self._engine.execute(command)

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

        command = UpdateUser(
            actor=actor,
            user_id=user_id,
            display_name=shown,
            roles=tuple(roles) if roles is not None else None,
            departments=tuple(departments_) if departments_ is not None else None,
            company=company,
            active=active,
            password=password,
            phone=phone,
            email=email,
            notify_via=notify_via,
        )
        return self._engine.execute(command)

    def get_user(self, actor: Actor, user_id: str) -> UserView:
        if not (actor.is_admin or actor.user_id == user_id):
            raise NotFound(f"user {user_id} does not exist", code="user_not_found")
        return self._engine.query(lambda c: user_view(c, user_id))

    def list_users(self, actor: Actor) -> list[UserView]:
        return list(self.user_page(actor).items)

    def user_page(
        self, actor: Actor, *, sort: str | None = None, page: int = 1, page_size: int | None = None
    ) -> Page:
        """Users by username (or ``sort``: ``username``, ``display_name``, ``-`` for descending), paged,
        counted and sorted in SQL, their roles, departments and companies read for the page at once."""
        access.require_role(actor, "admin", "supervisor", "auditor")
        order = (users.c[sort.lstrip("-")], sort.startswith("-")) if sort else None

        def run(connection: Connection) -> Page:
            rows, total = sorted_page(connection, select(users), order, (users.c.username,), page, page_size or 1 << 30)
            return Page(tuple(user_views(connection, rows)), total)

        return self._engine.query(run)

    def list_applicants(self, actor: Actor) -> list[ApplicantView]:
        """The active company users (role ``applicant``) staff may open a case for (``applicant_id``)."""
        return list(self.applicant_page(actor).items)

    def applicant_page(self, actor: Actor, *, page: int = 1, page_size: int | None = None) -> Page:
        """:meth:`list_applicants` paged and counted in SQL."""
        access.require_case_opener(actor)

        def run(connection: Connection) -> Page:
            items, total = applicant_views(connection, page, page_size)
            return Page(tuple(items), total)

        return self._engine.query(run)

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

        command = CreateToken(actor=actor, user_id=user_id, name=label, secret=secret, expires_in=expires_in)
        return self._engine.execute(command)

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
        self._engine.execute(RevokeToken(actor=actor, token_id=token_id))

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
        self._engine.execute(RecordTokenUse(actor=SYSTEM, token_id=found.token_id, hour=hour))

    def sign_in(self, username: str, password: str) -> Actor:
        def run(connection: Connection) -> Actor:
            row = connection.execute(
                select(users.c.id, users.c.password_hash, users.c.active).where(users.c.username == username)
            ).first()
            if row is None or not row.active or not check_password(row.password_hash, password):
                raise Unauthenticated("wrong username or password", code="bad_credentials")
            return actor_for(connection, row.id)

        return self._engine.query(run)
