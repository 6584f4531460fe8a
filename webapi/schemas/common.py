"""Shared schema pieces: safe text fields, list arguments and the problem document."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import current_app
from marshmallow import fields, validate

MAX_PAGE = 1_000_000
MAX_INT = 2**31 - 1
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ma.ValidationError("must not contain NUL characters")


def text(max_length: int = 255, *, min_length: int = 0, **kwargs: Any) -> fields.String:
    """A string field with a maximum length that refuses NUL characters (no database stores them)."""
    return fields.String(validate=[validate.Length(min=min_length, max=max_length), _no_nul], **kwargs)


def sort_field(fields_: set[str] | frozenset[str] | tuple[str, ...], default: str | None) -> fields.String:
    """``sort``: one of the fields, ``-`` in front for descending order."""
    choices = sorted(fields_)
    return fields.String(
        load_default=default,
        validate=validate.OneOf([*choices, *(f"-{name}" for name in choices)]),
        metadata={"description": "a field name; prefix `-` for descending order"},
    )


class LocalDateTime(fields.DateTime):
    """The UTC timestamp named by ``attribute``, shown in the engine's WUTONG_TIME_ZONE (ISO 8601 with offset).

    The API keeps UTC in every ``X``; ``X_local`` is the same instant as people in the office read it.
    """

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        zone = ZoneInfo(current_app.extensions["wutong"].config.time_zone)
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return moment.astimezone(zone).isoformat()


def local_twin(name: str) -> LocalDateTime:
    """``<name>_local``: the field ``name`` in the configured time zone (null when it is null)."""
    return LocalDateTime(attribute=name, dump_only=True, allow_none=True, metadata={
        "description": f"`{name}` in WUTONG_TIME_ZONE (default Asia/Shanghai), ISO 8601 with offset"})


class ListArgs(ma.Schema):
    """``page`` and ``page_size`` of every list; subclasses add filters and ``sort``."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE),
                          metadata={"description": "page number, from 1"})
    page_size = fields.Integer(load_default=DEFAULT_PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
                               metadata={"description": f"items per page (at most {MAX_PAGE_SIZE})"})


class ProblemDetailSchema(ma.Schema):
    field = fields.String(allow_none=True, metadata={"description": "JSON Pointer into the submitted data"})
    file = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    element_id = fields.String(allow_none=True)
    code = fields.String()
    message = fields.String()


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details with a stable ``code`` and, for invalid input, ``errors``."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String(metadata={"description": "stable machine-readable error code"})
    errors = fields.List(fields.Nested(ProblemDetailSchema))
