"""Helpers every role's blueprint uses: protected blueprints, safe body parsing, list pages, error docs."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, Protocol, TypeVar, cast

import flask
import marshmallow as ma
from flask_smorest import Blueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from engine.errors import InvalidInput, Problem
from webapi.auth import authenticate
from webapi.body_limits import check_string_sizes, read_json_body

F = TypeVar("F", bound=Callable[..., Any])


class Decorator(Protocol):
    """A decorator that keeps the decorated view's type."""

    def __call__(self, func: F, /) -> F: ...


PAGINATION_HEADERS = {"X-Pagination": "PAGINATION"}
# lists whose total is counted only up to a cap (EngineConfig.count_cap): GET /tasks, /instances, /ledger
COUNTED_PAGINATION_HEADERS: dict[str, Any] = {
    **PAGINATION_HEADERS,
    "X-Total-Count": {
        "description": "the number of matching rows, counted up to the server's cap (10,000 by default)",
        "schema": {"type": "integer"},
    },
    "X-Total-Count-Capped": {
        "description": "`true` when more rows match than `X-Total-Count` (the cap); absent otherwise. "
        "`X-Pagination`'s total and last page then count only up to the cap.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}
API_PREFIX = "/api/v1"
MAX_JSON_DEPTH = 64
_SURROGATES = re.compile("[\ud800-\udfff]")


def json_flaw(value: Any) -> str | None:
    """What makes a parsed JSON body unusable, if anything: too deep, lone surrogates, non-finite numbers.

    Iterative, so no nesting depth reaches Python's recursion limit.
    """
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return f"arrays and objects nest deeper than {MAX_JSON_DEPTH} levels"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str) and _SURROGATES.search(item):
            return "a string holds a lone UTF-16 surrogate"
        elif isinstance(item, float) and not math.isfinite(item):
            return "a number is not finite"
    return None


class _HugeInteger:
    """Stands for an integer literal too long to convert, while locating it."""


def huge_integer_pointer(body: bytes) -> str:
    """The JSON Pointer of the first integer literal of more than 4,300 digits in ``body``."""

    def parse_int(text: str) -> Any:
        return _HugeInteger() if len(text.lstrip("-")) > 4300 else int(text)

    stack: list[tuple[Any, str]] = [(json.loads(body.decode("utf-8"), parse_int=parse_int), "")]
    while stack:
        item, pointer = stack.pop()
        if isinstance(item, _HugeInteger):
            return pointer
        if isinstance(item, dict | list):
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            stack.extend(
                (child, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
                for key, child in reversed(list(pairs))
            )
    return ""


class BodyParser(FlaskParser):
    """webargs' parser: unknown query parameters are errors (a typo must not widen a filter), JSON
    that no database or client could take is a 422, never a 500, and a body that is not JSON, too
    big, or holds too long a string is refused (see ``webapi.body_limits``)."""

    def __init__(self) -> None:
        super().__init__()
        self.DEFAULT_UNKNOWN_BY_LOCATION = {
            **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE, "querystring": ma.RAISE,
        }

    def _raw_load_json(self, req: flask.Request) -> Any:
        is_json = is_json_request(req)
        data = read_json_body(req, is_json)
        try:
            value = core.parse_json(data) if is_json else core.missing
            flaw = None if value is core.missing else json_flaw(value)
        except RecursionError:
            flaw = f"arrays and objects nest deeper than {MAX_JSON_DEPTH} levels"
        except json.JSONDecodeError:
            raise
        except ValueError as exc:  # an integer Python refuses to convert (over 4,300 digits)
            pointer = huge_integer_pointer(req.get_data(cache=True))
            raise InvalidInput(
                "the JSON body holds an integer too long to read",
                problems=[Problem("out_of_range", "integers must lie within ±(2^53−1)", field=pointer)],
            ) from exc
        if flaw is not None:
            raise InvalidInput(f"the JSON body cannot be used: {flaw}",
                               problems=[Problem("unusable_json", flaw, field="")])
        if value is not core.missing:
            check_string_sizes(value)
        return value


class RoleBlueprint(Blueprint):  # type: ignore[misc]  # flask-smorest ships no type hints
    """flask-smorest's Blueprint with typed decorators (so views keep their signatures)."""

    ARGUMENTS_PARSER = BodyParser()

    def route(self, rule: str, **options: Any) -> Decorator:
        return cast(Decorator, super().route(rule, **options))

    @staticmethod
    def _make_pagination_metadata(page: int, page_size: int, item_count: int) -> dict[str, int]:
        """flask-smorest's ``X-Pagination`` metadata, the same numbers, without building its schema on
        every list request (about a twentieth of a list request's CPU): the fields are plain integers."""
        meta = {"total": item_count, "total_pages": 0 if item_count == 0 else (item_count - 1) // page_size + 1}
        if item_count == 0:
            return meta
        last_page = meta["total_pages"]
        meta.update(first_page=1, last_page=last_page)
        if page <= last_page:
            meta["page"] = page
            if page > 1:
                meta["previous_page"] = page - 1
            if page < last_page:
                meta["next_page"] = page + 1
        return meta

    def arguments(self, schema: Any, **options: Any) -> Decorator:
        # one schema instance per operation: given a class, webargs builds a new schema on every
        # request (about 0.5 ms); the OpenAPI document is the same for the class and its instance
        instance = schema() if isinstance(schema, type) else schema
        return cast(Decorator, super().arguments(instance, **options))

    def response(self, status_code: int, schema: Any = None, **options: Any) -> Decorator:
        return cast(Decorator, super().response(status_code, schema, **options))

    def alt_response(self, status_code: int, response: Any = None, **options: Any) -> Decorator:
        return cast(Decorator, super().alt_response(status_code, response, **options))

    def doc(self, **options: Any) -> Decorator:
        return cast(Decorator, super().doc(**options))


def protected_blueprint(name: str, import_name: str, description: str) -> RoleBlueprint:
    """A blueprint under /api/v1 whose every request needs a bearer token."""
    blp = RoleBlueprint(name, import_name, url_prefix=API_PREFIX, description=description)
    blp.before_request(authenticate)
    return blp


def documents(blp: RoleBlueprint, *statuses: int) -> Decorator:
    """Document the error statuses an operation may answer (401 always: every call needs a token)."""

    def decorator(func: F) -> F:
        for status in sorted({401, *statuses}, reverse=True):
            func = blp.alt_response(status, response=HTTPStatus(status).name)(func)
        return func

    return decorator


def page_of(
    items: Sequence[Any], total: int, args: Mapping[str, Any], *, capped: bool = False
) -> tuple[list[Any], int, dict[str, str]]:
    """A list body plus flask-smorest's ``X-Pagination`` header and ``X-Total-Count`` (with
    ``X-Total-Count-Capped: true`` when the total stopped at the cap)."""
    meta = RoleBlueprint._make_pagination_metadata(args["page"], args["page_size"], total)
    headers = {"X-Pagination": json.dumps(meta), "X-Total-Count": str(total)}
    if capped:
        headers["X-Total-Count-Capped"] = "true"
    return list(items), 200, headers


def page_in_memory(items: Sequence[Any], args: Mapping[str, Any]) -> tuple[list[Any], int, dict[str, str]]:
    """Sort (``sort`` names an attribute, ``-`` for descending) and slice a whole list."""
    sort = str(args.get("sort") or "")
    ordered = list(items)
    if sort:
        name = sort.lstrip("-")
        ordered.sort(key=lambda item: (getattr(item, name) is None, getattr(item, name) or ""),
                     reverse=sort.startswith("-"))
    start = (args["page"] - 1) * args["page_size"]
    return page_of(ordered[start : start + args["page_size"]], len(ordered), args)
