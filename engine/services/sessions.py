"""Web sessions: password sign-in with a lock-out, cookie sessions with a CSRF token, sign-out, own password.

The browser application signs in here; the API accepts the session beside bearer tokens. The state
changes are the commands of ``engine/commands/sessions.py``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from engine import access
from engine.actors import SYSTEM, Actor
from engine.commands.sessions import (
    MIN_PASSWORD_LENGTH,
    ChangePassword,
    SessionPolicy,
    SignIn,
    SignOut,
    TouchSession,
    UnlockSignIn,
    WebSession,
    secret_hash,
    session_view,
)
from engine.errors import Forbidden, InvalidInput, Problem, SignInLocked, Unauthenticated
from engine.persistence.tables import sign_in_throttle, users, web_sessions
from engine.services.identity_users import actor_for

if TYPE_CHECKING:
    from engine.core import ProcessEngine


@dataclass(frozen=True)
class SignInLock:
    """A username locked out of signing in until ``locked_until``; ``user_id`` is None when no user has
    that name (failures are counted per name typed, known or not)."""

    username: str
    user_id: str | None
    display_name: str | None
    locked_until: datetime


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
        attempt = self._engine.execute(SignIn(actor=SYSTEM, username=username, password=password, policy=self.policy))
        if attempt.retry_after is not None:
            raise SignInLocked("wrong username or password", retry_after=attempt.retry_after)
        if attempt.session is None:
            raise Unauthenticated("wrong username or password", code="bad_credentials")
        return attempt.session

    def sign_out(self, secret: str) -> None:
        """End the session server-side; its cookie no longer signs anyone in."""
        self._engine.execute(SignOut(actor=SYSTEM, secret=secret))

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
                .where(web_sessions.c.secret_hash == secret_hash(secret))
            ).mappings().first()
            if row is None or row["ended_at"] is not None or not row["active"]:
                raise Unauthenticated("not signed in, or signed out", code="session_expired")
            created, seen = row["created_at"], row["last_seen_at"]
            if now >= created + policy.absolute or now >= seen + policy.idle:
                raise Unauthenticated("the session has expired; sign in again", code="session_expired")
            actor = actor_for(connection, row["user_id"])
            return session_view(policy, row["id"], actor, row["csrf_token"], created, seen)

        session = self._engine.query(read)
        if now - session.last_seen_at >= policy.touch_every:
            self._engine.execute(TouchSession(actor=SYSTEM, session_id=session.id, seen_at=now))
            session = session_view(policy, session.id, session.actor, session.csrf_token, session.created_at, now)
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
        self._engine.execute(ChangePassword(actor=actor, current=current, new=new, keep_session=keep_session))

    def unlock(self, actor: Actor, user_id: str) -> None:
        """Lift a user's sign-in lock and forget their failures (admins)."""
        access.require_role(actor, "admin")
        self._engine.execute(UnlockSignIn(actor=actor, user_id=user_id))

    def locks(self, actor: Actor) -> list[SignInLock]:
        """The usernames locked out now, soonest released first (admins): who an admin may unlock."""
        access.require_role(actor, "admin")
        now = self._engine.clock.now()

        def read(connection: Connection) -> list[SignInLock]:
            rows = connection.execute(
                select(sign_in_throttle, users.c.id, users.c.display_name)
                .outerjoin(users, users.c.username == sign_in_throttle.c.username)
                .where(sign_in_throttle.c.locked_until > now)
                .order_by(sign_in_throttle.c.locked_until, sign_in_throttle.c.username)
            ).mappings()
            return [SignInLock(r["username"], r["id"], r["display_name"], r["locked_until"])
                    for r in rows]

        return self._engine.query(read)
