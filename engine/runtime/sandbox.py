"""The expression sandbox every BPMN expression runs through.

SpiffWorkflow's default script engine runs scripts, gateway conditions, DMN cells, timer, message and
multi-instance expressions with plain ``exec``/``eval`` and full builtins: code execution as the server
user, and nothing stops ``while True``. Here every expression is compiled by RestrictedPython with a
budget rewrite (``sandbox_compile``) and runs with guarded builtins and a fresh per-call step/time
budget (``sandbox_budget``), inside a SpiffWorkflow ``PythonScriptEngine`` so the engine's normal
error path (``WorkflowTaskException``) still applies.

The budget bounds CPU in any thread: the clock is read at every counted step (loop iteration, call,
handler), costly builtins are refused before their C code starts (big integers, modular ``pow``,
copies and conversions of big containers), one command's expressions share a total budget
(``sandbox_command``), and what a script leaves in task data is measured before it is stored
(``sandbox_size``). Memory is bounded by counting what guarded operations build, not by the OS; see
docs/security.md for what that does not cover.
"""

from __future__ import annotations

import copy
import traceback
from collections.abc import Callable, Mapping
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Literal

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.runtime.sandbox_budget import Budget, SandboxLimits, SandboxViolation
from engine.runtime.sandbox_builtins import static_builtins
from engine.runtime.sandbox_compile import RESERVED_NAMES, ExpressionSyntaxError, compile_sandboxed
from engine.runtime.sandbox_size import TooLarge, oversized_variables, serialized_size

if TYPE_CHECKING:
    from SpiffWorkflow.task import Task

__all__ = [
    "ExpressionSyntaxError",
    "SandboxEnvironment",
    "SandboxLimits",
    "SandboxScriptEngine",
    "SandboxViolation",
    "compile_expression",
    "create_script_engine",
]

_SCRIPT_FILE = "<string>"
_RESERVED = RESERVED_NAMES  # task data must not shadow the names the sandbox binds


def compile_expression(source: str, mode: Literal["eval", "exec"]) -> None:
    """Compile with RestrictedPython + the AST budget rewrite; raise ExpressionSyntaxError (with line)
    on syntax or restriction errors. Used at deploy time to lint every expression."""
    compile_sandboxed(source, mode)


def _script_line(tb: TracebackType | None) -> int | None:
    """The innermost line of the sandboxed code in a traceback."""
    line: int | None = None
    for frame in traceback.extract_tb(tb):
        if frame.filename == _SCRIPT_FILE:
            line = frame.lineno
    return line


def _check_reserved(*namespaces: Mapping[str, Any]) -> None:
    for namespace in namespaces:
        clash = _RESERVED.intersection(namespace)
        if clash:
            raise SandboxViolation(f"task data uses names reserved by the sandbox: {sorted(clash)}")


class SandboxEnvironment(TaskDataEnvironment):  # type: ignore[misc]
    """TaskDataEnvironment that compiles through the sandbox and runs with a fresh budget per call.

    Task data handling is TaskDataEnvironment's: ``execute`` runs in the task data dict and then removes
    functions, globals and external context; builtins, helpers and hooks live in ``__builtins__``.
    """

    def __init__(self, limits: SandboxLimits, helpers: Mapping[str, Callable[..., Any]] | None = None) -> None:
        super().__init__({})
        self.limits = limits
        self._builtins = static_builtins(helpers)

    def _call_builtins(self) -> tuple[dict[str, Any], Budget]:
        """Shared builtins plus this call's budget."""
        budget = Budget(self.limits)
        table = dict(self._builtins)
        table.update(budget.bindings())
        return table, budget

    def _check_result(self, result: Any) -> None:
        """An expression's value is stored by SpiffWorkflow (DMN outputs, collections): bound its size."""
        limit = self.limits.max_stored_bytes
        try:
            serialized_size(result, limit)
        except TooLarge:
            raise SandboxViolation(f"the expression's value would store more than {limit:,} bytes") from None

    def _prune_data(self, context: dict[str, Any]) -> list[str] | None:
        """Drop the variables that make task data serialize past the limit (aliases counted), so nothing
        oversized reaches the state rows or an incident; returns their names, None if all fit."""
        blamed = oversized_variables(context, self.limits.max_stored_bytes)
        for name in blamed or ():
            context.pop(name, None)
        return blamed

    def _check_data(self, context: dict[str, Any]) -> None:
        """Refuse task data that would serialize past the limit, dropping the blamed variables."""
        limit = self.limits.max_stored_bytes
        blamed = self._prune_data(context)
        if blamed is None:
            return
        names = ", ".join(repr(name) for name in blamed)
        raise SandboxViolation(
            f"variable {names} would store more than {limit:,} bytes of task data (shared parts counted"
            " each time they appear); the script's change was not kept"
        )

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> Any:
        code = compile_sandboxed(expression, "eval")
        my_globals: dict[str, Any] = copy.copy(self.globals)
        self._prepare_context(context)
        my_globals.update(external_context or {})
        my_globals.update(context)
        _check_reserved(my_globals)
        my_globals["__builtins__"], budget = self._call_builtins()
        try:
            result = eval(code, my_globals)
        except SandboxViolation as exc:
            exc.line = exc.line or _script_line(exc.__traceback__)
            raise
        self._check_result(result)
        if budget.reached_containers:  # it called a list/dict/set method, which may have changed the data
            self._check_data(context)
        return result

    def execute(
        self, script: str | None, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> bool:
        code = compile_sandboxed(script or "", "exec")
        external = external_context or {}
        self.check_for_overwrite(context, external)
        _check_reserved(context, external)
        own_names = {key for key in context if key.startswith("_")}
        table, _budget = self._call_builtins()  # refused here when the command's budget is spent: nothing changed
        my_globals: dict[str, Any] = copy.copy(self.globals)
        self._prepare_context(context)
        my_globals.update(external)
        context.update(my_globals)
        context["__builtins__"] = table
        finished = False
        try:
            exec(code, context)
            finished = True
        except SandboxViolation as exc:
            exc.line = exc.line or _script_line(exc.__traceback__)
            raise
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
            for key in [
                key
                for key, value in context.items()
                if isinstance(value, ModuleType) or (key.startswith("_") and key not in own_names)
            ]:
                del context[key]
            if not finished:
                self._prune_data(context)  # what a failed script left behind must not be stored either
        self._check_data(context)
        return True


class SandboxScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """PythonScriptEngine whose errors always say what went wrong.

    The base class reports an evaluation error only as "Error evaluating expression '...'" and builds
    script error details with ``err.args[0]`` (crashing on non-string args); both are fixed here.
    """

    def evaluate(self, task: Task, expression: str, external_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as exc:
            exc.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as exc:
            error = WorkflowTaskException(f"Error evaluating expression '{expression}'", task=task, exception=exc)
            error.add_note(f"{type(exc).__name__}: {exc}")
            raise error from exc

    def create_task_exec_exception(self, task: Task, script: str | None, err: Exception) -> Exception:
        line = getattr(err, "line", None) or _script_line(err.__traceback__) or 0
        lines = (script or "").splitlines()
        error_line = lines[line - 1] if 0 < line <= len(lines) else ""
        if isinstance(err, SpiffWorkflowException):
            err.line_number = line
            err.error_line = error_line
            err.add_note(f"Python script error on line {line}: '{error_line}'")
            spiff_error: Exception = err
            return spiff_error
        detail = f"{type(err).__name__}: {err}"
        wrapped: Exception = WorkflowTaskException(
            detail, task=task, exception=err, line_number=line, error_line=error_line
        )
        return wrapped


def create_script_engine(
    limits: SandboxLimits, helpers: Mapping[str, Callable[..., Any]] | None = None
) -> PythonScriptEngine:
    """A SpiffWorkflow PythonScriptEngine whose environment evaluates/executes via RestrictedPython with
    the budget. ``helpers`` are extra safe globals (e.g. add_working_days) visible to expressions."""
    return SandboxScriptEngine(environment=SandboxEnvironment(limits, helpers))
