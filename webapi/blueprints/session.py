"""The web application's sign-in: a session cookie (beside bearer tokens), sign-out, own password, unlock.

``POST /session`` needs no credentials; the other operations sign the request in themselves (the
blueprint has no ``before_request`` hook, because signing in cannot require being signed in).
"""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import UUID

from flask import Response, jsonify, request

from engine.commands.sessions import WebSession
from webapi.auth import (
    BEARER_SCHEME,
    COOKIE_SCHEME,
    SESSION_COOKIE,
    authenticate,
    authenticate_session,
    current_actor,
    current_engine,
    current_web_session,
    session_secret,
)
from webapi.blueprints.common import API_PREFIX, RoleBlueprint, documents
from webapi.schemas.session import PasswordChangeSchema, SessionSchema, SignInLockSchema, SignInSchema

blp = RoleBlueprint(
    "session", __name__, url_prefix=API_PREFIX,
    description="The web application's sign-in session (a cookie with a CSRF token), passwords and lock-outs.",
)
SET_COOKIE = {"Set-Cookie": {
    "description": "the session cookie (HttpOnly, SameSite=Lax)",
    "schema": {"type": "string"}}
}
BOTH: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}, {COOKIE_SCHEME: []}]


def _body(session: WebSession) -> dict[str, Any]:
    engine = current_engine()
    user = engine.identity.get_user(session.actor, session.actor.user_id or "")
    may_start = bool(engine.repository.list_definitions(session.actor, startable=True))
    return {
        "user": {**dataclasses.asdict(user), "may_start": may_start},
        "csrf_token": session.csrf_token,
        "created_at": session.created_at,
        "idle_expires_at": session.idle_expires_at,
        "expires_at": session.expires_at,
    }


def _secure() -> bool:
    return request.is_secure


@blp.route("/session", methods=["POST"])
@blp.arguments(SignInSchema)
@blp.response(201, SessionSchema, headers=SET_COOKIE)
@documents(blp, 422)
@blp.doc(security=[])
def sign_in(args: dict[str, Any]) -> Any:
    """Sign in with a username and password: sets the `HttpOnly` session cookie and answers the CSRF token.

    A wrong password, an unknown or inactive user and a locked username all answer 401 `bad_credentials`;
    after 5 failures within 15 minutes the username is locked for 15 minutes (`Retry-After`).
    """
    session = current_engine().sessions.sign_in(args["username"], args["password"])
    policy = current_engine().sessions.policy
    response = jsonify(SessionSchema().dump(_body(session)))
    response.status_code = 201
    assert session.secret is not None
    response.set_cookie(
        SESSION_COOKIE, session.secret, max_age=int(policy.absolute.total_seconds()), path="/",
        httponly=True, samesite="Lax", secure=_secure(),
    )
    return response


@blp.route("/session", methods=["GET"])
@blp.response(200, SessionSchema)
@documents(blp)
@blp.doc(security=[{COOKIE_SCHEME: []}])
def get_session() -> Any:
    """The signed-in session (the page reloads its CSRF token from here)."""
    return _body(authenticate_session())


@blp.route("/session", methods=["DELETE"])
@blp.response(204)
@documents(blp, 403)
@blp.doc(security=[{COOKIE_SCHEME: []}])
def sign_out() -> Response:
    """Sign out: ends the session server-side and clears the cookie (needs `X-CSRF-Token`)."""
    authenticate_session()
    secret = session_secret()
    assert secret is not None
    current_engine().sessions.sign_out(secret)
    response = Response(status=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Lax", secure=_secure())
    return response


@blp.route("/users/me/password", methods=["POST"])
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
@documents(blp, 403, 422)
@blp.doc(security=BOTH)
def change_password(args: dict[str, Any]) -> tuple[str, int]:
    """Change one's own password; the user's other sessions end."""
    authenticate()
    session = current_web_session()
    current_engine().sessions.change_password(
        current_actor(), args["current_password"], args["new_password"],
        keep_session=session.id if session else None,
    )
    return "", 204


@blp.route("/users/<uuid:user_id>/unlock", methods=["POST"])
@blp.response(204)
@documents(blp, 403, 404)
@blp.doc(security=BOTH)
def unlock_user(user_id: UUID) -> tuple[str, int]:
    """Lift a user's sign-in lock-out and forget their failed attempts (admins)."""
    authenticate()
    current_engine().sessions.unlock(current_actor(), str(user_id))
    return "", 204


@blp.route("/sign-in-locks", methods=["GET"])
@blp.response(200, SignInLockSchema(many=True))
@documents(blp, 403)
@blp.doc(security=BOTH)
def list_sign_in_locks() -> Any:
    """The usernames locked out of signing in now, soonest released first (admins), so they can be
    unlocked with `POST /users/{id}/unlock`."""
    authenticate()
    return current_engine().sessions.locks(current_actor())
