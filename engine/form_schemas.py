"""Form schemas as staff-facing validators, safe against their authors and against staff input.

Checked at deploy (:func:`schema_problems`): every ``$ref``/``$dynamicRef`` is local (``#...``), and
every ``pattern`` and ``patternProperties`` key compiles with RE2. Used at run time
(:func:`form_validator`): a draft 2020-12 validator whose registry refuses to retrieve anything (no
``http:``, no ``file:``; the schema is all there is) and whose ``pattern``, ``patternProperties`` and
``format: regex`` use RE2, which runs in time linear in the input, so ``^(a+)+$`` cannot stall the
server on a crafted submission.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2 ships no type hints

from engine.errors import Problem

REF_KEYWORDS = ("$ref", "$dynamicRef")
DATA_KEYWORDS = ("const", "enum", "default", "examples")  # values here are instances, not schemas
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


class RefusedRetrieval(Exception):
    """A schema tried to reach something outside itself."""


def compile_pattern(pattern: str) -> Any:
    """``pattern`` compiled with RE2; raises ``re2.error`` for what RE2 cannot do (backreferences,
    lookaround, huge repetition counts)."""
    return re2.compile(pattern, options=_RE2_OPTIONS)


def schema_problems(name: str, schema: Mapping[str, Any]) -> list[Problem]:
    """Every non-local reference and every pattern RE2 cannot compile, with its JSON Pointer."""
    problems: list[Problem] = []
    local_refs: list[tuple[str, str]] = []
    nested_ids = False
    for pointer, key, value in _keywords(schema, ""):
        if key in REF_KEYWORDS and isinstance(value, str) and not value.startswith("#"):
            problems.append(Problem(
                "form_ref_not_local",
                f"{name}: {key} {value!r} at {pointer or '/'} is not local; a form may only refer inside "
                "itself ('#...')",
                file=name, field=f"{pointer}/{_escape(key)}",
            ))
        elif key in REF_KEYWORDS and isinstance(value, str):
            local_refs.append((f"{pointer}/{_escape(key)}", value))
        elif key == "$id" and pointer:
            nested_ids = True
        elif key == "pattern" and isinstance(value, str):
            problems.extend(_pattern_problem(name, value, f"{pointer}/pattern"))
        elif key == "patternProperties" and isinstance(value, Mapping):
            for regex in value:
                problems.extend(_pattern_problem(name, str(regex), f"{pointer}/patternProperties/{_escape(regex)}"))
    if not nested_ids:  # with nested $id a reference's base changes along the way: left to run time
        problems.extend(_unresolvable(name, schema, local_refs))
    return problems


def _unresolvable(name: str, schema: Mapping[str, Any], refs: list[tuple[str, str]]) -> list[Problem]:
    """Local references that point nowhere, which would otherwise fail only when staff submit."""
    from referencing import Registry
    from referencing.exceptions import Unresolvable
    from referencing.jsonschema import DRAFT202012

    resource = DRAFT202012.create_resource(dict(schema))
    base = resource.id() or "urn:wutong:form"
    registry: Registry[Any] = Registry(retrieve=_refuse).with_resource(base, resource)  # type: ignore[call-arg]
    resolver = registry.resolver(base_uri=base)
    problems = []
    for pointer, ref in refs:
        try:
            resolver.lookup(ref)
        except (Unresolvable, RefusedRetrieval):
            problems.append(Problem(
                "form_ref_unresolvable", f"{name}: {ref!r} at {pointer} points to nothing in the form",
                file=name, field=pointer,
            ))
    return problems


def _pattern_problem(name: str, regex: str, pointer: str) -> list[Problem]:
    try:
        compile_pattern(regex)
    except re2.error as exc:
        message = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        return [Problem(
            "form_pattern_invalid",
            f"{name}: pattern {regex!r} at {pointer} cannot be used ({message}); patterns run on RE2, "
            "without backreferences or lookaround",
            file=name, field=pointer,
        )]
    return []


def _keywords(node: Any, pointer: str) -> Iterator[tuple[str, str, Any]]:
    """(pointer of the object, key, value) for every key of every schema object, skipping data."""
    stack: list[tuple[Any, str]] = [(node, pointer)]
    while stack:
        item, here = stack.pop()
        if isinstance(item, Mapping):
            for key, value in item.items():
                yield here, str(key), value
                if key not in DATA_KEYWORDS:
                    stack.append((value, f"{here}/{_escape(str(key))}"))
        elif isinstance(item, list):
            stack.extend((child, f"{here}/{index}") for index, child in enumerate(item))


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _refuse(uri: str) -> Any:
    raise RefusedRetrieval(f"a form schema may not refer to {uri!r}")


def _re2_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError

    if validator.is_type(instance, "string") and not compile_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _re2_pattern_properties(validator: Any, properties: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in properties.items():
        regex = compile_pattern(pattern)
        for key, value in instance.items():
            if regex.search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _is_re2_regex(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    compile_pattern(instance)
    return True


@functools.cache
def _validator_class() -> tuple[Any, Any]:
    from jsonschema import Draft202012Validator, FormatChecker, validators

    checker = FormatChecker()
    checker.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)
    checker.checks("regex", raises=re2.error)(_is_re2_regex)
    validator_class = validators.extend(  # type: ignore[no-untyped-call]  # jsonschema leaves it untyped
        Draft202012Validator,
        validators={"pattern": _re2_pattern, "patternProperties": _re2_pattern_properties},
    )
    return validator_class, checker


def form_validator(schema: Mapping[str, Any]) -> Any:
    """A draft 2020-12 validator for ``schema`` that never leaves it and matches with RE2."""
    from referencing import Registry

    validator_class, checker = _validator_class()
    registry: Registry[Any] = Registry(retrieve=_refuse)  # type: ignore[call-arg]  # attrs field
    return validator_class(schema, format_checker=checker, registry=registry)
