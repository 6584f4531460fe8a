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
(``sandbox_size``), alone and added up over the command.

With ``isolation="process"`` (the default), expressions that call, loop, comprehend or define
functions run in a pre-started worker process (``sandbox_pool``) under ``RLIMIT_CPU``/``RLIMIT_AS``,
so C-level work the counters cannot see is stopped by the OS; plain expressions (most gateway
conditions) stay in-process, where their cost is bounded by their length. See docs/security.md.
"""

from __future__ import annotations

import copy
import time
import traceback
from collections.abc import Callable, Mapping
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Literal

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.spiff.sandbox_budget import Budget, SandboxLimits, SandboxViolation
from engine.spiff.sandbox_builtins import static_builtins
from engine.spiff.sandbox_command import charge_stored, command_deadline
from engine.spiff.sandbox_compile import RESERVED_NAMES, ExpressionSyntaxError, compile_sandboxed, needs_worker
from engine.spiff.sandbox_pool import NotPortable, SandboxPool, shared_pool
from engine.spiff.sandbox_size import TooLarge, measure_variables, serialized_size
from engine.spiff.sandbox_worker import HelperSnapshot, Job, Reply

if TYPE_CHECKING:
    from SpiffWorkflow.task import Task

__all__ = [
    "ExpressionSyntaxError",
    "HelperSnapshot",
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

    def __init__(
        self,
        limits: SandboxLimits,
        helpers: Mapping[str, Callable[..., Any]] | None = None,
        helper_snapshot: Callable[[], HelperSnapshot] | None = None,
    ) -> None:
        """``helper_snapshot`` gives a worker process what the helpers need (the command's time and the
        working-calendar overrides) to rebuild them there; without it the helpers themselves are sent."""
        super().__init__({})
        if limits.isolation not in ("process", "inline"):
            raise ValueError(f"sandbox isolation must be 'process' or 'inline', not {limits.isolation!r}")
        self.limits = limits
        self._builtins = static_builtins(helpers)
        self._helper_snapshot = helper_snapshot
        # without a snapshot, helpers go to the worker by reference (module-level functions pickle; a
        # closure does not, and then the expression runs inline)
        self._functions = dict(helpers) if helpers and helper_snapshot is None else None
        self._pool: SandboxPool | None = (
            shared_pool(limits.workers, limits.max_memory_mb) if limits.isolation == "process" else None
        )

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

    def _prune_data(self, context: dict[str, Any], limit: int | None = None) -> tuple[int, list[str] | None]:
        """Drop the variables that make task data serialize past the limit (aliases counted), so nothing
        oversized reaches the state rows or an incident; returns the size and their names, None if all fit."""
        size, blamed = measure_variables(context, self.limits.max_stored_bytes if limit is None else limit)
        for name in blamed or ():
            context.pop(name, None)
        return size, blamed

    def _check_data(self, context: dict[str, Any]) -> int:
        """Refuse task data that would serialize past the limit, dropping the blamed variables; returns its size."""
        limit = self.limits.max_stored_bytes
        size, blamed = self._prune_data(context)
        if blamed is None:
            return size
        names = ", ".join(repr(name) for name in blamed)
        raise SandboxViolation(
            f"variable {names} would store more than {limit:,} bytes of task data (shared parts counted"
            " each time they appear); the script's change was not kept"
        )

    def _charge_command(self, context: dict[str, Any], size: int) -> None:
        """Add a script's task data to the command's total; past the limit, drop its biggest variables."""
        limit = self.limits.max_command_stored_bytes
        total = charge_stored(size, limit)
        if total is None:
            return
        _, blamed = self._prune_data(context, max(limit - (total - size), 0))
        names = ", ".join(repr(name) for name in blamed or ())
        raise SandboxViolation(
            f"command stored size exceeded: this command's scripts would store {total:,} bytes of task data"
            f" in total, more than the limit of {limit:,}; variable {names} was not kept"
        )

    def _in_worker(
        self, mode: Literal["eval", "exec"], source: str, context: dict[str, Any], external: Mapping[str, Any]
    ) -> Reply | None:
        """Run ``source`` in a worker process; None if its data cannot cross to one (then it runs inline)."""
        assert self._pool is not None
        seconds = Budget(self.limits).seconds_left()  # refused at once when the command's budget is spent
        command = command_deadline()
        # waiting for a free worker (all busy, or being replaced) may take the rest of the command's budget
        wait = max(command[0] - time.monotonic(), 0.0) if command is not None else seconds
        job = Job(
            mode,
            source,
            dict(context),
            dict(external),
            self.limits,
            seconds,
            command[1] if command is not None else None,
            self._helper_snapshot() if self._helper_snapshot is not None else None,
            self._functions,
        )
        try:
            reply = self._pool.run(job, wait_seconds=wait)
        except NotPortable:
            return None
        if reply.context is not None:
            context.clear()
            context.update(reply.context)
        if reply.error is not None:
            raise reply.error
        return reply

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> Any:
        compile_sandboxed(expression, "eval")  # syntax errors are found here, not in a worker
        if self._pool is not None and needs_worker(expression, "eval"):
            _check_reserved(context, external_context or {})
            reply = self._in_worker("eval", expression, context, external_context or {})
            if reply is not None:
                return reply.value
        return self.evaluate_in_place(expression, context, external_context)[0]

    def evaluate_in_place(
        self, expression: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> tuple[Any, bool]:
        """Evaluate in this process; returns the value and whether the task data may have changed."""
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
        return result, budget.reached_containers

    def execute(
        self, script: str | None, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> bool:
        source = script or ""
        compile_sandboxed(source, "exec")  # syntax errors are found here, not in a worker
        size: int | None = None
        if self._pool is not None and needs_worker(source, "exec"):
            self.check_for_overwrite(context, external_context or {})
            _check_reserved(context, external_context or {})
            reply = self._in_worker("exec", source, context, external_context or {})
            size = reply.stored_bytes if reply is not None else None
        if size is None:
            size = self.execute_in_place(source, context, external_context)
        self._charge_command(context, size)
        return True

    def execute_in_place(
        self, script: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> int:
        """Run a script in this process; returns the serialized size of the task data it leaves."""
        code = compile_sandboxed(script, "exec")
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
        return self._check_data(context)


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
    limits: SandboxLimits,
    helpers: Mapping[str, Callable[..., Any]] | None = None,
    helper_snapshot: Callable[[], HelperSnapshot] | None = None,
) -> PythonScriptEngine:
    """A SpiffWorkflow PythonScriptEngine whose environment evaluates/executes via RestrictedPython with
    the budget. ``helpers`` are extra safe globals (e.g. add_working_days) visible to expressions;
    ``helper_snapshot`` is what worker processes rebuild them from (``sandbox_worker``)."""
    return SandboxScriptEngine(environment=SandboxEnvironment(limits, helpers, helper_snapshot))
