"""Bearer-token authentication: the token names the actor; the engine decides what the actor may do."""

from __future__ import annotations

import logging
import re
from typing import cast

from flask import Response, after_this_request, current_app, g, request

from engine import ProcessEngine
from engine.actors import Actor
from engine.errors import Unauthenticated

BEARER_SCHEME = "bearerAuth"
_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{1,512}")
log = logging.getLogger("wutong.webapi")


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
