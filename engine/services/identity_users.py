"""The rows behind users: password hashes, membership, companies, contact details and the checks
on them. The identity service composes these inside its commands."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from engine.actors import ROLES, Actor
from engine.command_context import CommandContext
from engine.errors import InvalidInput, NotFound, Problem
from engine.paging import sorted_page
from engine.persistence.tables import companies, departments, user_departments, user_roles, users
from engine.results import ApplicantView, CompanyView, UserView
from engine.services.identity_rules import EMAIL_MAX, PHONE_MAX, free_text

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


NOTIFY_CHANNELS = ("sms", "email", "dingtalk")
WORKING_ROLES = ("staff", "supervisor", "admin")
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{2,31}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def user_id_by_name(connection: Connection, username: str) -> str | None:
    found = connection.execute(select(users.c.id).where(func.lower(users.c.username) == username.lower())).scalar()
    return str(found) if found is not None else None


def contact_details(
    phone: str | None, email: str | None, notify_via: str | None
) -> tuple[dict[str, str | None], list[Problem]]:
    """Phone, e-mail and the channel a delivery bridge uses; the channel needs its address."""
    phone, problems = free_text(phone, "/phone", limit=PHONE_MAX)
    email, more = free_text(email, "/email", limit=EMAIL_MAX)
    problems += more
    if phone is not None and not problems and not _PHONE.fullmatch(phone):
        problems.append(Problem("format", "a phone number: digits, spaces, ( ) - and a leading +", field="/phone"))
    if email is not None and not more and not _EMAIL.fullmatch(email):
        problems.append(Problem("format", "an e-mail address such as name@example.cn", field="/email"))
    if notify_via is not None and notify_via not in NOTIFY_CHANNELS:
        problems.append(Problem("enum", "one of " + ", ".join(NOTIFY_CHANNELS), field="/notify_via"))
    if notify_via == "sms" and phone is None:
        problems.append(Problem("required", "SMS needs a phone number", field="/phone"))
    if notify_via == "email" and email is None:
        problems.append(Problem("required", "e-mail needs an address", field="/email"))
    return {"phone": phone, "email": email, "notify_via": notify_via}, problems


def applicant_views(
    connection: Connection, page: int = 1, page_size: int | None = None
) -> tuple[list[ApplicantView], int]:
    """Every active user with the role ``applicant``, with their company, by company then display name:
    ``page`` of ``page_size`` (None: all) and the total, in SQL."""
    query = (
        select(users.c.id, users.c.username, users.c.display_name, companies.c.id.label("company_id"),
               companies.c.name.label("company_name"), companies.c.credit_code)
        .join(user_roles, user_roles.c.user_id == users.c.id)
        .outerjoin(companies, companies.c.id == users.c.company_id)
        .where(user_roles.c.role == "applicant", users.c.active.is_(True))
    )
    base = (companies.c.name, users.c.display_name, users.c.id)
    rows, total = sorted_page(connection, query, None, base, page, page_size or 1 << 30)
    return [
        ApplicantView(
            r["id"], r["username"], r["display_name"],
            CompanyView(r["company_id"], r["company_name"], r["credit_code"]) if r["company_id"] is not None else None,
        )
        for r in rows
    ], total


def user_view(connection: Connection, user_id: str) -> UserView:
    row = connection.execute(select(users).where(users.c.id == user_id)).mappings().first()
    if row is None:
        raise NotFound(f"user {user_id} does not exist", code="user_not_found")
    return user_views(connection, [row])[0]


def user_views(connection: Connection, rows: Sequence[Mapping[Any, Any]]) -> list[UserView]:
    """The users of ``rows`` (rows of ``users``) with their roles, departments and company, in their
    order: one query each for the roles, departments and companies of them all (a list page)."""
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    roles: dict[str, list[str]] = {}
    for user_id, role in connection.execute(select(user_roles.c.user_id, user_roles.c.role).where(
        user_roles.c.user_id.in_(ids)
    )).all():
        roles.setdefault(user_id, []).append(role)
    codes: dict[str, list[str]] = {}
    for user_id, code in connection.execute(
        select(user_departments.c.user_id, user_departments.c.department_code).where(
            user_departments.c.user_id.in_(ids)
        )
    ).all():
        codes.setdefault(user_id, []).append(code)
    company_ids = {row["company_id"] for row in rows if row["company_id"] is not None}
    found = {
        c.id: CompanyView(c.id, c.name, c.credit_code)
        for c in (
            connection.execute(select(companies).where(companies.c.id.in_(company_ids))).all() if company_ids else []
        )
    }
    return [
        UserView(
            row["id"],
            row["username"],
            row["display_name"],
            row["active"],
            tuple(sorted(roles.get(row["id"], ()))),
            tuple(sorted(codes.get(row["id"], ()))),
            found[row["company_id"]] if row["company_id"] is not None else None,
            phone=row["phone"],
            email=row["email"],
            notify_via=row["notify_via"],
        )
        for row in rows
    ]


def check_user(username: str, roles: Sequence[str], codes: Sequence[str], company: str | None) -> list[Problem]:
    problems: list[Problem] = []
    for index, role in enumerate(roles):
        if role not in ROLES:
            problems.append(Problem("enum", "one of " + ", ".join(ROLES), field=f"/roles/{index}"))
    if not roles:
        problems.append(Problem("required", "at least one role is required", field="/roles"))
    if "applicant" in roles:
        if any(r != "applicant" for r in roles):
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


def check_departments(connection: Connection, codes: Sequence[str]) -> None:
    known = set(connection.execute(select(departments.c.code)).scalars())
    problems = [
        Problem("unknown_department", f"no department '{code}'", field=f"/departments/{i}")
        for i, code in enumerate(codes)
        if code not in known
    ]
    if problems:
        raise InvalidInput("unknown departments", problems=problems)


def company_id_for(work: CommandContext, name: str | None, credit_code: str | None) -> str:
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


def set_memberships(connection: Connection, user_id: str, roles: Sequence[str], codes: Sequence[str]) -> None:
    if roles:
        connection.execute(insert(user_roles), [{"user_id": user_id, "role": r} for r in sorted(set(roles))])
    if codes:
        connection.execute(
            insert(user_departments), [{"user_id": user_id, "department_code": c} for c in sorted(set(codes))]
        )


def actor_for(connection: Connection, user_id: str) -> Actor:
    """The actor a user is: roles, departments and company as stored now."""
    view = user_view(connection, user_id)
    return Actor(
        user_id=view.id,
        username=view.username,
        roles=frozenset(view.roles),
        departments=frozenset(view.departments),
        company_id=view.company.id if view.company else None,
    )
