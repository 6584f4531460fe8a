"""Message payloads: a JSON object of storable values, or what the message's payload schema says."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from engine.command_context import LoadedCase
from engine.errors import InvalidInput, Problem
from engine.forms import validate_submission


def check_payload(payload: Any) -> None:
    """A message payload is a JSON object of storable values, like form data."""
    if not isinstance(payload, Mapping):
        problem = Problem("type", "must be an object", field="/payload")
        raise InvalidInput("a message payload must be an object", problems=[problem])
    try:
        validate_submission(None, payload)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, problems=[_under_payload(p) for p in exc.problems]) from exc


def check_payload_for(case: LoadedCase, name: str, payload: Mapping[str, Any]) -> None:
    """The payload against the receiving process's ``payloadJsonSchemaFilename`` for the message, if any."""
    schema = case.model.message_schema(name)
    if schema is None:
        return
    try:
        validate_submission(schema, payload)
    except InvalidInput as exc:
        raise InvalidInput(
            f"the payload does not match the message '{name}'", problems=[_under_payload(p) for p in exc.problems]
        ) from exc


def _under_payload(problem: Problem) -> Problem:
    return dataclasses.replace(problem, field="/payload" + (problem.field or ""))
