"""What the engine asks of a running case's tasks, kept up to date instead of walking the tree per question.

After every step a save asks which human tasks are ready, which tasks wait for a timer or a message,
which activities are active or completed, whether anything is still active, and which activities
changed phase. Each was a walk over every task, and a case with a long history (a loop's thousandth
pass) has thousands of tasks. The index keeps the answers: one cheap walk after the workflow moved
compares each task's state (and identity) with what it saw last and updates only the tasks that
differ, so the work per question is the size of its answer, not the case's history.

A task's membership in every answer depends only on its state and its spec, so a task whose state
did not change cannot change any answer. The answers themselves (a ready task's data, a timer's due
time, a catch's correlations) are read from the live tasks when asked. ``problems`` compares the
index with a full walk; the reload check runs it after every command of the corpus.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.spiff.activities import ACTIVE_STATES, ActivityChange, Seen, changes, phase_of

Order = tuple[int, int]
"""A task's place in the full walk's order: its workflow's rank (the top workflow 0, subprocesses in
the order they started) and the order the index first saw it in."""


class TaskIndex:
    """The tasks of one live workflow by the states the engine asks about."""

    def __init__(self, workflow: Any, *, report_existing: bool) -> None:
        """``report_existing``: the first ``activity_changes`` reports every activity already reached
        (a new case) instead of only what changes from now on (a restored case)."""
        self._workflow = workflow
        self._seen: dict[int, tuple[int, Task]] = {}  # key -> (state, task) as of the last refresh
        self._order: dict[int, Order] = {}
        self._ranks: dict[Any, int] = {}  # subprocess id -> rank
        self._next = 0
        self._ready: dict[int, Task] = {}  # ready manual (human) tasks
        self._waiting: dict[int, Task] = {}
        self._active: dict[int, Task] = {}  # ready, waiting, started or failed
        self._members: dict[str, dict[str, dict[int, Order]]] = {"active": {}, "completed": {}}
        self._reported: dict[int, Seen] = {}  # activities as the last activity_changes saw them
        self._touched: set[int] = set()  # keys whose state changed since the last activity_changes
        self.dirty = True
        self.refresh()
        if not report_existing:
            self.activity_changes()

    # --- keeping up ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Bring the index up to date after the workflow moved (a no-op while it did not)."""
        if not self.dirty:
            return
        self.dirty = False
        seen = self._seen
        walked = 0
        for rank, flow in self._owners():
            for task in flow.tasks.values():
                walked += 1
                key = task.id.int
                last = seen.get(key)
                if last is None or last[0] != task.state or last[1] is not task:
                    self._update(key, task, rank, last)
        if walked != len(seen):  # tasks left the workflow (a reset, a removed prediction)
            present = {task.id.int for _, flow in self._owners() for task in flow.tasks.values()}
            for key in [k for k in seen if k not in present]:
                self._remove(key)

    def _owners(self) -> Iterator[tuple[int, Any]]:
        yield 0, self._workflow
        for sub_id, subprocess in self._workflow.subprocesses.items():
            rank = self._ranks.get(sub_id)
            if rank is None:
                rank = self._ranks[sub_id] = len(self._ranks) + 1
            yield rank, subprocess

    def _update(self, key: int, task: Task, rank: int, last: tuple[int, Task] | None) -> None:
        state = task.state
        if last is not None and last[1] is not task:  # another object under the same id: start over
            self._remove(key)
            last = None
        if last is None:
            self._order[key] = (rank, self._next)
            self._next += 1
        self._seen[key] = (state, task)
        self._touched.add(key)
        _keep(self._ready, key, task, state == TaskState.READY and bool(task.task_spec.manual))
        _keep(self._waiting, key, task, state == TaskState.WAITING)
        _keep(self._active, key, task, bool(state & ACTIVE_STATES))
        bpmn_id = _bpmn_id(task)
        if bpmn_id:
            before = phase_of(last[0]) if last is not None else None
            now = phase_of(state)
            if before != now:
                self._move(bpmn_id, key, before, now)

    def _remove(self, key: int) -> None:
        state, task = self._seen.pop(key)
        self._touched.add(key)
        for members in (self._ready, self._waiting, self._active):
            members.pop(key, None)
        bpmn_id = _bpmn_id(task)
        if bpmn_id:
            self._move(bpmn_id, key, phase_of(state), None)
        self._order.pop(key, None)

    def _move(self, bpmn_id: str, key: int, before: str | None, now: str | None) -> None:
        if before in self._members:
            tasks = self._members[before][bpmn_id]
            del tasks[key]
            if not tasks:
                del self._members[before][bpmn_id]
        if now in self._members:
            self._members[now].setdefault(bpmn_id, {})[key] = self._order[key]

    # --- answers ------------------------------------------------------------------------------

    def ready_manual(self) -> list[Task]:
        self.refresh()
        return self._sorted(self._ready)

    def waiting(self) -> list[Task]:
        self.refresh()
        return self._sorted(self._waiting)

    def active(self) -> list[Task]:
        self.refresh()
        return self._sorted(self._active)

    def any_active(self) -> bool:
        self.refresh()
        return bool(self._active)

    def activities(self, phase: str) -> list[str]:
        """The BPMN ids with a task in ``phase`` (active or completed), in the order their first such
        task appears in the tree."""
        self.refresh()
        members = self._members[phase]
        return sorted(members, key=lambda bpmn_id: min(members[bpmn_id].values()))

    def activity_changes(self) -> list[ActivityChange]:
        """The activities that started, completed or were cancelled since the last call."""
        self.refresh()
        before: dict[str, Seen] = {}
        now: dict[str, Seen] = {}
        for key in self._touched:
            task_id = None
            reported = self._reported.pop(key, None)
            if reported is not None:
                task_id = reported.task_id
                before[task_id] = reported
            current = self._seen.get(key)
            if current is not None and _bpmn_id(current[1]):
                seen = _seen_now(current[1], self._order[key])
                self._reported[key] = seen
                now[seen.task_id] = seen
        self._touched.clear()
        return changes(before, now)

    def _sorted(self, members: dict[int, Task]) -> list[Task]:
        order = self._order
        return [members[key] for key in sorted(members, key=order.__getitem__)]

    # --- checking -----------------------------------------------------------------------------

    def problems(self) -> list[str]:
        """Where the index differs from a full walk of the tree (empty when it is right)."""
        self.refresh()
        walked = [task for _, flow in self._owners() for task in flow.tasks.values()]
        expected: dict[str, list[Any]] = {
            "ready": [t.id for t in walked if t.state == TaskState.READY and t.task_spec.manual],
            "waiting": [t.id for t in walked if t.state == TaskState.WAITING],
            "active": [t.id for t in walked if t.state & ACTIVE_STATES],
            "active activities": _first_seen(t for t in walked if t.state & ACTIVE_STATES),
            "completed activities": _first_seen(t for t in walked if t.state == TaskState.COMPLETED),
        }
        found: dict[str, list[Any]] = {
            "ready": [t.id for t in self.ready_manual()],
            "waiting": [t.id for t in self.waiting()],
            "active": [t.id for t in self.active()],
            "active activities": self.activities("active"),
            "completed activities": self.activities("completed"),
        }
        problems = [
            f"{name}: index {found[name]} != walk {value}" for name, value in expected.items() if found[name] != value
        ]
        reported = {seen.task_id: seen.phase for seen in self._reported.values()}
        if not self._touched:
            walked_phases = {str(t.id): phase_of(t.state) for t in walked if _bpmn_id(t)}
            if reported != walked_phases:
                problems.append("reported activity phases differ from the tree's")
        return problems


def _keep(members: dict[int, Task], key: int, task: Task, member: bool) -> None:
    if member:
        members[key] = task
    else:
        members.pop(key, None)


def _bpmn_id(task: Task) -> str | None:
    bpmn_id: str | None = getattr(task.task_spec, "bpmn_id", None)
    return bpmn_id


def _seen_now(task: Task, order: Order) -> Seen:
    name = type(task.task_spec).__name__
    return Seen(
        str(_bpmn_id(task)),
        name[:1].lower() + name[1:],
        phase_of(task.state),
        bool(task.task_spec.manual),
        order,
        str(task.id),
    )


def _first_seen(tasks: Iterator[Task] | Any) -> list[str]:
    seen: dict[str, None] = {}
    for task in tasks:
        bpmn_id = _bpmn_id(task)
        if bpmn_id:
            seen.setdefault(bpmn_id, None)
    return list(seen)
