"""Size estimates the sandbox takes before it builds or stores something big.

``serialized_size`` measures a value the way a JSON serializer would write it, counting every
occurrence of an aliased object again (``d = [d, d]`` twenty levels deep is millions of items to a
serializer, though only twenty lists in memory), remembering each container's size so the
measurement itself only costs one visit per distinct object. Scripts' results are measured with it before anything is
written (``check_stored_size``); ``str(x)`` of a container is estimated with it before it is built.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

_CONTAINERS = (list, tuple, set, frozenset)
_DATES = (date, datetime, timedelta)
_OTHER = 16  # bytes counted for any other object (a storability check elsewhere refuses those)


class TooLarge(Exception):
    """A value would serialize to more than the limit; ``size`` is where counting stopped."""

    def __init__(self, size: int) -> None:
        self.size = size
        super().__init__(size)


_MIN = 8  # bytes counted at least per item (a number, a separator, a null)
_NUMBERS = frozenset({bool, float, type(None), Decimal})
_CONTAINER_TYPES = frozenset(_CONTAINERS)


def _scalar_size(value: Any) -> int:
    if isinstance(value, str):
        return len(value) + 2
    if value is None or isinstance(value, (bool, float, Decimal)):
        return _MIN
    if isinstance(value, int):
        return value.bit_length() * 3 // 10 + _MIN  # decimal digits, without building the string
    if isinstance(value, (bytes, bytearray)):
        return len(value) * 2 + 2
    if isinstance(value, _DATES):
        return 40
    return _OTHER


def _flat_size(items: Any) -> int | None:
    """Size of a sequence of plain scalars of one kind, summed in C; None if it holds anything else."""
    kinds = set(map(type, items))
    if kinds == {str}:
        return sum(map(len, items)) + 3 * len(items)
    if kinds == {int}:
        return sum(map(int.bit_length, items)) * 3 // 10 + _MIN * len(items)
    if kinds <= _NUMBERS:
        return _MIN * len(items)
    return None


def serialized_size(value: Any, limit: int) -> int:
    """Bytes ``value`` takes serialized, every alias of a shared part counted again; TooLarge past ``limit``.

    Sizes of containers are remembered by identity, so ``d = [d, d]`` twenty levels deep costs twenty
    steps to find that it would serialize to millions of items, and a self-containing value is left to the
    storability check (its back-edge counts as one item). Iterative: no recursion limit to hit.
    """
    memo: dict[int, int] = {}
    active: set[int] = set()
    sizes: list[int] = []
    stack: list[tuple[Any, list[Any] | None]] = [(value, None)]
    while stack:
        item, children = stack.pop()
        if children is not None:  # every child is measured: add them up
            count = len(children)
            total = _MIN + sum(sizes[len(sizes) - count :]) if count else _MIN
            del sizes[len(sizes) - count :]
            total += sum(_scalar_size(key) + 1 for key in item) if isinstance(item, Mapping) else 0
            if total > limit:
                raise TooLarge(total)
            memo[id(item)] = total
            active.discard(id(item))
            sizes.append(total)
            continue
        kind = type(item)
        if kind is str:
            sizes.append(len(item) + 2)
            continue
        if kind in _NUMBERS:
            sizes.append(_MIN)
            continue
        if kind is int:
            sizes.append(item.bit_length() * 3 // 10 + _MIN)
            continue
        if kind is dict or kind in _CONTAINER_TYPES or isinstance(item, (Mapping, *_CONTAINERS)):
            known = memo.get(id(item))
            if known is not None:
                sizes.append(known)
                continue
            if id(item) in active:
                # it contains itself: not a size question; the storability check after the step
                # (engine/spiff/storable_steps.py) refuses it as result_not_storable, naming it
                sizes.append(_MIN)
                continue
            members = list(item.values()) if isinstance(item, Mapping) else list(item)
            flat = _flat_size(members) if len(members) > 16 else None
            if flat is not None:
                total = _MIN + flat
                if total > limit:
                    raise TooLarge(total)
                memo[id(item)] = total
                sizes.append(total)
                continue
            active.add(id(item))
            stack.append((item, members))
            stack.extend((member, None) for member in members)
            continue
        sizes.append(_scalar_size(item))
    return sizes[0] if sizes else 0


def measure_variables(data: Mapping[str, Any], limit: int) -> tuple[int, list[str] | None]:
    """The serialized size of ``data`` and, if it is over ``limit`` bytes, the names to blame (largest first).

    Each variable is measured once (stopping at ``limit``); shared parts between variables are counted
    in each, as the serializer would write them.
    """
    sizes: list[tuple[int, str]] = []
    for name, value in data.items():
        try:
            size = serialized_size(value, limit)
        except TooLarge as exc:
            size = exc.size
        sizes.append((size + len(str(name)) + 4, str(name)))
    total = remaining = sum(size for size, _ in sizes)
    if remaining <= limit:
        return total, None
    sizes.sort(reverse=True)
    blamed: list[str] = []
    for size, name in sizes:
        if remaining <= limit:
            break
        blamed.append(name)
        remaining -= size
    return total, blamed


def oversized_variables(data: Mapping[str, Any], limit: int) -> list[str] | None:
    """None if all of ``data`` serializes within ``limit`` bytes, else the names to blame (largest first)."""
    return measure_variables(data, limit)[1]


def text_result_size(name: str, text: Any, rest: list[Any], kwargs: Mapping[str, Any]) -> int:
    """Upper bound of the length a str/bytes method call (padding, replace, join...) will produce."""
    if name in ("ljust", "rjust", "center", "zfill"):
        return max(int(rest[0]), len(text)) if rest else len(text)
    if name == "expandtabs":
        tabsize = int(rest[0]) if rest else int(kwargs.get("tabsize", 8))
        tab = "\t" if isinstance(text, str) else b"\t"
        return len(text) + int(text.count(tab)) * max(tabsize, 0)
    if name == "replace":
        old, new = rest[0], rest[1]
        count = int(rest[2]) if len(rest) > 2 else int(kwargs.get("count", -1))
        hits = int(text.count(old)) if len(old) else len(text) + 1
        if count >= 0:
            hits = min(hits, count)
        return len(text) + hits * max(len(new) - len(old), 0)
    if name == "translate":
        table = rest[0]
        if not isinstance(text, str) or not isinstance(table, Mapping):
            return len(text)
        widest = max((len(value) for value in table.values() if isinstance(value, str)), default=1)
        return len(text) * max(widest, 1)
    items = rest[0]
    return int(builtins.sum(len(item) for item in items)) + len(text) * max(len(items) - 1, 0)
