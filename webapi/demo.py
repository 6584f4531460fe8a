"""Loading the demo organisation: departments, users and the shipped processes.

``wutong demo load`` calls :func:`load_demo` with ``bpmn.demo_data()`` and ``bpmn.process_files()``.
Loading is idempotent: departments and users that exist are kept as they are; the processes are
deployed in one deployment, and the engine only creates new versions of processes that changed.
Every demo user gets a fresh API token on every load and its demo password (the user's ``password``,
else the data's top-level ``password``) is set again, so the printed table is always usable: sign in to
the web application with the password, call the API with the token.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine import SYSTEM, ProcessEngine
from engine.actors import Actor
from engine.errors import InvalidInput, NotFound, Problem
from engine.results import DeploymentResult, UserView

TOKEN_NAME = "demo"


@dataclass(frozen=True)
class DemoUser:
    """A demo user as the table shows it, with the fresh token."""

    username: str
    display_name: str
    roles: tuple[str, ...]
    departments: tuple[str, ...]
    company: str | None
    password: str | None
    token: str
    created: bool


@dataclass(frozen=True)
class DemoResult:
    departments_created: tuple[str, ...]
    departments_kept: tuple[str, ...]
    users: tuple[DemoUser, ...]
    deployment: DeploymentResult | None


def _text(entry: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = entry.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(
            "the demo data is not valid",
            problems=[Problem("invalid", f"{key} must be a non-empty string", field=f"{where}/{key}")],
        )
    return value


def _strings(entry: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(
            "the demo data is not valid",
            problems=[Problem("invalid", f"{key} must be a list of strings", field=f"{where}/{key}")],
        )
    return list(value)


def _section(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise InvalidInput(
            "the demo data is not valid",
            problems=[Problem("invalid", f"{key} must be a list of objects", field=f"/{key}")],
        )
    return list(value)


def _existing_user(engine: ProcessEngine, username: str) -> UserView | None:
    try:
        return engine.identity.find_user(username)
    except NotFound:
        return None


@dataclass(frozen=True)
class _DepartmentEntry:
    code: str
    name: str
    name_en: str | None


@dataclass(frozen=True)
class _UserEntry:
    username: str
    display_name: str | None
    roles: list[str]
    departments: list[str]
    company: str | None
    credit_code: str | None
    password: str | None


def _entries(data: Mapping[str, Any]) -> tuple[list[_DepartmentEntry], list[_UserEntry]]:
    """The demo data's shape, checked before anything is created (the engine checks the rest)."""
    departments = []
    for index, entry in enumerate(_section(data, "departments")):
        where = f"/departments/{index}"
        code, name = _text(entry, "code", where), _text(entry, "name", where)
        assert code is not None and name is not None
        departments.append(_DepartmentEntry(code, name, _text(entry, "name_en", where, required=False)))
    users = []
    default_password = _text(data, "password", "", required=False)
    for index, entry in enumerate(_section(data, "users")):
        where = f"/users/{index}"
        username = _text(entry, "username", where)
        assert username is not None
        users.append(
            _UserEntry(
                username=username,
                display_name=_text(entry, "display_name", where, required=False),
                roles=_strings(entry, "roles", where),
                departments=_strings(entry, "departments", where),
                company=_text(entry, "company", where, required=False),
                credit_code=_text(entry, "credit_code", where, required=False),
                password=_text(entry, "password", where, required=False) or default_password,
            )
        )
    return departments, users


def load_demo(
    engine: ProcessEngine,
    data: Mapping[str, Any],
    process_files: Mapping[str, bytes],
    *,
    actor: Actor = SYSTEM,
) -> DemoResult:
    """Create the missing demo departments and users, deploy the processes, mint a token each."""
    departments, users = _entries(data)

    known = {d.code for d in engine.identity.list_departments(actor)}
    created_departments: list[str] = []
    kept_departments: list[str] = []
    for department in departments:
        if department.code in known:
            kept_departments.append(department.code)
            continue
        engine.identity.create_department(actor, department.code, department.name, department.name_en)
        known.add(department.code)
        created_departments.append(department.code)

    # Deploy before minting tokens: lanes name the departments created above, and a model that
    # cannot be deployed should stop the load before any token is printed.
    deployment = engine.repository.deploy(actor, process_files) if process_files else None

    shown: list[DemoUser] = []
    for entry in users:
        user = _existing_user(engine, entry.username)
        created = user is None
        if user is None:
            user = engine.identity.create_user(
                actor,
                entry.username,
                display_name=entry.display_name,
                roles=entry.roles,
                departments_=entry.departments,
                company=entry.company,
                credit_code=entry.credit_code,
                password=entry.password,
            )
        elif entry.password is not None:
            engine.identity.update_user(actor, user.id, password=entry.password)
        token = engine.identity.create_token(actor, user.id, TOKEN_NAME)
        assert token.secret is not None
        shown.append(
            DemoUser(
                username=user.username,
                display_name=user.display_name,
                roles=user.roles,
                departments=user.departments,
                company=user.company.name if user.company else None,
                password=entry.password,
                token=token.secret,
                created=created,
            )
        )
    return DemoResult(tuple(created_departments), tuple(kept_departments), tuple(shown), deployment)


def user_table(users: Sequence[DemoUser]) -> list[str]:
    """The demo users as aligned text rows (header first): who, roles, where, password, token."""
    header = ("USERNAME", "NAME", "ROLES", "DEPARTMENTS / COMPANY", "PASSWORD", "TOKEN")
    rows = [
        (
            u.username,
            u.display_name,
            ",".join(u.roles),
            u.company if u.company else ",".join(u.departments) or "-",
            u.password or "-",
            u.token,
        )
        for u in users
    ]
    return aligned([header, *rows])


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells as lines with columns padded to the widest cell (the last column unpadded)."""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]))
    return lines
