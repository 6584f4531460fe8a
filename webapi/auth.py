"""Authentication: a bearer token or the web application's session cookie names the actor; the engine
decides what the actor may do. Requests with the cookie that change state must carry the CSRF token."""

from __future__ import annotations

import logging
import re
from typing import cast

from flask import Response, after_this_request, current_app, g, request

from engine import ProcessEngine
from engine.actors import Actor
from engine.commands.sessions import WebSession
from engine.errors import Unauthenticated

BEARER_SCHEME = "bearerAuth"
COOKIE_SCHEME = "cookieAuth"
SESSION_COOKIE = "wutong_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{1,512}")
log = logging.getLogger("wutong.webapi")


def current_engine() -> ProcessEngine:
    return cast(ProcessEngine, current_app.extensions["wutong"])


def authenticate() -> None:
    """``before_request`` hook of every protected blueprint: store the caller on ``flask.g``."""
    if request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    if not header and request.cookies.get(SESSION_COOKIE):
        authenticate_session()
        return
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if not header:
        raise Unauthenticated("send 'Authorization: Bearer <token>' or sign in", code="token_missing")
    if scheme.lower() != "bearer" or not _TOKEN.fullmatch(token):
        raise Unauthenticated("the Authorization header is not 'Bearer <token>'", code="bad_token")
    engine = current_engine()
    g.actor, found = engine.identity.check_token(token)
    if found.record_use_at is None:
        return

    @after_this_request
    def record_use_after_sending(response: Response) -> Response:
        # once an hour per token, after the answer went out: never a write per request
        def record() -> None:
            try:
                engine.identity.record_token_use(found)
            except Exception:  # the last-use hour is a courtesy: never fail a request over it
                log.warning("could not record the use of token %s", found.token_id, exc_info=True)

        response.call_on_close(record)
        return response


def current_actor() -> Actor:
    actor = g.get("actor")
    if not isinstance(actor, Actor):  # a protected view without the hook would be a bug
        raise Unauthenticated("not signed in", code="token_missing")
    return actor


# --- the web application's session cookie (kept apart from the bearer-token code above) ----------


def session_secret() -> str | None:
    """The session cookie's value when it looks like one of ours."""
    value = request.cookies.get(SESSION_COOKIE, "")
    return value if _TOKEN.fullmatch(value) else None


def authenticate_session() -> WebSession:
    """Sign the request in with the session cookie; a state-changing method must echo the CSRF token."""
    secret = session_secret()
    if secret is None:
        raise Unauthenticated("not signed in", code="session_expired")
    engine = current_engine()
    session = engine.sessions.authenticate(secret)
    if request.method not in SAFE_METHODS:
        engine.sessions.check_csrf(session, request.headers.get(CSRF_HEADER))
    g.actor = session.actor
    g.web_session = session
    return session


def current_web_session() -> WebSession | None:
    """The session the request was signed in with (None for bearer tokens)."""
    session = g.get("web_session")
    return session if isinstance(session, WebSession) else None
