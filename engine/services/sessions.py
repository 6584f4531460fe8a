"""Web sessions: password sign-in with a lock-out, cookie sessions with a CSRF token, sign-out, own password.

The browser application signs in here; the API accepts the session beside bearer tokens. Sessions and
failure counters live in the database so they hold across gunicorn workers and machines. Only hashes of
session secrets are stored, like API tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from engine import access
from engine.actors import SYSTEM, Actor
from engine.casework import CaseWork
from engine.errors import Forbidden, InvalidInput, NotFound, Problem, SignInLocked, Unauthenticated
from engine.persistence.tables import sign_in_throttle, users, web_sessions
from engine.services.identity import actor_for, check_password, hash_password

if TYPE_CHECKING:
    from engine.core import ProcessEngine

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
class _Attempt:
    session: WebSession | None
    retry_after: int | None = None


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@cache
def _current_scheme() -> str:
    """The parameter prefix of today's password hashes (``scrypt$n$r$p``)."""
    return "$".join(hash_password("-").split("$")[:4])


def needs_rehash(stored: str) -> bool:
    """True when a password hash was made with another scheme or other parameters than today's."""
    return "$".join(stored.split("$")[:4]) != _current_scheme()


class SessionService:
    def __init__(self, engine: ProcessEngine, policy: SessionPolicy | None = None) -> None:
        self._engine = engine
        self.policy = policy or SessionPolicy()

    # --- sign-in and sign-out ----------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> WebSession:
        """A new session for a correct password; Unauthenticated (``bad_credentials``) otherwise.

        A locked username answers like a wrong password, with the seconds to wait (SignInLocked).
        The failure is counted in its own committed transaction, then the error is raised.
        """
        username = (username or "").strip()
        attempt = self._engine.command(SYSTEM, lambda work: self._attempt(work, username, password))
        if attempt.retry_after is not None:
            raise SignInLocked("wrong username or password", retry_after=attempt.retry_after)
        if attempt.session is None:
            raise Unauthenticated("wrong username or password", code="bad_credentials")
        return attempt.session

    def _attempt(self, work: CaseWork, username: str, password: str) -> _Attempt:
        connection, now = work.connection, work.now
        throttle = connection.execute(
            select(sign_in_throttle).where(sign_in_throttle.c.username == username)
        ).mappings().first()
        if throttle is not None and throttle["locked_until"] is not None and throttle["locked_until"] > now:
            return _Attempt(None, math.ceil((throttle["locked_until"] - now).total_seconds()))
        row = connection.execute(
            select(users.c.id, users.c.password_hash, users.c.active).where(users.c.username == username)
        ).first()
        if row is None or not row.active or not check_password(row.password_hash, password):
            return _Attempt(None, self._count_failure(work, username, throttle))
        connection.execute(delete(sign_in_throttle).where(sign_in_throttle.c.username == username))
        if needs_rehash(row.password_hash):
            connection.execute(update(users).where(users.c.id == row.id).values(password_hash=hash_password(password)))
        session = self._start(connection, row.id, now)
        work.record(action="session.started", details={"user_id": row.id, "session_id": session.id})
        return _Attempt(session)

    def _count_failure(self, work: CaseWork, username: str, throttle: RowMapping | None) -> int | None:
        """Count a failure; returns the lock's seconds when this failure locks the username."""
        now, policy = work.now, self.policy
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
                secret_hash=_secret_hash(secret),
                user_id=user_id,
                csrf_token=csrf,
                created_at=now,
                last_seen_at=now,
            )
        )
        actor = actor_for(connection, user_id)
        return self._view(session_id, actor, csrf, now, now, secret)

    def _view(
        self, session_id: str, actor: Actor, csrf: str, created: datetime, seen: datetime, secret: str | None = None
    ) -> WebSession:
        expires = created + self.policy.absolute
        return WebSession(
            session_id, actor, csrf, created, seen, min(seen + self.policy.idle, expires), expires, secret
        )

    def sign_out(self, secret: str) -> None:
        """End the session server-side; its cookie no longer signs anyone in."""

        def act(work: CaseWork) -> None:
            ended = work.connection.execute(
                update(web_sessions)
                .where(web_sessions.c.secret_hash == _secret_hash(secret), web_sessions.c.ended_at.is_(None))
                .values(ended_at=work.now)
                .returning(web_sessions.c.id)
            ).scalar()
            if ended is not None:
                work.record(action="session.ended", details={"session_id": ended})

        self._engine.command(SYSTEM, act)

    # --- authentication ----------------------------------------------------------------------------

    def authenticate(self, secret: str) -> WebSession:
        """The live session behind a cookie; Unauthenticated (``session_expired``) when it is not.

        Read-only unless ``last_seen_at`` is older than ``touch_every``: most requests write nothing.
        """
        now = self._engine.clock.now()
        policy = self.policy

        def read(connection: Connection) -> WebSession:
            row = connection.execute(
                select(web_sessions, users.c.active)
                .join(users, users.c.id == web_sessions.c.user_id)
                .where(web_sessions.c.secret_hash == _secret_hash(secret))
            ).mappings().first()
            if row is None or row["ended_at"] is not None or not row["active"]:
                raise Unauthenticated("not signed in, or signed out", code="session_expired")
            created, seen = row["created_at"], row["last_seen_at"]
            if now >= created + policy.absolute or now >= seen + policy.idle:
                raise Unauthenticated("the session has expired; sign in again", code="session_expired")
            actor = actor_for(connection, row["user_id"])
            return self._view(row["id"], actor, row["csrf_token"], created, seen)

        session = self._engine.query(read)
        if now - session.last_seen_at >= policy.touch_every:
            self._engine.command(
                SYSTEM,
                lambda work: work.connection.execute(
                    update(web_sessions).where(web_sessions.c.id == session.id).values(last_seen_at=now)
                ),
            )
            session = self._view(session.id, session.actor, session.csrf_token, session.created_at, now)
        return session

    @staticmethod
    def check_csrf(session: WebSession, sent: str | None) -> None:
        """A state-changing request made with the cookie must echo the session's CSRF token."""
        if not sent or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
            raise Forbidden("the X-CSRF-Token header is missing or wrong", code="csrf_failed")

    # --- passwords and locks -----------------------------------------------------------------------

    def change_password(self, actor: Actor, current: str, new: str, *, keep_session: str | None = None) -> None:
        """The signed-in user's own password; other sessions of the user end (``keep_session`` stays)."""
        if actor.user_id is None:
            raise Forbidden("only users have passwords", code="role_required")
        if len(new or "") < MIN_PASSWORD_LENGTH:
            raise InvalidInput(
                "the new password is too short",
                problems=[Problem("too_short", f"at least {MIN_PASSWORD_LENGTH} characters", field="/new_password")],
            )

        def act(work: CaseWork) -> None:
            stored = work.connection.execute(select(users.c.password_hash).where(users.c.id == actor.user_id)).scalar()
            if not check_password(stored, current):
                raise InvalidInput(
                    "the current password is wrong",
                    problems=[Problem("wrong_password", "the current password is wrong", field="/current_password")],
                )
            work.connection.execute(
                update(users).where(users.c.id == actor.user_id).values(password_hash=hash_password(new))
            )
            others = update(web_sessions).where(
                web_sessions.c.user_id == actor.user_id, web_sessions.c.ended_at.is_(None)
            )
            if keep_session is not None:
                others = others.where(web_sessions.c.id != keep_session)
            work.connection.execute(others.values(ended_at=work.now))
            work.record(action="password.changed", details={"user_id": actor.user_id})

        self._engine.command(actor, act)

    def unlock(self, actor: Actor, user_id: str) -> None:
        """Lift a user's sign-in lock and forget their failures (admins)."""
        access.require_role(actor, "admin")

        def act(work: CaseWork) -> None:
            username = work.connection.execute(select(users.c.username).where(users.c.id == user_id)).scalar()
            if username is None:
                raise NotFound(f"user {user_id} does not exist", code="user_not_found")
            work.connection.execute(delete(sign_in_throttle).where(sign_in_throttle.c.username == username))
            work.record(action="sign_in.unlocked", details={"user_id": user_id})

        self._engine.command(actor, act)


__all__ = ["SessionPolicy", "SessionService", "WebSession", "needs_rehash"]
