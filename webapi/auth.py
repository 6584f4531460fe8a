"""Bearer-token authentication: the token names the actor; the engine decides what the actor may do."""

from __future__ import annotations

import re
from typing import cast

from flask import current_app, g, request

from engine import ProcessEngine
from engine.actors import Actor
from engine.errors import Unauthenticated

BEARER_SCHEME = "bearerAuth"
_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{1,512}")


def current_engine() -> ProcessEngine:
    return cast(ProcessEngine, current_app.extensions["wutong"])


def authenticate() -> None:
    """``before_request`` hook of every protected blueprint: store the caller on ``flask.g``."""
    if request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if not header:
        raise Unauthenticated("send 'Authorization: Bearer <token>'", code="token_missing")
    if scheme.lower() != "bearer" or not _TOKEN.fullmatch(token):
        raise Unauthenticated("the Authorization header is not 'Bearer <token>'", code="bad_token")
    g.actor = current_engine().identity.authenticate(token)


def current_actor() -> Actor:
    actor = g.get("actor")
    if not isinstance(actor, Actor):  # a protected view without the hook would be a bug
        raise Unauthenticated("not signed in", code="token_missing")
    return actor
