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

from engine.spiff.sandbox_compile import RESERVED_NAMES

RESERVED_KEY = "typename"  # SpiffWorkflow's serializer reads any dict carrying it as a typed object
MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 100
MAX_VALUES = 1_000_000  # values visited in one check: bounds the check's own cost

def is_reserved_name(name: str) -> bool:
    """A top-level variable name the sandbox keeps for itself (``_wt_*`` and RestrictedPython's hooks)."""
    return name.startswith("_wt_") or name in RESERVED_NAMES or name == "__builtins__"


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
    """Everything in ``data`` (a case's or a submission's variables) that may not be stored, at most ``limit``.

    One pass; a container reached again through another reference is counted again (so aliasing
    cannot hide size) but not walked again, and JSON Pointers are only built for what is reported.
    """
    found: list[Unstorable] = []
    for name in data:
        if isinstance(name, str) and is_reserved_name(name):
            found.append(Unstorable(_pointer("", name), "reserved_name", f"the name '{name}' is reserved"))
    _Checker(found, limit).visit(data if isinstance(data, dict) else dict(data), 0)
    return found[:limit]


def _pointer(parent: str, key: object) -> str:
    return f"{parent}/{str(key).replace('~', '~0').replace('/', '~1')}"


_SCALARS = (str, bool, type(None))
_CONTAINERS = (dict, list, tuple, set, frozenset)  # tuples and sets are stored as arrays


class _Checker:
    def __init__(self, found: list[Unstorable], limit: int) -> None:
        self.found = found
        self.limit = limit
        self.count = 0
        self.keys: list[object] = []  # the path to the value being visited
        self.active: set[int] = set()  # ids of the containers being visited: a repeat is a cycle
        self.sizes: dict[int, int] = {}  # ids of containers already walked -> values they hold
        self.over = False
        self.done = False  # enough found, or over the value budget: stop walking

    def add(self, code: str, message: str, key: object = None) -> None:
        pointer = ""
        for part in self.keys if key is None else [*self.keys, key]:
            pointer = _pointer(pointer, part)
        self.found.append(Unstorable(pointer, code, message))
        self.done = self.done or len(self.found) >= self.limit

    def scalar(self, value: Any, key: object) -> bool:
        """Check a non-container value; False when it is not a scalar at all."""
        kind = type(value)
        if kind in _SCALARS:
            return True
        if kind is int:
            if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                self.add("out_of_range", "integers must lie within ±(2^53−1)", key)
            return True
        if kind is float:
            if not math.isfinite(value):
                self.add("not_storable", f"{value} is not a number JSON can carry", key)
            return True
        if isinstance(value, _CONTAINERS):
            return False
        if isinstance(value, bool | str | date):
            return True
        if isinstance(value, int):
            return self.scalar(int(value), key)
        if isinstance(value, float):
            return self.scalar(float(value), key)
        if isinstance(value, Decimal):
            if not value.is_finite():
                self.add("not_storable", f"{value} is not a number JSON can carry", key)
            return True
        self.add("not_storable", f"a value of type {type(value).__name__} cannot be stored", key)
        return True

    def visit(self, value: Any, depth: int) -> int:
        """Check a container (or value) at the current path; the number of values it holds."""
        if self.done:
            return 0
        self.count += 1
        if self.scalar(value, None):
            return 1
        ident = id(value)
        known = self.sizes.get(ident)
        if known is not None:
            self.count += known - 1
            self._over_budget()
            return known
        if ident in self.active:
            self.add("not_storable", "contains itself")
            return 1
        if depth >= MAX_DEPTH:
            self.add("not_storable", f"nested deeper than {MAX_DEPTH} levels")
            return 1
        self.active.add(ident)
        size = 1
        pairs = value.items() if isinstance(value, dict) else enumerate(value)
        is_object = isinstance(value, dict)
        for key, item in pairs:
            if self.done:
                break
            if is_object and (type(key) is not str or key == RESERVED_KEY):
                if key == RESERVED_KEY:
                    self.add("reserved_key", f"the key '{RESERVED_KEY}' is reserved", key)
                else:
                    self.add("not_storable", f"object keys must be strings, not {type(key).__name__}", key)
                continue
            kind = type(item)
            if kind is str or item is None or kind is bool or self.scalar(item, key):
                size += 1
                self.count += 1
                continue
            self.keys.append(key)
            size += self.visit(item, depth + 1)
            self.keys.pop()
        self.active.discard(ident)
        self.sizes[ident] = size
        self._over_budget()
        return size

    def _over_budget(self) -> None:
        if self.count > MAX_VALUES and not self.over:
            self.over = True
            self.done = True
            self.add("not_storable", f"more than {MAX_VALUES} values (counting every reference)")
