"""Wutong's configuration: every environment variable the server and the CLI read, in one place.

Wutong is configured by environment variables only (no configuration file). ``VARIABLES`` below is
the reference table; ``docs/operations.md`` repeats it for operators (a test keeps the two in
step). The entry points (``wutong`` and ``create_app``) call :func:`engine_config` and
:func:`flask_config`; the engine itself never reads the environment.

=================================  ==========================================  ==============================
Variable                           Meaning                                     Default
=================================  ==========================================  ==============================
``WUTONG_DATABASE_URL``            SQLAlchemy URL of the database              ``sqlite:///<cwd>/var/wutong.db``
``WUTONG_SECRET_KEY``              Flask's secret key                          random per server start
``WUTONG_MAX_UPLOAD_BYTES``        size cap of one deployment (all files)      20 MiB
``WUTONG_MAX_UPLOAD_FILE_BYTES``   size cap of one deployed file               5 MiB
``WUTONG_SANDBOX_MAX_STEPS``       loop iterations + calls per expression      1000000
``WUTONG_SANDBOX_MAX_SECONDS``     wall time per expression or script          2.0
``WUTONG_SANDBOX_MAX_RESULT_SIZE`` largest value an expression may build       1000000
``WUTONG_SQLITE_SYNCHRONOUS``      SQLite ``PRAGMA synchronous``               ``FULL``
``WUTONG_CACHE_CASES``             keep live cases in memory (``0`` = off)     ``1``
``WUTONG_TIME_ZONE``               where working days and deadlines are        ``Asia/Shanghai``
``WUTONG_CLOSE_OF_BUSINESS``       when a working day ends (``HH:MM``)         ``18:00``
``WUTONG_DUE_SOON_WORKING_DAYS``   working days before a deadline = due soon   ``1``
``WUTONG_PASSWORD``                password for ``wutong user add --password`` (prompted when unset)
=================================  ==========================================  ==============================
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.config import EngineConfig, ParseLimits, SandboxLimits, default_database_url


class SettingsError(ValueError):
    """An environment variable holds a value Wutong cannot use; the message names the variable."""


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, what it does and its default as operators see it."""

    name: str
    description: str
    default: str


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "WUTONG_DATABASE_URL",
        "SQLAlchemy URL of the database: `sqlite:///path/to/wutong.db` or "
        "`postgresql+psycopg://user:password@host:5432/wutong`.",
        "`sqlite:///<current directory>/var/wutong.db`",
    ),
    Variable(
        "WUTONG_SECRET_KEY",
        "Flask's secret key (signs anything the web layer signs). Set it when running several "
        "servers behind one address.",
        "random, new at every server start",
    ),
    Variable(
        "WUTONG_MAX_UPLOAD_BYTES",
        "Largest deployment (all files together), in bytes; larger uploads get 413.",
        str(ParseLimits.max_total_bytes),
    ),
    Variable(
        "WUTONG_MAX_UPLOAD_FILE_BYTES",
        "Largest single BPMN/DMN/JSON file of a deployment, in bytes.",
        str(ParseLimits.max_file_bytes),
    ),
    Variable(
        "WUTONG_SANDBOX_MAX_STEPS",
        "Loop iterations plus function calls one script or expression may take.",
        str(SandboxLimits.max_steps),
    ),
    Variable(
        "WUTONG_SANDBOX_MAX_SECONDS",
        "Wall time one script or expression may take, in seconds.",
        str(SandboxLimits.max_seconds),
    ),
    Variable(
        "WUTONG_SANDBOX_MAX_RESULT_SIZE",
        "Largest string, list or number (`**`, repetition, `range`) a script may build.",
        str(SandboxLimits.max_result_size),
    ),
    Variable(
        "WUTONG_SQLITE_SYNCHRONOUS",
        "SQLite `PRAGMA synchronous`: `FULL` (safe against power loss), `EXTRA`, `NORMAL` or `OFF` "
        "(tests only). Ignored on PostgreSQL.",
        "FULL",
    ),
    Variable(
        "WUTONG_CACHE_CASES",
        "`1` keeps running cases in memory between requests (checked against the stored version); "
        "`0` rebuilds every case from the database on every command.",
        "1",
    ),
    Variable(
        "WUTONG_TIME_ZONE",
        "IANA time zone in which working days, close of business and deadlines are counted.",
        "Asia/Shanghai",
    ),
    Variable(
        "WUTONG_CLOSE_OF_BUSINESS",
        "When a working day ends (`HH:MM`, 24-hour, in WUTONG_TIME_ZONE): deadlines in working days "
        "fall at this time.",
        "18:00",
    ),
    Variable(
        "WUTONG_DUE_SOON_WORKING_DAYS",
        "A task is `due_soon` this many working days before its deadline (0: only on the day).",
        "1",
    ),
    Variable(
        "WUTONG_PASSWORD",
        "Password for `wutong user add --password` in scripts; when unset the command prompts twice.",
        "unset (prompt)",
    ),
)

_CLOCK_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
SQLITE_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA", "0", "1", "2", "3")


def _parsed(env: Mapping[str, str], name: str, kind: Callable[[str], Any], what: str) -> None:
    raw = env.get(name)
    if raw is None:
        return
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not {what}") from None
    if value <= 0:
        raise SettingsError(f"{name}={raw!r} must be greater than 0")


def check_environment(env: Mapping[str, str] | None = None) -> None:
    """Raise :class:`SettingsError` naming the first unusable variable."""
    env = os.environ if env is None else env
    for name in ("WUTONG_MAX_UPLOAD_BYTES", "WUTONG_MAX_UPLOAD_FILE_BYTES", "WUTONG_SANDBOX_MAX_STEPS",
                 "WUTONG_SANDBOX_MAX_RESULT_SIZE"):
        _parsed(env, name, int, "a whole number")
    _parsed(env, "WUTONG_SANDBOX_MAX_SECONDS", float, "a number of seconds")
    synchronous = env.get("WUTONG_SQLITE_SYNCHRONOUS")
    if synchronous is not None and synchronous.upper() not in SQLITE_SYNCHRONOUS:
        raise SettingsError(
            f"WUTONG_SQLITE_SYNCHRONOUS={synchronous!r}: expected one of OFF, NORMAL, FULL, EXTRA"
        )
    zone = env.get("WUTONG_TIME_ZONE")
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            message = f"WUTONG_TIME_ZONE={zone!r} is not a time zone such as Asia/Shanghai"
            raise SettingsError(message) from None
    close = env.get("WUTONG_CLOSE_OF_BUSINESS")
    if close is not None and not _CLOCK_TIME.fullmatch(close):
        raise SettingsError(f"WUTONG_CLOSE_OF_BUSINESS={close!r} is not a time HH:MM such as 18:00")
    due_soon = env.get("WUTONG_DUE_SOON_WORKING_DAYS")
    if due_soon is not None and not (due_soon.isascii() and due_soon.isdigit()):
        raise SettingsError(
            f"WUTONG_DUE_SOON_WORKING_DAYS={due_soon!r} is not a whole number of days (0 or more)"
        )
    cache = env.get("WUTONG_CACHE_CASES")
    if cache is not None and cache not in ("0", "1"):
        raise SettingsError(f"WUTONG_CACHE_CASES={cache!r}: expected 0 or 1")


def database_url(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("WUTONG_DATABASE_URL") or default_database_url()


def engine_config() -> EngineConfig:
    """The engine's settings from the environment (after checking every value)."""
    check_environment()
    return EngineConfig.from_env()


def secret_key(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("WUTONG_SECRET_KEY") or secrets.token_hex(32)


def flask_config(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The configuration mapping handed to ``webapi.app.create_app``."""
    env = os.environ if env is None else env
    check_environment(env)
    return {
        "SECRET_KEY": secret_key(env),
        "WUTONG_DATABASE_URL": database_url(env),
    }


def cli_password(env: Mapping[str, str] | None = None) -> str | None:
    """``WUTONG_PASSWORD`` for scripted ``wutong user add --password``; None means prompt."""
    env = os.environ if env is None else env
    return env.get("WUTONG_PASSWORD") or None
