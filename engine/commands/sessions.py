"""Web-session commands: sign in (with the lock-out), sign out, keep a session alive, change one's own
password, lift a lock. Sessions and failure counters live in the database so they hold across gunicorn
workers and machines; only hashes of session secrets are stored, like API tokens."""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from engine.actors import Actor
from engine.command_context import CommandContext
from engine.commands.base import Command
from engine.errors import InvalidInput, NotFound, Problem
from engine.persistence.tables import sign_in_throttle, users, web_sessions
from engine.services.identity_users import actor_for, check_password, hash_password

MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class SessionPolicy:
    """How long sessions live and when repeated failures lock a username."""

    idle: timedelta = timedelta(hours=8)
    absolute: timedelta = timedelta(days=7)
    max_failures: int = 5
    failure_window: timedelta = timedelta(minutes=15)
    lock_for: timedelta = timedelta(minutes=15)
    touch_every: timedelta = timedelta(minutes=1)  # last_seen_at is written at most this often


@dataclass(frozen=True)
class WebSession:
    """A signed-in session. ``secret`` (the cookie value) is only known right after sign-in."""

    id: str
    actor: Actor
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    idle_expires_at: datetime
    expires_at: datetime
    secret: str | None = None


@dataclass(frozen=True)
class SignInAttempt:
    session: WebSession | None
    retry_after: int | None = None


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@cache
def _current_scheme() -> str:
    """The parameter prefix of today's password hashes (``scrypt$n$r$p``)."""
    return "$".join(hash_password("-").split("$")[:4])


def needs_rehash(stored: str) -> bool:
    """True when a password hash was made with another scheme or other parameters than today's."""
    return "$".join(stored.split("$")[:4]) != _current_scheme()


def session_view(
    policy: SessionPolicy,
    session_id: str,
    actor: Actor,
    csrf: str,
    created: datetime,
    seen: datetime,
    secret: str | None = None,
) -> WebSession:
    """A session as callers see it, with its idle and absolute expiry under ``policy``."""
    expires = created + policy.absolute
    return WebSession(session_id, actor, csrf, created, seen, min(seen + policy.idle, expires), expires, secret)


@dataclass(frozen=True, kw_only=True)
class SignIn(Command[SignInAttempt]):
    """Check a password: a new session, or a counted failure (which may lock the username)."""

    username: str
    password: str
    policy: SessionPolicy

    def execute(self, work: CommandContext) -> SignInAttempt:
        username, password = self.username, self.password
        connection, now = work.connection, work.now
        throttle = connection.execute(
            select(sign_in_throttle).where(sign_in_throttle.c.username == username)
        ).mappings().first()
        if throttle is not None and throttle["locked_until"] is not None and throttle["locked_until"] > now:
            return SignInAttempt(None, math.ceil((throttle["locked_until"] - now).total_seconds()))
        row = connection.execute(
            select(users.c.id, users.c.password_hash, users.c.active).where(users.c.username == username)
        ).first()
        if row is None or not row.active or not check_password(row.password_hash, password):
            return SignInAttempt(None, self._count_failure(work, throttle))
        connection.execute(delete(sign_in_throttle).where(sign_in_throttle.c.username == username))
        if needs_rehash(row.password_hash):
            connection.execute(update(users).where(users.c.id == row.id).values(password_hash=hash_password(password)))
        session = self._start(connection, row.id, now)
        work.record(action="session.started", details={"user_id": row.id, "session_id": session.id})
        return SignInAttempt(session)

    def _count_failure(self, work: CommandContext, throttle: RowMapping | None) -> int | None:
        """Count a failure; returns the lock's seconds when this failure locks the username."""
        now, policy, username = work.now, self.policy, self.username
        fresh = throttle is None or now - throttle["window_started_at"] > policy.failure_window
        failures = 1 if throttle is None or fresh else int(throttle["failures"]) + 1
        values: dict[str, Any] = {
            "failures": failures,
            "window_started_at": now if throttle is None or fresh else throttle["window_started_at"],
            "locked_until": None,
        }
        locked = failures >= policy.max_failures
        if locked:
            values.update(failures=0, window_started_at=now, locked_until=now + policy.lock_for)
            work.record(action="sign_in.locked", details={"username": username})
        if throttle is None:
            work.connection.execute(insert(sign_in_throttle).values(username=username, **values))
        else:
            work.connection.execute(
                update(sign_in_throttle).where(sign_in_throttle.c.username == username).values(values)
            )
        return math.ceil(policy.lock_for.total_seconds()) if locked else None

    def _start(self, connection: Connection, user_id: str, now: datetime) -> WebSession:
        secret = secrets.token_urlsafe(32)
        session_id = str(uuid.uuid4())
        csrf = secrets.token_urlsafe(32)
        connection.execute(
            insert(web_sessions).values(
                id=session_id,
                secret_hash=secret_hash(secret),
                user_id=user_id,
                csrf_token=csrf,
                created_at=now,
                last_seen_at=now,
            )
        )
        actor = actor_for(connection, user_id)
        return session_view(self.policy, session_id, actor, csrf, now, now, secret)


@dataclass(frozen=True, kw_only=True)
class SignOut(Command[None]):
    """End the session server-side; its cookie no longer signs anyone in."""

    secret: str

    def execute(self, work: CommandContext) -> None:
        ended = work.connection.execute(
            update(web_sessions)
            .where(web_sessions.c.secret_hash == secret_hash(self.secret), web_sessions.c.ended_at.is_(None))
            .values(ended_at=work.now)
            .returning(web_sessions.c.id)
        ).scalar()
        if ended is not None:
            work.record(action="session.ended", details={"session_id": ended})


@dataclass(frozen=True, kw_only=True)
class TouchSession(Command[None]):
    """Move a session's ``last_seen_at`` (bookkeeping for the idle expiry, not history: no event)."""

    session_id: str
    seen_at: datetime

    def execute(self, work: CommandContext) -> None:
        work.connection.execute(
            update(web_sessions).where(web_sessions.c.id == self.session_id).values(last_seen_at=self.seen_at)
        )


@dataclass(frozen=True, kw_only=True)
class ChangePassword(Command[None]):
    """The signed-in user's own password; other sessions of the user end (``keep_session`` stays)."""

    current: str
    new: str
    keep_session: str | None = None

    def execute(self, work: CommandContext) -> None:
        user_id = self.actor.user_id
        stored = work.connection.execute(select(users.c.password_hash).where(users.c.id == user_id)).scalar()
        if not check_password(stored, self.current):
            raise InvalidInput(
                "the current password is wrong",
                problems=[Problem("wrong_password", "the current password is wrong", field="/current_password")],
            )
        new_hash = hash_password(self.new)
        work.connection.execute(update(users).where(users.c.id == user_id).values(password_hash=new_hash))
        others = update(web_sessions).where(web_sessions.c.user_id == user_id, web_sessions.c.ended_at.is_(None))
        if self.keep_session is not None:
            others = others.where(web_sessions.c.id != self.keep_session)
        work.connection.execute(others.values(ended_at=work.now))
        work.record(action="password.changed", details={"user_id": user_id})


@dataclass(frozen=True, kw_only=True)
class UnlockSignIn(Command[None]):
    """Lift a user's sign-in lock and forget their failures (admins)."""

    user_id: str

    def execute(self, work: CommandContext) -> None:
        username = work.connection.execute(select(users.c.username).where(users.c.id == self.user_id)).scalar()
        if username is None:
            raise NotFound(f"user {self.user_id} does not exist", code="user_not_found")
        work.connection.execute(delete(sign_in_throttle).where(sign_in_throttle.c.username == username))
        work.record(action="sign_in.unlocked", details={"user_id": self.user_id})
