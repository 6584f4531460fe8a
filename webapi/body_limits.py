"""Limits on JSON request bodies: their media type, their size and the size of each string in them.

A body sent as ``text/plain`` or form data (what ``curl -d`` sends) would otherwise be read as no
body at all, so a completion would succeed with empty data: it is refused with 415 instead. A body
over ``WUTONG_MAX_JSON_BYTES`` is 413 before it is read into memory; a string over
``WUTONG_MAX_STRING_BYTES`` (UTF-8) is 422 naming where it is, so no single field is stored at megabytes.
"""

from __future__ import annotations

from typing import Any

import flask
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from engine.errors import InvalidInput, Problem

DEFAULT_MAX_JSON_BYTES = 1024 * 1024
DEFAULT_MAX_STRING_BYTES = 64 * 1024
MAX_JSON_BYTES = "WUTONG_MAX_JSON_BYTES"  # Flask config keys, set from the variables of the same names
MAX_STRING_BYTES = "WUTONG_MAX_STRING_BYTES"


def _limit(name: str, default: int) -> int:
    return int(flask.current_app.config.get(name) or default)


def read_json_body(req: flask.Request, is_json: bool) -> bytes:
    """The raw body of a request to an endpoint that takes JSON, after checking its size and type.

    An empty body passes whatever its Content-Type (webargs then treats it as missing).
    """
    limit = _limit(MAX_JSON_BYTES, DEFAULT_MAX_JSON_BYTES)
    req.max_content_length = limit
    try:
        data = req.get_data(cache=True)
    except RequestEntityTooLarge:
        raise RequestEntityTooLarge(f"a JSON body may be at most {limit} bytes") from None
    if data and not is_json:
        sent = req.mimetype or "no Content-Type"
        raise UnsupportedMediaType(
            f"the body must be JSON (Content-Type: application/json), not {sent}; nothing was changed"
        )
    return data


def check_string_sizes(value: Any) -> None:
    """Raise InvalidInput naming (as JSON Pointers) every string or key longer than the limit."""
    limit = _limit(MAX_STRING_BYTES, DEFAULT_MAX_STRING_BYTES)
    problems: list[Problem] = []
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, pointer = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                here = f"{pointer}/{_escape(key)}"
                if len(key) * 4 > limit and len(key.encode("utf-8", "surrogatepass")) > limit:
                    problems.append(Problem("string_too_long", f"a key may be at most {limit} bytes", field=here))
                stack.append((child, here))
        elif isinstance(item, list):
            stack.extend((child, f"{pointer}/{index}") for index, child in enumerate(item))
        elif isinstance(item, str) and len(item) * 4 > limit and len(item.encode("utf-8", "surrogatepass")) > limit:
            problems.append(Problem("string_too_long", f"a string may be at most {limit} bytes (UTF-8)", field=pointer))
    if problems:
        problems.sort(key=lambda p: p.field or "")
        fields = ", ".join(p.field or "(body)" for p in problems)
        raise InvalidInput(f"strings too long: {fields}", problems=problems)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
