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
``WUTONG_MAX_JSON_BYTES``          size cap of one JSON request body           1 MiB
``WUTONG_MAX_STRING_BYTES``        size cap of one string in a JSON body       64 KiB
``WUTONG_SANDBOX_MAX_STEPS``       loop iterations + calls per expression      1000000
``WUTONG_SANDBOX_MAX_SECONDS``     wall time per expression or script          2.0
``WUTONG_SANDBOX_MAX_RESULT_SIZE`` largest value an expression may build       1000000
``WUTONG_SANDBOX_ISOLATION``       ``process`` (worker pool) or ``inline``     ``process``
``WUTONG_SANDBOX_WORKERS``         expression worker processes per server      2
``WUTONG_SANDBOX_MAX_MEMORY_MB``   address space of one worker (RLIMIT_AS)     512
``WUTONG_SANDBOX_MAX_COMMAND_STORED_BYTES`` task data one command's scripts    64 MiB
``WUTONG_SQLITE_SYNCHRONOUS``      SQLite ``PRAGMA synchronous``               ``FULL``
``WUTONG_DB_LOCK_WAIT_SECONDS``    wait for a database lock, then 503          5
``WUTONG_CACHE_CASES``             keep live cases in memory (``0`` = off)     ``1``
``WUTONG_TIME_ZONE``               where working days and deadlines are        ``Asia/Shanghai``
``WUTONG_CLOSE_OF_BUSINESS``       when a working day ends (``HH:MM``)         ``18:00``
``WUTONG_DUE_SOON_WORKING_DAYS``   working days before a deadline = due soon   ``1``
``WUTONG_TOKEN_TTL_DAYS``          lifetime of tokens issued through the API   90 (days)
``WUTONG_PASSWORD``                password for ``wutong user add --password`` (prompted when unset)
``WUTONG_AUDIT_KEY``               the audit chain's MAC key (not in the DB)   unset: serve/worker refuse
``WUTONG_AUDIT_KEY_FILE``          a file holding the audit key(s)             unset
``WUTONG_AUDIT_DIGEST_DIR``        where signed chain-head digests are kept    unset (no digests)
``WUTONG_METRICS_TOKEN``           bearer token that unlocks ``/metrics``      unset (no ``/metrics``)
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

from engine.audit_chain import AuditKeyError, AuditKeyring
from engine.config import (
    DEFAULT_LOCK_WAIT_SECONDS,
    EngineConfig,
    ParseLimits,
    SandboxLimits,
    default_database_url,
)
from webapi.body_limits import DEFAULT_MAX_JSON_BYTES, DEFAULT_MAX_STRING_BYTES, MAX_JSON_BYTES, MAX_STRING_BYTES


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
        MAX_JSON_BYTES,
        "Largest JSON request body, in bytes; larger bodies get 413 `request_too_large`.",
        str(DEFAULT_MAX_JSON_BYTES),
    ),
    Variable(
        MAX_STRING_BYTES,
        "Longest string (or object key) in a JSON request body, in UTF-8 bytes; longer ones get 422 "
        "`string_too_long` naming the field.",
        str(DEFAULT_MAX_STRING_BYTES),
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
        "WUTONG_SANDBOX_ISOLATION",
        "Where expressions run: `process` (a pool of worker processes under `RLIMIT_CPU`/`RLIMIT_AS`; "
        "plain expressions stay in the server) or `inline` (all in the server, counted limits only).",
        SandboxLimits.isolation,
    ),
    Variable(
        "WUTONG_SANDBOX_WORKERS",
        "Expression worker processes per server process (process isolation).",
        str(SandboxLimits.workers),
    ),
    Variable(
        "WUTONG_SANDBOX_MAX_MEMORY_MB",
        "Address space of one expression worker process (`RLIMIT_AS`), in MB.",
        str(SandboxLimits.max_memory_mb),
    ),
    Variable(
        "WUTONG_SANDBOX_MAX_COMMAND_STORED_BYTES",
        "Task data all scripts of one command may leave together, serialized, in bytes.",
        str(SandboxLimits.max_command_stored_bytes),
    ),
    Variable(
        "WUTONG_SQLITE_SYNCHRONOUS",
        "SQLite `PRAGMA synchronous`: `FULL` (safe against power loss), `EXTRA`, `NORMAL` or `OFF` "
        "(tests only). Ignored on PostgreSQL.",
        "FULL",
    ),
    Variable(
        "WUTONG_DB_LOCK_WAIT_SECONDS",
        "How long a command waits for the database when another command holds the lock (SQLite "
        "`busy_timeout`, PostgreSQL `lock_timeout`), in seconds; then it answers 503 `database_busy` "
        "with `Retry-After: 1` and changes nothing.",
        f"{DEFAULT_LOCK_WAIT_SECONDS:g}",
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
        "WUTONG_TOKEN_TTL_DAYS",
        "Days an API token issued through `POST /users/{id}/tokens` lasts when the request names no "
        "`expires_in_days`; an expired token gets 401 `token_expired`. Tokens from the command line "
        "and the demo never expire unless `--expires-in DAYS` is given.",
        "90",
    ),
    Variable(
        "WUTONG_PASSWORD",
        "Password for `wutong user add --password` in scripts; when unset the command prompts twice.",
        "unset (prompt)",
    ),
    Variable(
        "WUTONG_AUDIT_KEY",
        "The secret that MACs the audit chain (at least 16 bytes; keep it out of the database and its "
        "backups). `key-id:secret` names the key; lines of them rotate keys (the last one signs).",
        "unset: `wutong serve` and `wutong worker` refuse to start",
    ),
    Variable(
        "WUTONG_AUDIT_KEY_FILE",
        "A file holding the audit key(s), in the same form as WUTONG_AUDIT_KEY (used when that is unset); "
        "`make run` creates `var/audit.key`.",
        "unset",
    ),
    Variable(
        "WUTONG_AUDIT_DIGEST_DIR",
        "Directory (shared storage when several machines run Wutong) for the signed digests of every "
        "audit chain head: `wutong audit digest` and the worker (daily) write them.",
        "unset (no digests)",
    ),
    Variable(
        "WUTONG_METRICS_TOKEN",
        "Turns on `GET /metrics` (Prometheus text format), answered only to `Authorization: Bearer "
        "<this value>` (at least 16 characters); see docs/operations.md. Without it `/metrics` is 404.",
        "unset (no `/metrics`)",
    ),
)

MIN_METRICS_TOKEN_CHARS = 16

DEFAULT_TOKEN_TTL_DAYS = 90
MAX_TOKEN_TTL_DAYS = 3650
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
                 "WUTONG_SANDBOX_MAX_RESULT_SIZE", MAX_JSON_BYTES, MAX_STRING_BYTES):
        _parsed(env, name, int, "a whole number")
    _parsed(env, "WUTONG_SANDBOX_MAX_SECONDS", float, "a number of seconds")
    for name in ("WUTONG_SANDBOX_WORKERS", "WUTONG_SANDBOX_MAX_MEMORY_MB", "WUTONG_SANDBOX_MAX_COMMAND_STORED_BYTES"):
        _parsed(env, name, int, "a whole number")
    isolation = env.get("WUTONG_SANDBOX_ISOLATION")
    if isolation is not None and isolation not in ("process", "inline"):
        raise SettingsError(f"WUTONG_SANDBOX_ISOLATION={isolation!r}: expected process or inline")
    _parsed(env, "WUTONG_DB_LOCK_WAIT_SECONDS", float, "a number of seconds")
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
    ttl = env.get("WUTONG_TOKEN_TTL_DAYS")
    if ttl is not None and not (ttl.isascii() and ttl.isdigit() and 1 <= int(ttl) <= MAX_TOKEN_TTL_DAYS):
        raise SettingsError(f"WUTONG_TOKEN_TTL_DAYS={ttl!r} is not a whole number of days from 1 to 3650")
    cache = env.get("WUTONG_CACHE_CASES")
    if cache is not None and cache not in ("0", "1"):
        raise SettingsError(f"WUTONG_CACHE_CASES={cache!r}: expected 0 or 1")
    metrics_token = env.get("WUTONG_METRICS_TOKEN")
    if metrics_token is not None and 0 < len(metrics_token) < MIN_METRICS_TOKEN_CHARS:
        raise SettingsError(f"WUTONG_METRICS_TOKEN is shorter than {MIN_METRICS_TOKEN_CHARS} characters")
    audit_keys(env)


def audit_keys(env: Mapping[str, str] | None = None) -> AuditKeyring | None:
    """The audit keyring from WUTONG_AUDIT_KEY or WUTONG_AUDIT_KEY_FILE (None when neither is set)."""
    try:
        return AuditKeyring.from_env(os.environ if env is None else env)
    except AuditKeyError as error:
        raise SettingsError(f"audit key: {error}") from None


def require_audit_key(env: Mapping[str, str] | None = None) -> AuditKeyring:
    """The audit keyring, for commands that must not run without one (serve, worker)."""
    keys = audit_keys(env)
    if keys is None:
        raise SettingsError(
            "no audit key: set WUTONG_AUDIT_KEY or WUTONG_AUDIT_KEY_FILE (a secret of at least 16 bytes, kept "
            "outside the database); `make run` creates var/audit.key for local use"
        )
    return keys


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
    config: dict[str, Any] = {
        "SECRET_KEY": secret_key(env),
        "WUTONG_DATABASE_URL": database_url(env),
        "WUTONG_TOKEN_TTL_DAYS": int(env.get("WUTONG_TOKEN_TTL_DAYS") or DEFAULT_TOKEN_TTL_DAYS),
    }
    for name in (MAX_JSON_BYTES, MAX_STRING_BYTES):
        if env.get(name):
            config[name] = int(env[name])
    if env.get("WUTONG_METRICS_TOKEN"):
        config["WUTONG_METRICS_TOKEN"] = env["WUTONG_METRICS_TOKEN"]
    return config


def cli_password(env: Mapping[str, str] | None = None) -> str | None:
    """``WUTONG_PASSWORD`` for scripted ``wutong user add --password``; None means prompt."""
    env = os.environ if env is None else env
    return env.get("WUTONG_PASSWORD") or None
