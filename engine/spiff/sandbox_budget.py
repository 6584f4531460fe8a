"""Run-time half of the expression sandbox: the per-call step/time budget and the size guards.

A fresh :class:`Budget` is made for every evaluate/execute call; its bound methods are what the
rewritten code calls (see ``sandbox_compile``). No ``sys.settrace`` and no signals, so it works in
any thread and leaves coverage tools alone. Size guards estimate a result before computing it, since
a C-level operation such as ``'x' * 10**10`` cannot be interrupted once started.
"""

from __future__ import annotations

import builtins
import math
import operator
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sized
from dataclasses import dataclass
from typing import Any

from RestrictedPython.Guards import full_write_guard, safer_getattr_raise

from engine.spiff import sandbox_compile as names
from engine.spiff.sandbox_command import command_deadline
from engine.spiff.sandbox_size import TooLarge, serialized_size, text_result_size

COMMAND_BUDGET_SPENT = "command time budget exceeded"
_BIG = 4096  # results above this size cost steps and trigger a wall-clock check
_SEQUENCES = (str, bytes, bytearray, list, tuple)
_CONTAINERS = (list, tuple, set, frozenset)
_TO_TEXT = frozenset({"str", "repr", "ascii", "format"})
# Builtins that copy or convert their first argument: checked before the call (id -> (function, name)).
_CALL_GUARDS: dict[int, tuple[Any, str]] = {
    id(function): (function, function.__name__)
    for function in (
        str, repr, ascii, format, bytes, bytearray, list, tuple, set, frozenset, dict, sorted,
    )
}  # fmt: skip
_TEXT = (str, bytes, bytearray)
_TEXT_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs", "replace", "join", "translate"})
_UNSAFE_ATTRIBUTES = frozenset({"mro"})  # Exception.mro() would reach BaseException and object
_ALLOCATION_COST = 64  # items of a big guarded result that cost one step
_PRINTF_FIELD = re.compile(rb"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?")
_DIGITS = re.compile(r"\d+")
_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "|=": operator.ior,
    "^=": operator.ixor,
    "&=": operator.iand,
    "@=": operator.imatmul,
}
_CONVERSIONS: dict[int, Callable[[Any], str]] = {ord("s"): str, ord("r"): repr, ord("a"): ascii}
_safer_getattr: Callable[[Any, str], Any] = safer_getattr_raise
_write_guard: Callable[[Any], Any] = full_write_guard


@dataclass(frozen=True)
class SandboxLimits:
    """Budget of one evaluate/execute call."""

    max_steps: int = 1_000_000  # loop iterations + function calls counted per evaluate/execute call
    max_seconds: float = 2.0  # wall time per evaluate/execute call, checked inside the counter
    max_result_size: int = 1_000_000  # max length/size produced by **, pow, sequence repetition, range
    max_int_bits: int = 65_536  # integers beyond this many bits are refused (big-int arithmetic is superlinear)
    max_modpow_cost: int = 2**33  # pow(b, e, m): bits(e) * bits(m)**2, about 40 ms at the limit
    max_allocated_items: int = 10_000_000  # items all guarded copies/conversions of one call may build
    max_command_seconds: float = 5.0  # wall time of all expressions of one command together
    max_stored_bytes: int = 16 * 1024 * 1024  # serialized size of a script's data, aliases counted
    max_command_stored_bytes: int = 64 * 1024 * 1024  # task data all scripts of one command leave, together
    # where expressions run: "process" = a pool of worker processes under RLIMIT_CPU/RLIMIT_AS for every
    # expression with a call, loop, comprehension or function (plain ones stay inline); "inline" = all in-process
    isolation: str = "process"
    max_memory_mb: int = 512  # RLIMIT_AS of a worker process (its whole address space)
    workers: int = 2  # worker processes per server process


class SandboxViolation(Exception):
    """The budget or a guard stopped an expression; ``line`` is the script line when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.message} (line {self.line})" if self.line is not None else self.message


class Budget:
    """Step counter, deadline and size guards for one evaluate/execute call."""

    __slots__ = ("_deadline", "_expired", "_limits", "_stopped", "allocated", "reached_containers", "steps")

    def __init__(self, limits: SandboxLimits) -> None:
        self._limits = limits
        now = time.monotonic()
        self._deadline = now + limits.max_seconds
        self._expired = f"time budget exceeded: ran longer than {limits.max_seconds:g} s"
        command = command_deadline()
        if command is not None and command[0] < self._deadline:
            self._deadline = command[0]
            self._expired = (
                f"{COMMAND_BUDGET_SPENT}: this command's expressions ran longer than {command[1]:g} s in total"
            )
            if now > self._deadline:
                raise SandboxViolation(self._expired)
        self._stopped: str | None = None
        self.steps = 0
        self.allocated = 0
        self.reached_containers = False  # a method of a list/dict/set was looked up: data may have changed

    def seconds_left(self) -> float:
        """Wall time this call has left (its own limit or the command's, whichever ends first)."""
        return max(self._deadline - time.monotonic(), 0.0)

    def bindings(self) -> dict[str, Any]:
        """The per-call names the rewritten code looks up in ``__builtins__``."""
        return {
            names.TICK: self.tick,
            names.POW: self.pow,
            names.MUL: self.mul,
            names.ADD: self.add,
            names.LSHIFT: self.lshift,
            names.MOD: self.mod,
            names.FORMAT: self.format_value,
            names.AUG_ITEM: self.aug_item,
            names.CALL: self.call,
            "_apply_": self.call,
            "_getitem_": self.getitem,
            "_inplacevar_": self.inplacevar,
            "_getattr_": self.getattr,
            "range": self.range,
            "pow": self.pow,
            "sum": self.sum,
        }

    # -- budget ---------------------------------------------------------------------------------

    def tick(self) -> bool:
        """Count one loop iteration or call and read the clock; True so it can sit in ``if``/``and``."""
        self.steps += 1
        if self.steps > self._limits.max_steps or time.monotonic() > self._deadline:
            self.checkpoint()
        return True

    def checkpoint(self) -> None:
        """Check steps and wall time; once exceeded, every later tick raises again (no catching it)."""
        if self._stopped is None:
            if self.steps > self._limits.max_steps:
                self._stopped = f"step budget exceeded: more than {self._limits.max_steps:,} loop iterations or calls"
            elif time.monotonic() > self._deadline:
                self._stopped = self._expired
            else:
                return
        raise SandboxViolation(self._stopped)

    def _size(self, size: int, what: str) -> None:
        if size > self._limits.max_result_size:
            limit = self._limits.max_result_size
            raise SandboxViolation(f"{what} would produce {size:,} items, more than the limit of {limit:,}")
        self.allocated += size
        if self.allocated > self._limits.max_allocated_items:
            raise SandboxViolation(
                f"memory budget exceeded: {what} would bring the items built by this expression to"
                f" {self.allocated:,}, more than the limit of {self._limits.max_allocated_items:,}"
            )
        if size > _BIG:
            self._charge(size // _ALLOCATION_COST)

    def _charge(self, steps: int) -> None:
        """Big results cost steps too, so many of them in a loop run out of budget early."""
        self.steps += steps
        self.checkpoint()

    def _bits(self, bits: float, what: str) -> None:
        if bits > self._limits.max_int_bits:
            raise SandboxViolation(
                f"{what} would produce an integer of about {bits:,.0f} bits,"
                f" more than the limit of {self._limits.max_int_bits:,}"
            )
        if bits > _BIG * 8:
            self._charge(int(bits) // (_ALLOCATION_COST * 8))

    # -- operators ------------------------------------------------------------------------------

    def _check_pow(self, base: Any, exp: Any) -> None:
        if isinstance(base, int) and isinstance(exp, int) and exp > 1 and abs(base) > 1:
            try:
                bits = math.log2(abs(base)) * exp
            except OverflowError:
                bits = math.inf
            self._bits(bits, "**")

    def _check_modpow(self, base: Any, exp: Any, mod: Any) -> None:
        """Modular exponentiation costs about bits(exp) * bits(mod)**2 and cannot be interrupted."""
        if isinstance(exp, int) and isinstance(mod, int):
            cost = max(exp.bit_length(), 1) * max(mod.bit_length(), 1) ** 2
            if cost > self._limits.max_modpow_cost:
                raise SandboxViolation(
                    f"pow() with a modulus of {mod.bit_length():,} bits and an exponent of"
                    f" {exp.bit_length():,} bits would run too long"
                )
        if isinstance(base, int):
            self._bits(base.bit_length(), "pow()")

    def pow(self, base: Any, exp: Any, mod: Any = None) -> Any:
        """``a ** b`` and ``pow()``: refuse integer results above ``max_result_size`` bits."""
        if mod is not None:
            self._check_modpow(base, exp, mod)
            return builtins.pow(base, exp, mod)
        self._check_pow(base, exp)
        return base**exp

    def _check_mul(self, a: Any, b: Any) -> None:
        if isinstance(a, int) and isinstance(b, int):
            self._bits(a.bit_length() + b.bit_length(), "*")
        elif isinstance(a, _SEQUENCES) and isinstance(b, int):
            self._size(len(a) * b, "sequence repetition")
        elif isinstance(b, _SEQUENCES) and isinstance(a, int):
            self._size(len(b) * a, "sequence repetition")

    def mul(self, a: Any, b: Any) -> Any:
        self._check_mul(a, b)
        return a * b

    def _check_add(self, a: Any, b: Any) -> None:
        if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
            self._size(len(a) + len(b), "concatenation")

    def add(self, a: Any, b: Any) -> Any:
        self._check_add(a, b)
        return a + b

    def _check_lshift(self, a: Any, b: Any) -> None:
        if isinstance(a, int) and isinstance(b, int) and a and b > 0:
            self._bits(a.bit_length() + b, "<<")

    def lshift(self, a: Any, b: Any) -> Any:
        self._check_lshift(a, b)
        return a << b

    def _check_printf(self, template: Any, args: Any) -> None:
        """``'%*d' % (10**9, 1)`` or ``'%999999999d'`` would build a huge string: refuse it."""
        if not isinstance(template, _TEXT):
            return
        raw = template.encode("utf-8", "surrogatepass") if isinstance(template, str) else bytes(template)
        star = False
        for field in _PRINTF_FIELD.finditer(raw):
            for group in field.groups():
                if group == b"*":
                    star = True
                elif group:
                    self._size(int(group), "%-format width")
        if star:
            for value in args if isinstance(args, tuple) else (args,):
                if isinstance(value, int):
                    self._size(abs(value), "%-format width")

    def mod(self, a: Any, b: Any) -> Any:
        self._check_printf(a, b)
        return a % b

    def format_value(self, value: Any, conversion: int, spec: str) -> str:
        """An f-string field with a format spec; widths and precisions must stay within the limit."""
        convert = _CONVERSIONS.get(conversion)
        if convert is not None:
            value = convert(value)
        for digits in _DIGITS.findall(spec):
            self._size(int(digits), "format width")
        return format(value, spec)

    def inplacevar(self, op: str, x: Any, y: Any) -> Any:
        """RestrictedPython's ``_inplacevar_`` (``n += 1``) with the same guards as the operators."""
        if op == "+=":
            self._check_add(x, y)
        elif op == "*=":
            self._check_mul(x, y)
        elif op == "**=":
            self._check_pow(x, y)
        elif op == "<<=":
            self._check_lshift(x, y)
        elif op == "%=":
            self._check_printf(x, y)
        function = _INPLACE.get(op)
        if function is None:
            raise SandboxViolation(f"augmented assignment {op!r} is not supported")
        return function(x, y)

    def aug_item(self, container: Any, key: Any, op: str, value: Any) -> None:
        """``container[key] op= value`` with the write guard and the operator guards."""
        target = _write_guard(container)
        target[key] = self.inplacevar(op, container[key], value)

    # -- calls, items and conversions -----------------------------------------------------------

    def call(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Every call in an expression: one counted step, and a size check for copies and conversions."""
        self.tick()
        guard = _CALL_GUARDS.get(id(func))
        if guard is not None and guard[0] is func and args:
            self._check_call(guard[1], args[0])
        return func(*args, **kwargs)

    def _check_call(self, name: str, value: Any) -> None:
        if name in _TO_TEXT:
            if isinstance(value, (Mapping, *_CONTAINERS)):
                try:
                    size = serialized_size(value, self._limits.max_result_size)
                except TooLarge as exc:
                    size = exc.size
                self._size(size, f"{name}() of a container")
        elif name == "bytes":
            if isinstance(value, int):
                self._size(value, "bytes()")
        elif isinstance(value, Sized):
            self._size(len(value), f"{name}()")

    def getitem(self, obj: Any, key: Any) -> Any:
        """``x[key]``; a slice of a sequence is a copy and counts like one."""
        if isinstance(key, slice) and isinstance(obj, _SEQUENCES):
            self._size(len(builtins.range(*key.indices(len(obj)))), "slice")
        return obj[key]

    # -- builtins -------------------------------------------------------------------------------

    def range(self, *args: Any) -> range:
        """``range`` refusing more than ``max_result_size`` items (``list(range(10**12))``)."""
        result = builtins.range(*args)
        try:
            size = len(result)
        except OverflowError:
            size = abs(result.stop - result.start) // abs(result.step)
        self._size(size, "range()")
        return result

    def sum(self, iterable: Iterable[Any], start: Any = 0) -> Any:
        """``sum``; adding lists or tuples goes through the concatenation guard, one step per item."""
        if not isinstance(start, (list, tuple)):
            return builtins.sum(iterable, start)
        total = start
        for item in iterable:
            self.tick()
            total = self.add(total, item)
        return total

    def getattr(self, obj: Any, name: str) -> Any:
        """RestrictedPython's safer getattr (no ``_`` names, no ``str.format``) plus bounded text methods."""
        try:
            value = _safer_getattr(obj, name)
        except NotImplementedError as exc:  # str.format and friends
            raise SandboxViolation(str(exc)) from None
        if name in _UNSAFE_ATTRIBUTES:
            raise SandboxViolation(f"attribute {name!r} is not available in expressions")
        if isinstance(obj, (list, dict, set, bytearray)):
            self.reached_containers = True
        if name in _TEXT_METHODS:
            if isinstance(obj, _TEXT):
                return self._bounded_text_method(value, name, obj)
            if isinstance(obj, type) and issubclass(obj, _TEXT):
                return self._bounded_text_method(value, name, None)
        elif name == "extend" and isinstance(obj, list):
            return self._bounded_extend(obj)
        elif name == "copy" and isinstance(obj, (Mapping, *_CONTAINERS)):
            self._size(len(obj), f"{type(obj).__name__}.copy()")
        return value

    def _bounded_extend(self, target: list[Any]) -> Callable[[Iterable[Any]], None]:
        def extend(items: Iterable[Any]) -> None:
            if isinstance(items, Sized):
                self._size(len(target) + len(items), "list.extend")
            target.extend(items)

        return extend

    def _bounded_text_method(self, method: Callable[..., Any], name: str, bound: Any) -> Callable[..., Any]:
        """Wrap a padding/replace/join method of str/bytes so its result size is checked first."""

        def call(*args: Any, **kwargs: Any) -> Any:
            text, rest = (bound, list(args)) if bound is not None else (args[0], list(args[1:]))
            if name == "join" and rest:
                rest[0] = list(rest[0])
            try:
                size = text_result_size(name, text, rest, kwargs)
            except (TypeError, ValueError, IndexError, AttributeError):
                size = 0  # wrong arguments: let the method itself raise the usual error
            self._size(size, f"{type(text).__name__}.{name}()")
            return method(*rest, **kwargs) if bound is not None else method(text, *rest, **kwargs)

        return call
