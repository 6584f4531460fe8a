"""Task forms: JSON Schema validation of submitted data (instructions templates: engine/instructions.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from engine.errors import InvalidInput, Problem
from engine.storable import check_data


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


def _reserved_keys(value: Mapping[Any, Any], pointer: str, problems: list[Problem]) -> None:
    """Values case data may not hold (engine/storable.py): reserved keys and names, unsafe numbers."""
    for bad in check_data(value):
        problems.append(Problem(bad.code, bad.message, field=pointer + bad.pointer))


def _freeze(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True)


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Any:
    from engine.form_schemas import form_validator  # jsonschema is slow to import: on first use only

    return form_validator(json.loads(schema_json))
