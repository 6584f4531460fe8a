"""Task instructions: Jinja2 templates rendered in a sandbox under the expression limits.

Templates come from designers and are rendered with case data, so they get the expression sandbox's
limits: a wall-clock and step budget (every loop item and call counts), the size guards on ``*``,
``**``, ``+`` and ``%``, and a cap on the rendered text. Any failure, whatever its type, renders a
marked fallback instead of raising: instructions never block reading, claiming or completing a task.
With process isolation (the default), a template with loops, calls, filters or tests renders in a
sandbox worker process under its OS limits (``engine/spiff/sandbox_pool.py``); one that only
substitutes variables renders here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import escape

from engine.spiff.sandbox_budget import Budget, SandboxLimits, SandboxViolation
from engine.spiff.sandbox_command import command_deadline
from engine.spiff.sandbox_pool import NotPortable, shared_pool
from engine.spiff.sandbox_worker import Job

TEMPLATE_FAILED = "template_failed"
NON_BLOCKING_INCIDENTS = frozenset({TEMPLATE_FAILED})  # recorded for the designer; the case runs on

_budget: ContextVar[Budget | None] = ContextVar("wutong_template_budget", default=None)
_LOOP = "_wt_loop_"
_GUARDED = {"*": "mul", "**": "pow", "+": "add", "%": "mod"}


def _current() -> Budget:
    budget = _budget.get()
    if budget is None:
        raise SandboxViolation("templates render only through render_instructions")
    return budget


def _loop(items: Iterable[Any]) -> Iterator[Any]:
    """Every loop item of a template costs a step and reads the clock (nested loops end on time)."""
    budget = _current()
    for item in items:
        budget.tick()
        yield item


class _LimitedEnvironment(SandboxedEnvironment):
    """Jinja2's sandbox plus the expression budget: loops and calls tick, amplifying operators are guarded."""

    intercepted_binops = frozenset(_GUARDED)

    def __init__(self) -> None:
        super().__init__(autoescape=True)
        self.globals[_LOOP] = _loop

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(nodes.Name(_LOOP, "load"), [loop.iter], [], None, None)
        return tree

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        guard: Callable[[Any, Any], Any] = getattr(_current(), _GUARDED[operator])
        return guard(left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _current().tick()
        return SandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs)


_environment = _LimitedEnvironment()


@dataclass(frozen=True)
class Rendered:
    """The text to show, and the error when the template failed (the text is then the fallback)."""

    text: str | None
    error: str | None = None


def _fallback(template: str, exc: BaseException) -> Rendered:
    error = f"{type(exc).__name__}: {exc}"[:500]
    return Rendered(f"{escape(template)}\n\n(instructions could not be rendered: {escape(error)})", error)


def _in_worker(template: str, data: Mapping[str, Any], limits: SandboxLimits) -> Rendered | None:
    """Render in a sandbox worker process; None when the data cannot be sent to one (render here)."""
    try:
        seconds = Budget(limits).seconds_left()
        command = command_deadline()
        job = Job("template", template, dict(data), {}, limits, seconds, command[1] if command else None, None)
        pool = shared_pool(limits.workers, limits.max_memory_mb)
        if pool is None:
            return None
        reply = pool.run(job, wait_seconds=seconds)
    except NotPortable:
        return None
    except Exception as exc:  # killed by the OS, over time, no worker free: the marked fallback
        return _fallback(template, exc)
    if reply.error is not None or not isinstance(reply.value, Rendered):
        return _fallback(template, reply.error or SandboxViolation("the worker returned no text"))
    return reply.value


def render_instructions(template: str | None, data: Mapping[str, Any], limits: SandboxLimits) -> Rendered:
    """Render under ``limits`` (time, steps, operator sizes, ``max_result_size`` characters of output)."""
    if not template:
        return Rendered(None)
    if limits.isolation == "process" and ("{%" in template or "(" in template or "|" in template):
        rendered = _in_worker(template, data, limits)
        if rendered is not None:
            return rendered
    token = _budget.set(Budget(limits))
    try:
        size = 0
        chunks: list[str] = []
        for chunk in _environment.from_string(template).generate(**dict(data)):
            size += len(chunk)
            if size > limits.max_result_size:
                raise SandboxViolation(f"the rendered text is longer than {limits.max_result_size:,} characters")
            chunks.append(chunk)
        return Rendered("".join(chunks))
    except Exception as exc:  # any failure of designer content: fall back, never raise
        return _fallback(template, exc)
    finally:
        _budget.reset(token)


def deferred() -> tuple[Callable[[str | None, Mapping[str, Any]], str | None], Callable[[SandboxLimits], str | None]]:
    """A renderer that only remembers what to render, and a function that renders it later.

    Commands build their task view inside the write transaction; the instructions are rendered after
    the commit so a slow template never holds the database.
    """
    saved: dict[str, Any] = {}

    def remember(template: str | None, data: Mapping[str, Any]) -> str | None:
        saved.update(template=template, data=data)
        return None

    def render(limits: SandboxLimits) -> str | None:
        return render_instructions(saved.get("template"), saved.get("data") or {}, limits).text

    return remember, render
