"""``wutong department``, ``wutong user`` and ``wutong token``: the organisation and its API tokens."""

from __future__ import annotations

from typing import Any

import click

from engine import SYSTEM
from webapi import settings
from webapi.cli_support import EXPIRES_IN, _lifetime, _when, _yes, open_engine
from webapi.demo import aligned


@click.group()
def department() -> None:
    """Departments (the units that lanes name and tasks go to)."""


@department.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The department's name (e.g. in Chinese).")
@click.option("--name-en", default=None, help="The department's English name.")
def department_add(code: str, name: str, name_en: str | None) -> None:
    """Create the department CODE."""
    with open_engine() as engine:
        created = engine.identity.create_department(SYSTEM, code, name, name_en)
        click.echo(f"department {created.code} created")


@department.command("list")
def department_list() -> None:
    """List the departments."""
    with open_engine() as engine:
        rows = [("CODE", "NAME", "NAME_EN")]
        rows += [(d.code, d.name, d.name_en or "") for d in engine.identity.list_departments(SYSTEM)]
        for line in aligned(rows):
            click.echo(line.rstrip())


@click.group()
def user() -> None:
    """Users: staff of departments, or applicants of a company."""


def _read_password() -> str:
    from_env = settings.cli_password()
    if from_env is not None:
        return from_env
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    return password


@user.command("add")
@click.argument("username")
@click.option(
    "--department", "departments", multiple=True, metavar="CODE", help="A department the user works in (repeatable)."
)
@click.option(
    "--role",
    "roles",
    multiple=True,
    metavar="ROLE",
    help="designer, staff, supervisor, auditor, leader, admin, applicant or bridge (repeatable).",
)
@click.option("--display-name", default=None, help="The name shown to others (default: USERNAME).")
@click.option("--company", default=None, help="The applicant's company (applicants only).")
@click.option("--credit-code", default=None, help="The company's unified social credit code.")
@click.option(
    "--password",
    "with_password",
    is_flag=True,
    help="Set a password: prompted twice (hidden), or taken from WUTONG_PASSWORD.",
)
@click.option("--phone", default=None, help="Phone number, for SMS notifications.")
@click.option("--email", default=None, help="E-mail address, for e-mail notifications.")
@click.option(
    "--notify-via", default=None, type=click.Choice(["sms", "email", "dingtalk"]), help="How a bridge reaches them."
)
@EXPIRES_IN
def user_add(
    username: str,
    departments: tuple[str, ...],
    roles: tuple[str, ...],
    display_name: str | None,
    company: str | None,
    credit_code: str | None,
    with_password: bool,
    phone: str | None,
    email: str | None,
    notify_via: str | None,
    expires_in: int | None,
) -> None:
    """Create the user USERNAME and print a new API token for them (only the token, on stdout)."""
    with open_engine() as engine:
        password = _read_password() if with_password else None
        created = engine.identity.create_user(
            SYSTEM,
            username,
            display_name=display_name,
            roles=roles,
            departments_=departments,
            company=company,
            credit_code=credit_code,
            password=password,
            phone=phone,
            email=email,
            notify_via=notify_via,
        )
        token = engine.identity.create_token(SYSTEM, created.id, "cli", expires_in=_lifetime(expires_in))
        assert token.secret is not None
        click.echo(f"user {created.username} created ({', '.join(created.roles)})", err=True)
        click.echo(token.secret)


@user.command("list")
def user_list() -> None:
    """List the users with their roles and departments or company."""
    with open_engine() as engine:
        rows = [("USERNAME", "NAME", "ROLES", "DEPARTMENTS / COMPANY", "ACTIVE")]
        for u in engine.identity.list_users(SYSTEM):
            where = u.company.name if u.company else ",".join(u.departments) or "-"
            rows.append((u.username, u.display_name, ",".join(u.roles), where, _yes(u.active)))
        for line in aligned(rows):
            click.echo(line)


class TokenGroup(click.Group):
    """``wutong token USERNAME`` still mints a token: a first word that is no subcommand means ``create``."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "create", self.commands["create"], args
        return super().resolve_command(ctx, args)


@click.group(cls=TokenGroup)
def token() -> None:
    """API tokens: `token USERNAME` (or `token create USERNAME`) prints a new one; `token list
    USERNAME` shows a user's tokens; `token revoke ID` revokes one."""


@token.command("create")
@click.argument("username")
@click.option("--name", default=None, help="A label for the token (e.g. the script that uses it).")
@EXPIRES_IN
def token_create(username: str, name: str | None, expires_in: int | None) -> None:
    """Print a new API token for USERNAME (only the token, on stdout)."""
    with open_engine() as engine:
        found = engine.identity.find_user(username)
        created = engine.identity.create_token(SYSTEM, found.id, name, expires_in=_lifetime(expires_in))
        assert created.secret is not None
        click.echo(created.secret)


@token.command("list")
@click.argument("username")
def token_list(username: str) -> None:
    """List USERNAME's tokens, newest first (never the secrets)."""
    with open_engine() as engine:
        found = engine.identity.find_user(username)
        rows = [("ID", "PREFIX", "NAME", "STATE", "CREATED", "EXPIRES", "LAST USED")]
        rows += [
            (
                t.id,
                t.prefix or "-",
                t.name or "-",
                t.state,
                _when(t.created_at),
                _when(t.expires_at, "never"),
                _when(t.last_used_at),
            )
            for t in engine.identity.list_tokens(SYSTEM, found.id)
        ]
        for line in aligned(rows):
            click.echo(line.rstrip())


@token.command("revoke")
@click.argument("token_id", metavar="ID", type=click.UUID)
def token_revoke(token_id: Any) -> None:
    """Revoke the token ID (see `token list`)."""
    with open_engine() as engine:
        engine.identity.revoke_token(SYSTEM, str(token_id))
        click.echo(f"token {token_id} revoked")
