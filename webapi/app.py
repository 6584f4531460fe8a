"""The Flask application factory: a thin HTTP layer over one ``ProcessEngine``."""

from __future__ import annotations

import contextlib
import dataclasses
import re
import uuid
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from engine import EngineConfig, ProcessEngine, audit
from webapi import docs_page, metrics, problems, ui
from webapi.auth import BEARER_SCHEME, COOKIE_SCHEME, SESSION_COOKIE
from webapi.blueprints import (
    admin,
    calendar,
    health,
    history,
    instances,
    notifications,
    reports,
    repository,
    session,
    supervision,
    tasks,
)
from webapi.schemas.common import ProblemSchema

MULTIPART_OVERHEAD = 1024 * 1024  # part headers and boundaries on top of the engine's upload limit

DESCRIPTION = """Wutong runs BPMN processes whose tasks cross departments.

Every operation except `/api/v1/healthz` and `/api/v1/livez` needs `Authorization: Bearer <token>`. Errors are
`application/problem+json` (RFC 9457) with a stable `code`; invalid input lists `errors` with JSON
Pointers. Lists take `page`, `page_size` (at most 200) and `sort` (`-` for descending) and answer a
JSON array with an `X-Pagination` header."""


class WutongApi(Api):  # type: ignore[misc]  # flask-smorest has no type hints
    """flask-smorest's Api, answering and documenting errors as problem documents."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Response:
        return problems.http_error_response(error)

    def _register_responses(self) -> None:
        for status in HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["content"] = {problems.PROBLEM_JSON: {"schema": ProblemSchema}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {"description": "an error", "content": {problems.PROBLEM_JSON: {"schema": ProblemSchema}}},
            lazy=True,
        )


CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))


def security_headers(response: Response) -> Response:
    """Every response: no inline script, never framed, no content sniffing, no referrer leaks."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _engine_from(config: Mapping[str, Any]) -> ProcessEngine:
    engine_config = EngineConfig.from_env()
    url = config.get("WUTONG_DATABASE_URL")
    if url:
        engine_config = dataclasses.replace(engine_config, database_url=str(url))
    return ProcessEngine(engine_config)


def create_app(config: Mapping[str, Any] | None = None, *, engine: ProcessEngine | None = None) -> Flask:
    """Build the app around ``engine`` (or one built from the environment and ``config``)."""
    settings = dict(config or {})
    app = Flask(__name__)
    process_engine = engine or _engine_from(settings)
    app.config.update(
        API_TITLE="Wutong API",
        API_VERSION="1.0.0",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION},
            "security": [{BEARER_SCHEME: []}, {COOKIE_SCHEME: []}],
        },
        MAX_CONTENT_LENGTH=process_engine.config.parse.max_total_bytes + MULTIPART_OVERHEAD,
    )
    app.config.update(settings)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]  # forms' fields render in authored order
    app.extensions["wutong"] = process_engine

    app.url_map.converters["process_key"] = repository.ProcessKeyConverter
    app.url_map.converters["day"] = calendar.DayConverter
    api = WutongApi(app)
    api.spec.components.security_scheme(
        BEARER_SCHEME, {"type": "http", "scheme": "bearer", "description": "an API token from `wutong token`"}
    )
    api.spec.components.security_scheme(
        COOKIE_SCHEME,
        {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
         "description": "the web application's session from `POST /session`; state-changing requests also send "
         "the session's CSRF token in `X-CSRF-Token`"},
    )
    api.register_converter(repository.ProcessKeyConverter, repository.key_param_schema)
    api.register_converter(calendar.DayConverter, calendar.day_param_schema)
    for module in (
        repository, instances, history, tasks, supervision, notifications, calendar, admin, session, health, reports
    ):
        api.register_blueprint(module.blp)
    app.add_url_rule("/healthz", "healthz", app.view_functions["health.healthz"])
    app.add_url_rule("/livez", "livez", app.view_functions["health.livez"])
    app.register_blueprint(docs_page.bp)
    app.register_blueprint(ui.bp)
    problems.register(app)
    app.before_request(_take_request_id)
    app.after_request(_give_request_id)
    app.before_request(_open_read_scope)
    app.teardown_request(_close_read_scope)
    app.after_request(security_headers)
    metrics.register(app, process_engine)
    return app


_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def _take_request_id() -> None:
    """The client's ``X-Request-ID`` when it is a plain token, else a new one: every audit event
    of this request carries it."""
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _REQUEST_ID.fullmatch(given) else str(uuid.uuid4())
    audit.set_request_id(g.request_id)


def _open_read_scope() -> None:
    """A request's queries, its authentication first, share one read transaction, begun at the first of
    them (``engine.read_scope``): one BEGIN and COMMIT per request, one snapshot. A command the request
    runs goes on in it (SQLite's non-optimistic commands begin their own write transaction)."""
    scope = contextlib.ExitStack()
    scope.enter_context(current_app.extensions["wutong"].read_scope())
    g.read_scope = scope


def _close_read_scope(_error: BaseException | None) -> None:
    scope = g.pop("read_scope", None)
    if scope is not None:
        scope.close()


def _give_request_id(response: Response) -> Response:
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    audit.set_request_id(None)
    return response
