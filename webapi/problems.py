"""Errors as RFC 9457 ``application/problem+json``: the one table from engine errors to HTTP statuses."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from engine.errors import (
    Conflict,
    DatabaseBusy,
    EngineError,
    Forbidden,
    InvalidInput,
    InvalidModel,
    NotFound,
    Problem,
    SignInLocked,
    TooLarge,
    Unauthenticated,
    Unavailable,
)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://wutong.dev/problems/"
log = logging.getLogger("wutong.webapi")

# The one table: engine error class -> HTTP status. Looked up along the class's MRO.
STATUS_OF: dict[type[EngineError], int] = {
    NotFound: 404,
    Forbidden: 403,
    InvalidInput: 422,
    InvalidModel: 422,
    Conflict: 409,
    TooLarge: 413,
    Unauthenticated: 401,
    Unavailable: 503,
    EngineError: 400,
}

# Extra headers by engine error class: a busy database is worth retrying in a second.
HEADERS_OF: dict[type[EngineError], dict[str, str]] = {
    DatabaseBusy: {"Retry-After": "1"},
}

# Stable codes of the HTTP-level errors raised before the engine is called.
HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthenticated",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
}

_MESSAGE_CODES = {
    "Unknown field.": "unknown_field",
    "Missing data for required field.": "required",
    "Field may not be null.": "null",
}


def status_of(error: EngineError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 400


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    errors: Iterable[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A problem document; ``type`` names the stable code."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = list(errors)
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def problem_item(problem: Problem) -> dict[str, Any]:
    return {
        "field": problem.field,
        "file": problem.file,
        "line": problem.line,
        "element_id": problem.element_id,
        "code": problem.code,
        "message": problem.message,
    }


def engine_error_response(error: EngineError) -> Response:
    status = status_of(error)
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else {}
    for cls in type(error).__mro__:
        headers.update(HEADERS_OF.get(cls, {}))
    if isinstance(error, SignInLocked):
        headers["Retry-After"] = str(error.retry_after)
    errors = [problem_item(p) for p in error.problems] if error.problems or status == 422 else None
    return problem_response(status, error.code, error.message, errors=errors, headers=headers)


def _pointer(parts: Iterable[str]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def validation_items(messages: Any, path: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Flatten webargs/marshmallow messages ({location: {field: [msg]}}) into JSON Pointer items."""
    if isinstance(messages, Mapping):
        items: list[dict[str, Any]] = []
        for key, value in messages.items():
            here = path if key == "_schema" else (*path, str(key))
            items.extend(validation_items(value, here))
        return items
    if isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            pointer = _pointer(path[1:])  # drop the location (json, query, files)
            return [
                {"field": pointer, "file": None, "line": None, "element_id": None,
                 "code": _MESSAGE_CODES.get(m, "invalid"), "message": m}
                for m in messages
            ]
        return [item for m in messages for item in validation_items(m, path)]
    return validation_items([str(messages)], path)


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def http_error_response(error: HTTPException) -> Response:
    """Werkzeug and webargs errors (unknown routes, bad methods, bad arguments, big bodies)."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if status == 500:
        return internal_error_response(getattr(error, "original_exception", None) or error)
    if status == 400 and messages is not None:
        return problem_response(400, "malformed_json", "the request body is not valid JSON")
    code = HTTP_CODES.get(status, _snake(error.name))
    headers = {}
    if status == 405:
        headers = {k: v for k, v in error.get_headers() if k == "Allow"}
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    if status == 422:
        items = validation_items(messages or {})
        fields = ", ".join(sorted({i["field"] or "(body)" for i in items}))
        return problem_response(422, "invalid_input", f"invalid input: {fields}", errors=items)
    detail = error.description or HTTPStatus(status).phrase
    return problem_response(status, code, detail, headers=headers)


def internal_error_response(error: BaseException) -> Response:
    log.error("unexpected error", exc_info=error)
    return problem_response(500, "internal_error", "an unexpected error occurred; it has been logged")


def register(app: Flask) -> None:
    """Install the engine-error and catch-all handlers (HTTP errors come through the Api class)."""
    app.register_error_handler(EngineError, engine_error_response)
    app.register_error_handler(Exception, internal_error_response)
