"""The builtins every sandboxed expression shares: RestrictedPython's safe set, datetime types, the
RestrictedPython hooks that need no budget, and the engine's helpers (per-call guards: ``sandbox_budget``)."""

from __future__ import annotations

import builtins
import operator
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
)

# Classes are refused at compile time; exceptions outside Exception would slip past SpiffWorkflow's
# error handling (SystemExit ends a worker thread).
_UNSAFE_BUILTINS = ("__build_class__", "BaseException", "SystemExit", "KeyboardInterrupt", "GeneratorExit")
_INTERNAL_IMPORTS = frozenset({"time", "_strptime"})

_EXTRA_BUILTINS = (
    "sum", "min", "max", "sorted", "enumerate", "len", "dict", "list", "set", "frozenset", "any", "all",
    "round", "abs", "zip", "map", "filter", "isinstance", "str", "int", "float", "bool", "tuple", "reversed",
)  # fmt: skip


class _DiscardedPrint:
    """``print`` in a script: accepted and discarded (no server output, no memory growth)."""

    def __init__(self, _getattr: Any = None) -> None:
        pass

    def _call_print(self, *objects: Any, **kwargs: Any) -> None:
        pass

    def __call__(self) -> str:
        return ""


def _internal_import(
    name: str,
    globals: Mapping[str, Any] | None = None,
    locals: Mapping[str, Any] | None = None,
    fromlist: tuple[str, ...] = (),
    level: int = 0,
) -> Any:
    """``__import__`` for datetime's C code only (strftime, strptime and today import ``time``/``_strptime``).

    Expressions cannot name ``__import__`` (names starting with ``_`` are refused at compile time).
    """
    if name not in _INTERNAL_IMPORTS or level != 0:
        raise ImportError(f"import of {name!r} is not allowed")
    return builtins.__import__(name, globals, locals, fromlist, level)


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """RestrictedPython's ``_apply_`` hook for calls with ``*args`` / ``**kwargs``."""
    return func(*args, **kwargs)


def static_builtins(helpers: Mapping[str, Callable[..., Any]] | None) -> dict[str, Any]:
    """The builtins every call shares: safe builtins, datetime types, RestrictedPython hooks, helpers.

    They live in ``__builtins__`` rather than in the globals, so task data may shadow them (a form field
    called ``date`` keeps working) and they never leak into task data after a script.
    """
    table: dict[str, Any] = dict(safe_builtins)
    for name in _UNSAFE_BUILTINS:
        table.pop(name, None)
    table.update({name: getattr(builtins, name) for name in _EXTRA_BUILTINS})
    table.update(datetime=datetime, timedelta=timedelta, date=date, timezone=timezone)
    table["__import__"] = _internal_import
    table.update(
        _getitem_=operator.getitem,
        _getiter_=iter,
        _write_=full_write_guard,
        _unpack_sequence_=guarded_unpack_sequence,
        _iter_unpack_sequence_=guarded_iter_unpack_sequence,
        _apply_=_apply,
        _print_=_DiscardedPrint,
    )
    for name, helper in (helpers or {}).items():
        if not name.isidentifier() or name.startswith("_"):
            raise ValueError(f"helper name {name!r} must be an identifier not starting with '_'")
        if not callable(helper):
            raise ValueError(f"helper {name!r} is not callable")
        table[name] = helper
    return table
