"""Compile-time half of the expression sandbox: RestrictedPython's checks plus the budget rewrite.

Every BPMN expression is parsed, checked by RestrictedPython and rewritten so that loops, calls and
exception handlers call a per-call step counter, and size-amplifying operators (``**``, ``*``, ``+``,
``<<``, ``%`` on strings, f-string format specs) go through guard functions that refuse huge results
before computing them. The guard names start with ``_`` so user code can neither call nor shadow them.
"""

from __future__ import annotations

import ast
import functools
import re
from types import CodeType
from typing import Literal, TypeVar, cast

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import IOPERATOR_TO_STR, RestrictingNodeTransformer

Mode = Literal["eval", "exec"]

# Names the rewritten code calls; the runtime binds them per evaluate/execute call.
TICK = "_wt_tick_"
POW = "_wt_pow_"
MUL = "_wt_mul_"
ADD = "_wt_add_"
LSHIFT = "_wt_lshift_"
MOD = "_wt_mod_"
FORMAT = "_wt_format_"
AUG_ITEM = "_wt_aug_item_"
CALL = "_wt_call_"
APPLY = "_apply_"  # RestrictedPython's own wrapper for calls with *args/**kwargs; bound to the same guard
BUDGET_NAMES = frozenset({TICK, POW, MUL, ADD, LSHIFT, MOD, FORMAT, AUG_ITEM, CALL})
# RestrictedPython's hooks, which restricted code calls by these names
GUARD_NAMES = frozenset(
    {
        "_getattr_",
        "_getitem_",
        "_getiter_",
        "_write_",
        "_inplacevar_",
        APPLY,
        "_unpack_sequence_",
        "_iter_unpack_sequence_",
        "_print_",
        "_print",
    }
)
# Names the sandbox binds in every expression's namespace: task data must never shadow them
RESERVED_NAMES = BUDGET_NAMES | GUARD_NAMES

_BINOP_GUARDS: dict[type[ast.operator], str] = {
    ast.Pow: POW,
    ast.Mult: MUL,
    ast.Add: ADD,
    ast.LShift: LSHIFT,
    ast.Mod: MOD,
}
_FILENAME = "<string>"  # SpiffWorkflow finds script line numbers by this frame file name
_RESTRICTION_LINE = re.compile(r"^Line (\d+|None): (.*)$", re.DOTALL)

_N = TypeVar("_N", bound=ast.AST)


class ExpressionSyntaxError(Exception):
    """An expression that does not parse or breaks a sandbox rule; raised before anything runs."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


def _located(new: _N, where: ast.AST) -> _N:
    """Give a generated node (and its children) the source position of ``where``."""
    ast.copy_location(new, where)
    ast.fix_missing_locations(new)
    return new


def _call(name: str, args: list[ast.expr], where: ast.AST) -> ast.Call:
    return _located(ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[]), where)


class SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus: no imports or classes, step ticks, guarded operators."""

    def _tick_stmt(self, where: ast.AST) -> ast.Expr:
        return _located(ast.Expr(_call(TICK, [], where)), where)

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "import statements are not allowed")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        self.error(node, "import statements are not allowed")
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "class definitions are not allowed")
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        node = cast(ast.While, super().visit_While(node))
        node.body.insert(0, self._tick_stmt(node))
        return node

    def visit_For(self, node: ast.For) -> ast.AST:
        node = cast(ast.For, super().visit_For(node))
        node.body.insert(0, self._tick_stmt(node))
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        """Count each item of a comprehension through an always-true first ``if`` clause."""
        node = cast(ast.comprehension, super().visit_comprehension(node))
        node.ifs.insert(0, _call(TICK, [], node.iter))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node = cast(ast.FunctionDef, super().visit_FunctionDef(node))
        node.body.insert(0, self._tick_stmt(node))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        """``lambda a: body`` becomes ``lambda a: _wt_tick_() and body`` (the tick returns True)."""
        node = cast(ast.Lambda, super().visit_Lambda(node))
        node.body = _located(ast.BoolOp(op=ast.And(), values=[_call(TICK, [], node), node.body]), node)
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        """A handler ticks first, so code cannot catch an exhausted budget and carry on."""
        node = cast(ast.ExceptHandler, super().visit_ExceptHandler(node))
        node.body.insert(0, self._tick_stmt(node))
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        """``f(a, k=b)`` becomes ``_wt_call_(f, a, k=b)``: every call ticks (and reads the clock), and
        copies/conversions of big values are refused before the C code builds them."""
        node = cast(ast.Call, super().visit_Call(node))
        if isinstance(node.func, ast.Name) and node.func.id == APPLY:
            return node  # RestrictedPython already routed it through _apply_, which is the same guard
        wrapped = ast.Call(func=ast.Name(CALL, ast.Load()), args=[node.func, *node.args], keywords=node.keywords)
        return _located(wrapped, node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = cast(ast.BinOp, super().visit_BinOp(node))
        guard = _BINOP_GUARDS.get(type(node.op))
        if guard is None:
            return node
        return _call(guard, [node.left, node.right], node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        """``f'{x!r:>{n}}'`` formats through a guard that refuses huge widths and precisions."""
        node = cast(ast.FormattedValue, super().visit_FormattedValue(node))
        if node.format_spec is None:
            return node
        node.value = _call(FORMAT, [node.value, ast.Constant(node.conversion), node.format_spec], node)
        node.conversion = -1
        node.format_spec = None
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        """Allow ``data[key] += value`` (RestrictedPython refuses it) through a guarded helper."""
        target = node.target
        if isinstance(target, ast.Subscript) and not any(
            isinstance(part, ast.Slice) for part in ast.walk(target.slice)
        ):
            container = cast(ast.expr, self.visit(target.value))
            key = cast(ast.expr, self.visit(target.slice))
            value = cast(ast.expr, self.visit(node.value))
            operator = ast.Constant(IOPERATOR_TO_STR[type(node.op)])
            return _located(ast.Expr(_call(AUG_ITEM, [container, key, operator, value], node)), node)
        return cast(ast.AST, super().visit_AugAssign(node))

    def visit_Module(self, node: ast.Module) -> ast.AST:
        return ast.fix_missing_locations(cast(ast.Module, super().visit_Module(node)))

    def visit_Expression(self, node: ast.Expression) -> ast.AST:
        return ast.fix_missing_locations(cast(ast.Expression, super().visit_Expression(node)))


def _restriction_error(errors: tuple[str, ...] | list[str]) -> ExpressionSyntaxError:
    """Turn RestrictedPython's ``'Line N: message'`` strings into one error with the first line."""
    line: int | None = None
    messages: list[str] = []
    for error in errors:
        match = _RESTRICTION_LINE.match(error)
        if match is None:
            messages.append(error)
            continue
        if line is None and match.group(1) != "None":
            line = int(match.group(1))
        messages.append(match.group(2))
    return ExpressionSyntaxError("; ".join(messages) or "expression refused by the sandbox", line)


@functools.lru_cache(maxsize=4096)
def compile_sandboxed(source: str, mode: Mode) -> CodeType:
    """Parse, check and rewrite ``source``; cached because the same expressions run again and again."""
    if not isinstance(source, str):
        raise ExpressionSyntaxError(f"expected expression text, got {type(source).__name__}")
    # Built-in eval() ignores leading blanks on the first line; BPMN conditions often have them.
    text = source.lstrip(" \t") if mode == "eval" else source
    try:
        tree = cast(ast.Module | ast.Expression, ast.parse(text, _FILENAME, mode))
    except SyntaxError as exc:
        statement = f" (at: {exc.text.strip()!r})" if exc.text and exc.text.strip() else ""
        raise ExpressionSyntaxError(f"{exc.msg}{statement}", exc.lineno) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionSyntaxError(f"expression cannot be compiled: {exc}") from None
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(tree, _FILENAME, policy=SandboxPolicy)
    except (RecursionError, MemoryError) as exc:
        raise ExpressionSyntaxError(f"expression too deeply nested: {exc}") from None
    if result.errors or result.code is None:
        raise _restriction_error(tuple(result.errors))
    return result.code


# An expression without these costs at most about the size of the task data times the length of the
# code (every operator that can amplify a value is guarded), so it never needs a worker process.
_UNBOUNDED_NODES = (
    ast.For, ast.While, ast.comprehension, ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef,
    ast.NamedExpr, ast.Starred,
)  # fmt: skip
# ``x * n`` repeats a reference n times; nested or chained, the factors multiply ([big] * 10**6 then
# compared or formatted runs for hours in C), so their product must stay under this, with literal n.
_MAX_REPETITION = 1000
# Builtins whose cost is at most linear in arguments the guards already bound (ranges and results of at
# most ``max_result_size`` items, integers of at most ``max_int_bits``, no callbacks): calling them by
# name, without keywords, keeps code inline. ``map``, ``sorted`` (key callbacks, n log n) and methods do not.
_LINEAR_CALLS = frozenset(
    {"len", "abs", "round", "bool", "int", "float", "str", "min", "max", "sum", "any", "all", "isinstance"}
)


def _bounded_call(node: ast.Call) -> bool:
    return isinstance(node.func, ast.Name) and node.func.id in _LINEAR_CALLS and not node.keywords


def _factor(node: ast.expr) -> int | None:
    """The repetition a literal factor allows (1 for a float), None if not a literal number."""
    value = node.value if isinstance(node, ast.Constant) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return abs(value) if isinstance(value, int) else 1


def _plain(tree: ast.AST) -> bool:
    """No loops, functions, walrus, unpacking; only linear builtins called by name; literal repetitions."""
    callees = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call) and _bounded_call(node)}
    repetition = 1
    for node in ast.walk(tree):
        if isinstance(node, _UNBOUNDED_NODES) or (isinstance(node, ast.Call) and not _bounded_call(node)):
            return False
        if isinstance(node, ast.Name) and node.id in _LINEAR_CALLS and id(node) not in callees:
            return False  # a builtin passed as a value can be called from C
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            factor = _factor(node.right) if _factor(node.left) is None else _factor(node.left)
            if factor is None:
                return False
            repetition *= max(factor, 1)
            if repetition > _MAX_REPETITION:
                return False
    return True


@functools.lru_cache(maxsize=4096)
def needs_worker(source: str, mode: Mode) -> bool:
    """True unless ``source`` is a plain expression (``_plain``), or a script of one assignment of one,
    to names: everything else may do work the counters can only bound from outside C code, so process
    isolation runs it in a worker under OS limits. Scripts of several statements always need one: a
    variable reused (``a = a + a`` twenty times) builds what no single expression can."""
    text = source.lstrip(" \t") if mode == "eval" else source
    try:
        tree = ast.parse(text, _FILENAME, mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    if isinstance(tree, ast.Module):
        if not tree.body:
            return False
        if len(tree.body) != 1:
            return True
        statement = tree.body[0]
        if not isinstance(statement, ast.Assign) or not all(isinstance(t, ast.Name) for t in statement.targets):
            return True
        return not _plain(statement.value)
    return not _plain(tree)
