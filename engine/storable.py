"""What case data may hold: the values that survive storage and come back as valid JSON.

Case data is stored through SpiffWorkflow's serializer and served as JSON. Some Python values break
one or the other: a dict with a ``typename`` key is read back as a serialized object (the case can
no longer be restored), ``NaN`` makes the API send invalid JSON, ``10**5000`` cannot be converted to
text, ``{1: 'a', '1': 'b'}`` silently merges, bytes, sets of objects, ranges, exceptions and
self-containing lists cannot be serialized at all. Input (form data, start variables, message
payloads, variable patches) and every step's result are checked against the same rules, so what is
accepted is exactly what can be stored.

Storable: objects with string keys, arrays (tuples and sets are stored as lists), strings, integers
within ±(2^53−1), finite floats, ``Decimal``, ``date`` and ``datetime``, booleans and null.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

RESERVED_KEY = "typename"  # SpiffWorkflow's serializer reads any dict carrying it as a typed object
MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 100
MAX_VALUES = 1_000_000  # values visited in one check: bounds the check's own cost

# Names the expression sandbox binds in every script's namespace (engine/runtime/sandbox.py); a
# top-level variable of the same name would put every later expression of the case in error.
_SANDBOX_NAMES = frozenset(
    {
        "_getattr_",
        "_getitem_",
        "_getiter_",
        "_write_",
        "_inplacevar_",
        "_apply_",
        "_unpack_sequence_",
        "_iter_unpack_sequence_",
        "_print_",
        "_print",
        "__builtins__",
    }
)


def is_reserved_name(name: str) -> bool:
    """A top-level variable name the sandbox keeps for itself (``_wt_*`` and RestrictedPython's hooks)."""
    return name.startswith("_wt_") or name in _SANDBOX_NAMES


@dataclass(frozen=True)
class Unstorable:
    """One value that may not enter case data, with its JSON Pointer."""

    pointer: str
    code: str  # reserved_key, reserved_name, out_of_range, not_storable
    message: str

    @property
    def variable(self) -> str:
        """The top-level variable the pointer is in."""
        first = self.pointer.split("/")[1] if self.pointer.count("/") else self.pointer
        return first.replace("~1", "/").replace("~0", "~")


def check_data(data: Mapping[Any, Any], *, limit: int = 10) -> list[Unstorable]:
    """Everything in ``data`` (a case's or a submission's variables) that may not be stored, at most ``limit``."""
    found: list[Unstorable] = []
    checker = _Checker(found, limit)
    for name in data:
        if isinstance(name, str) and is_reserved_name(name):
            found.append(Unstorable(_pointer("", name), "reserved_name", f"the name '{name}' is reserved"))
    checker.visit(dict(data) if not isinstance(data, dict) else data, "", 0)
    return found[:limit]


def _pointer(parent: str, key: object) -> str:
    return f"{parent}/{str(key).replace('~', '~0').replace('/', '~1')}"


class _Checker:
    def __init__(self, found: list[Unstorable], limit: int) -> None:
        self.found = found
        self.limit = limit
        self.visited = 0
        self.path: set[int] = set()  # ids of the containers being visited: a repeat is a cycle

    def add(self, pointer: str, code: str, message: str) -> None:
        self.found.append(Unstorable(pointer, code, message))

    def visit(self, value: Any, pointer: str, depth: int) -> None:
        if len(self.found) >= self.limit:
            return
        self.visited += 1
        if self.visited > MAX_VALUES:
            if self.visited == MAX_VALUES + 1:
                self.add(pointer, "not_storable", f"more than {MAX_VALUES} values")
            return
        if value is None or isinstance(value, (bool, str, date)):
            return
        if isinstance(value, int):
            if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                self.add(pointer, "out_of_range", "integers must lie within ±(2^53−1)")
            return
        if isinstance(value, float):
            if not math.isfinite(value):
                self.add(pointer, "not_storable", f"{value} is not a number JSON can carry")
            return
        if isinstance(value, Decimal):
            if not value.is_finite():
                self.add(pointer, "not_storable", f"{value} is not a number JSON can carry")
            return
        if isinstance(value, (dict, list, tuple, set, frozenset)):  # sets and tuples are stored as arrays
            if depth >= MAX_DEPTH:
                self.add(pointer, "not_storable", f"nested deeper than {MAX_DEPTH} levels")
                return
            if id(value) in self.path:
                self.add(pointer, "not_storable", "contains itself")
                return
            self.path.add(id(value))
            try:
                if isinstance(value, dict):
                    self._visit_object(value, pointer, depth)
                else:
                    for index, item in enumerate(value):
                        self.visit(item, _pointer(pointer, index), depth + 1)
            finally:
                self.path.discard(id(value))
            return
        self.add(pointer, "not_storable", f"a value of type {type(value).__name__} cannot be stored")

    def _visit_object(self, value: dict[Any, Any], pointer: str, depth: int) -> None:
        for key, item in value.items():
            here = _pointer(pointer, key)
            if not isinstance(key, str):
                self.add(here, "not_storable", f"object keys must be strings, not {type(key).__name__}")
                continue
            if key == RESERVED_KEY:
                self.add(here, "reserved_key", f"the key '{RESERVED_KEY}' is reserved")
                continue
            self.visit(item, here, depth + 1)
