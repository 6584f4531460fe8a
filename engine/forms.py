"""Task forms: JSON Schema validation of submitted data (instructions templates: engine/instructions.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from engine.errors import InvalidInput, Problem

RESERVED_KEY = "typename"  # SpiffWorkflow's serializer crashes on dicts carrying this key


def validate_submission(schema: Mapping[str, Any] | None, data: Any) -> None:
    """Raise InvalidInput listing every bad field as a JSON Pointer; nothing is changed before this."""
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise InvalidInput("task data must be an object", problems=[Problem("type", "must be an object", field="")])
    _reserved_keys(data, "", problems)
    if schema is not None:
        validator = _validator(_freeze(schema))
        for error in sorted(validator.iter_errors(dict(data)), key=lambda e: list(e.absolute_path)):
            pointer = "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in error.absolute_path)
            if error.validator == "required" and isinstance(error.instance, Mapping):
                missing = _missing_property(error.message)
                if missing is not None:
                    pointer = f"{pointer}/{missing}"
            problems.append(Problem(code=str(error.validator), message=error.message, field=pointer))
    if problems:
        raise InvalidInput("the submitted data does not match the task's form", problems=problems)


def _missing_property(message: str) -> str | None:
    # jsonschema words it "'name' is a required property"
    if message.endswith(" is a required property") and message.startswith("'"):
        return message[1 : message.index("'", 1)]
    return None


def _reserved_keys(value: Any, pointer: str, problems: list[Problem]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            here = f"{pointer}/{key}"
            if key == RESERVED_KEY:
                problems.append(Problem("reserved_key", f"the key '{RESERVED_KEY}' is reserved", field=here))
            _reserved_keys(item, here, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _reserved_keys(item, f"{pointer}/{index}", problems)


def _freeze(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True)


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Any:
    from jsonschema import Draft202012Validator  # slow to import (format checkers): on first use only

    return Draft202012Validator(json.loads(schema_json), format_checker=Draft202012Validator.FORMAT_CHECKER)
