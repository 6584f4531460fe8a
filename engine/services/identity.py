"""Identity service: departments, companies, users, roles and API tokens; turns a token into an Actor."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from engine import access
from engine.actors import ROLES, STAFF_ROLES, Actor
from engine.casework import CaseWork
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem, Unauthenticated
from engine.persistence.tables import api_tokens, companies, departments, user_departments, user_roles, users
from engine.results import CompanyView, DepartmentView, TokenView, UserView

if TYPE_CHECKING:
    from engine.core import ProcessEngine

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_UNSET: Any = object()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    derived = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${derived.hex()}"


def check_password(stored: str | None, password: str) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, n, r, p, salt, expected = stored.split("$")
    derived = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), dklen=32, n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(derived.hex(), expected)


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class IdentityService:
    def __init__(self, engine: ProcessEngine) -> None:
        self._engine = engine

    # --- departments --------------------------------------------------------------------------

    def create_department(self, actor: Actor, code: str, name: str, name_en: str | None = None) -> DepartmentView:
        access.require_role(actor, "admin")
        problems = []
        if not code or not code.strip() or any(c.isspace() for c in code.strip()):
            problems.append(Problem("invalid", "a code without spaces is required", field="/code"))
        if not name or not name.strip():
            problems.append(Problem("required", "a name is required", field="/name"))
        if problems:
            raise InvalidInput("the department is not valid", problems=problems)
        code = code.strip()

        def act(work: CaseWork) -> DepartmentView:
            exists = work.connection.execute(select(departments.c.code).where(departments.c.code == code)).first()
            if exists is not None:
                raise Conflict(f"department '{code}' exists", code="department_exists")
            work.connection.execute(
                insert(departments).values(code=code, name=name.strip(), name_en=name_en, created_at=work.now)
            )
            work.record(action="department.created", details={"code": code})
            return DepartmentView(code, name.strip(), name_en)

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
    ) -> UserView:
        access.require_role(actor, "admin")
        username = (username or "").strip()
        problems = _check_user(username, roles, departments_, company)
        if problems:
            raise InvalidInput("the user is not valid", problems=problems)

        def act(work: CaseWork) -> str:
            connection = work.connection
            if connection.execute(select(users.c.id).where(users.c.username == username)).first() is not None:
                raise Conflict(f"user '{username}' exists", code="user_exists")
            _check_departments(connection, departments_)
            user_id = str(uuid.uuid4())
            company_id = _company(work, company, credit_code) if company else None
            connection.execute(
                insert(users).values(
                    id=user_id,
                    username=username,
                    display_name=(display_name or username).strip(),
                    password_hash=hash_password(password) if password else None,
                    active=active,
                    company_id=company_id,
                    created_at=work.now,
                )
            )
            _set_memberships(connection, user_id, roles, departments_)
            work.record(
                action="user.created",
                details={"user_id": user_id, "roles": sorted(roles), "departments": sorted(departments_)},
            )
            return user_id

        return self._engine.command(actor, act, lambda work, user_id: _user_view(work.connection, user_id))

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
    ) -> UserView:
        access.require_role(actor, "admin")

        def act(work: CaseWork) -> str:
            connection = work.connection
            current = _user_view(connection, user_id)
            new_roles = list(roles) if roles is not None else list(current.roles)
            new_departments = list(departments_) if departments_ is not None else list(current.departments)
            new_company = company if company is not None else (current.company.name if current.company else None)
            if "applicant" not in new_roles:
                new_company = None if company is None else company
            problems = _check_user(current.username, new_roles, new_departments, new_company)
            if problems:
                raise InvalidInput("the user is not valid", problems=problems)
            _check_departments(connection, new_departments)
            values: dict[str, Any] = {}
            if display_name is not None:
                values["display_name"] = display_name.strip()
            if active is not None:
                values["active"] = active
            if password is not None:
                values["password_hash"] = hash_password(password)
            values["company_id"] = _company(work, new_company, None) if new_company else None
            connection.execute(update(users).where(users.c.id == user_id).values(values))
            connection.execute(delete(user_roles).where(user_roles.c.user_id == user_id))
            connection.execute(delete(user_departments).where(user_departments.c.user_id == user_id))
            _set_memberships(connection, user_id, new_roles, new_departments)
            work.record(
                action="user.updated",
                details={"user_id": user_id, "fields": sorted(k for k in values if k != "password_hash")},
            )
            return user_id

        return self._engine.command(actor, act, lambda work, uid: _user_view(work.connection, uid))

    def get_user(self, actor: Actor, user_id: str) -> UserView:
        if not (actor.is_admin or actor.user_id == user_id):
            raise NotFound(f"user {user_id} does not exist", code="user_not_found")
        return self._engine.query(lambda c: _user_view(c, user_id))

    def list_users(self, actor: Actor) -> list[UserView]:
        access.require_role(actor, "admin", "supervisor", "auditor")
        return self._engine.query(
            lambda c: [_user_view(c, uid) for uid in c.execute(select(users.c.id).order_by(users.c.username)).scalars()]
        )

    def find_user(self, username: str) -> UserView:
        def run(connection: Connection) -> UserView:
            user_id = connection.execute(select(users.c.id).where(users.c.username == username)).scalar()
            if user_id is None:
                raise NotFound(f"user '{username}' does not exist", code="user_not_found")
            return _user_view(connection, user_id)

        return self._engine.query(run)

    # --- tokens and sign-in -------------------------------------------------------------------

    def create_token(self, actor: Actor, user_id: str, name: str | None = None) -> TokenView:
        if not (actor.is_admin or actor.user_id == user_id):
            raise Forbidden("only admins create tokens for others", code="role_required")
        secret = "wt_" + secrets.token_urlsafe(32)

        def act(work: CaseWork) -> TokenView:
            _user_view(work.connection, user_id)
            token_id = str(uuid.uuid4())
            work.connection.execute(
                insert(api_tokens).values(
                    id=token_id, user_id=user_id, token_hash=_token_hash(secret), name=name, created_at=work.now
                )
            )
            work.record(
                action="token.created",
                details={"user_id": user_id, "token_id": token_id},
            )
            return TokenView(token_id, user_id, name, work.now, None, secret)

        return self._engine.command(actor, act)

    def revoke_token(self, actor: Actor, token_id: str) -> None:
        def act(work: CaseWork) -> None:
            row = work.connection.execute(select(api_tokens).where(api_tokens.c.id == token_id)).mappings().first()
            if row is None or not (actor.is_admin or row["user_id"] == actor.user_id):
                raise NotFound(f"token {token_id} does not exist", code="token_not_found")
            if row["revoked_at"] is not None:  # revoking twice changes nothing
                return
            work.connection.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=work.now))
            work.record(action="token.revoked", details={"token_id": token_id})

        self._engine.command(actor, act)

    def authenticate(self, secret: str) -> Actor:
        """The actor behind an API token; Unauthenticated for unknown, revoked or inactive ones."""

        def run(connection: Connection) -> Actor:
            row = connection.execute(
                select(users.c.id, users.c.active)
                .join(api_tokens, api_tokens.c.user_id == users.c.id)
                .where(api_tokens.c.token_hash == _token_hash(secret), api_tokens.c.revoked_at.is_(None))
            ).first()
            if row is None or not row.active:
                raise Unauthenticated("the token is unknown, revoked or its user inactive", code="bad_token")
            return actor_for(connection, row.id)

        return self._engine.query(run)

    def sign_in(self, username: str, password: str) -> Actor:
        def run(connection: Connection) -> Actor:
            row = connection.execute(
                select(users.c.id, users.c.password_hash, users.c.active).where(users.c.username == username)
            ).first()
            if row is None or not row.active or not check_password(row.password_hash, password):
                raise Unauthenticated("wrong username or password", code="bad_credentials")
            return actor_for(connection, row.id)

        return self._engine.query(run)


def actor_for(connection: Connection, user_id: str) -> Actor:
    view = _user_view(connection, user_id)
    return Actor(
        user_id=view.id,
        username=view.username,
        roles=frozenset(view.roles),
        departments=frozenset(view.departments),
        company_id=view.company.id if view.company else None,
    )


def _user_view(connection: Connection, user_id: str) -> UserView:
    row = connection.execute(select(users).where(users.c.id == user_id)).mappings().first()
    if row is None:
        raise NotFound(f"user {user_id} does not exist", code="user_not_found")
    roles = sorted(connection.execute(select(user_roles.c.role).where(user_roles.c.user_id == user_id)).scalars())
    codes = sorted(
        connection.execute(
            select(user_departments.c.department_code).where(user_departments.c.user_id == user_id)
        ).scalars()
    )
    company = None
    if row["company_id"] is not None:
        c = connection.execute(select(companies).where(companies.c.id == row["company_id"])).mappings().one()
        company = CompanyView(c["id"], c["name"], c["credit_code"])
    return UserView(row["id"], row["username"], row["display_name"], row["active"], tuple(roles), tuple(codes), company)


def _check_user(username: str, roles: Sequence[str], codes: Sequence[str], company: str | None) -> list[Problem]:
    problems: list[Problem] = []
    if not username or any(c.isspace() for c in username):
        problems.append(Problem("invalid", "a username without spaces is required", field="/username"))
    for index, role in enumerate(roles):
        if role not in ROLES:
            problems.append(Problem("enum", "one of " + ", ".join(ROLES), field=f"/roles/{index}"))
    if not roles:
        problems.append(Problem("required", "at least one role is required", field="/roles"))
    if "applicant" in roles:
        if any(r in STAFF_ROLES for r in roles):
            problems.append(Problem("invalid", "applicants have no staff roles", field="/roles"))
        if codes:
            problems.append(
                Problem("invalid", "applicants belong to a company, not a department", field="/departments")
            )
        if not company:
            problems.append(Problem("required", "applicants need a company", field="/company"))
    elif company:
        problems.append(Problem("invalid", "only applicants belong to a company", field="/company"))
    if any(r in ("staff", "supervisor") for r in roles) and not codes:
        problems.append(Problem("required", "staff and supervisors need a department", field="/departments"))
    return problems


def _check_departments(connection: Connection, codes: Sequence[str]) -> None:
    known = set(connection.execute(select(departments.c.code)).scalars())
    problems = [
        Problem("unknown_department", f"no department '{code}'", field=f"/departments/{i}")
        for i, code in enumerate(codes)
        if code not in known
    ]
    if problems:
        raise InvalidInput("unknown departments", problems=problems)


def _company(work: CaseWork, name: str | None, credit_code: str | None) -> str:
    """The company's id, created on first mention; a credit code belongs to one company only."""
    assert name
    found = work.connection.execute(select(companies).where(companies.c.name == name)).mappings().first()
    if credit_code is not None:
        holder = work.connection.execute(
            select(companies.c.name).where(companies.c.credit_code == credit_code)
        ).scalar()
        if holder is not None and holder != name:
            raise InvalidInput(
                "this credit code belongs to another company",
                problems=[Problem("credit_code_taken", f"already the code of '{holder}'", field="/credit_code")],
            )
    if found is not None:
        if credit_code is not None and found["credit_code"] not in (None, credit_code):
            raise InvalidInput(
                "the company already has another credit code",
                problems=[
                    Problem("credit_code_mismatch", f"'{name}' has {found['credit_code']}", field="/credit_code")
                ],
            )
        if credit_code is not None and found["credit_code"] is None:
            work.connection.execute(
                update(companies).where(companies.c.id == found["id"]).values(credit_code=credit_code)
            )
        return str(found["id"])
    company_id = str(uuid.uuid4())
    work.connection.execute(
        insert(companies).values(id=company_id, name=name, credit_code=credit_code, created_at=work.now)
    )
    return company_id


def _set_memberships(connection: Connection, user_id: str, roles: Sequence[str], codes: Sequence[str]) -> None:
    if roles:
        connection.execute(insert(user_roles), [{"user_id": user_id, "role": r} for r in sorted(set(roles))])
    if codes:
        connection.execute(
            insert(user_departments), [{"user_id": user_id, "department_code": c} for c in sorted(set(codes))]
        )


__all__ = ["IdentityService", "Mapping", "actor_for", "check_password", "hash_password"]
