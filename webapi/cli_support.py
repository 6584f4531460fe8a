"""Plumbing shared by the ``wutong`` command modules: the engine from the environment, errors as
terminal lines and exit status 1, and small formatters."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, NoReturn

import click

from engine import EngineError, ProcessEngine, Unavailable
from engine.config import redacted_url
from engine.errors import Problem
from webapi import settings


def _safe_url(url: str) -> str:
    return redacted_url(url)


def _where(problem: Problem) -> str:
    parts: list[str] = []
    if problem.file:
        parts.append(f"{problem.file}:{problem.line}" if problem.line is not None else problem.file)
    if problem.element_id:
        parts.append(f"[{problem.element_id}]")
    if problem.field is not None:
        parts.append(problem.field or "/")
    return " ".join(parts)


def describe_error(error: EngineError) -> list[str]:
    """An engine error as lines for the terminal: the message, then one line per problem."""
    lines = [f"error: {error.message} ({error.code})"]
    for problem in error.problems:
        where = _where(problem)
        lines.append(f"  {where + ': ' if where else ''}{problem.message} ({problem.code})")
    return lines


def fail(message: str) -> NoReturn:
    """Print ``error: message`` to stderr and exit 1."""
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(1)


class WutongGroup(click.Group):
    """The top-level group: turns expected failures into a message on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Unavailable as error:
            if error.code == "database_url_invalid":
                fail(f"WUTONG_DATABASE_URL is not a usable database URL: {error.message}")
            if error.code == "database_config_invalid":
                fail(f"configuration: {error.message}")
            fail(error.message)
        except EngineError as error:
            for line in describe_error(error):
                click.echo(line, err=True)
            ctx.exit(1)
        except settings.SettingsError as error:
            fail(f"configuration: {error}")


@contextlib.contextmanager
def open_engine(*, require_schema: bool = True) -> Iterator[ProcessEngine]:
    """A ProcessEngine configured from the environment, closed afterwards.

    With ``require_schema`` the database must be at the newest migration: commands other than
    ``db upgrade`` would otherwise fail on missing tables.
    """
    engine = ProcessEngine(settings.engine_config())
    try:
        if require_schema and not engine.schema_is_current():
            fail(
                f"the database {_safe_url(engine.config.database_url)} is not at the newest schema: "
                "run `wutong db upgrade` first"
            )
        yield engine
    finally:
        engine.close()


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _when(moment: datetime | None, never: str = "-") -> str:
    return moment.isoformat(timespec="minutes") if moment is not None else never


def _lifetime(days: int | None) -> timedelta | None:
    return timedelta(days=days) if days is not None else None


EXPIRES_IN = click.option(
    "--expires-in",
    "expires_in",
    type=click.IntRange(1, 3650),
    default=None,
    metavar="DAYS",
    help="The token expires after DAYS days (default: never).",
)
