"""The reload check: after every command of every corpus scenario, every case rebuilt from the
database by a fresh engine with every cache off equals the running case, on SQLite and PostgreSQL;
the running case's kept index of tasks equals a full walk of its tree, the open task rows it carries
equal the database's, and the case row's active and completed activities equal those of the case
rebuilt from its rows.

Scenarios come from tests/fixtures/corpus/scenarios.py; each step is one engine command (or one
timer run), acted by a user of the department the task is routed to.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine import FrozenClock, ProcessEngine
from engine.consistency import (
    known_open_rows_problems,
    live_document,
    live_index_problems,
    stored_activities,
    stored_document,
)
from tests.engine.conftest import Org, corpus_files, make_engine
from tests.fixtures.corpus.scenarios import (
    FILES,
    SCENARIOS,
    AdvanceClock,
    Complete,
    ExpectEnded,
    ExpectOpen,
    Start,
    Step,
)

pytestmark = pytest.mark.reload


@pytest.fixture
def fresh_engine(database_url: str, clock: FrozenClock, engine: ProcessEngine) -> Iterator[ProcessEngine]:
    """A second engine on the same database with the case cache off."""
    checker = make_engine(database_url, clock, cache=False)
    yield checker
    checker.close()


class Driver:
    """Runs scenario steps as engine commands and checks every case after each one."""

    def __init__(self, engine: ProcessEngine, checker: ProcessEngine, org: Org, clock: FrozenClock) -> None:
        self.engine, self.checker, self.org, self.clock = engine, checker, org, clock
        self.cases: dict[str, str] = {}
        self.commands = 0

    def deploy(self, steps: list[Step]) -> None:
        names = sorted({f for s in steps if isinstance(s, Start) for f in FILES[s.process]})
        self.engine.repository.deploy(self.org["designer"], corpus_files(*names))

    def run(self, step: Step) -> None:
        if isinstance(step, Start):
            view = self.engine.runtime.start(self.org["staff_D1"], step.process, variables=step.variables)
            self.cases[step.case] = view.id
            self.after_command()
        elif isinstance(step, Complete):
            for _ in range(step.repeat):
                self.complete(step)
                self.after_command()
        elif isinstance(step, AdvanceClock):
            self.clock.advance(step.seconds)
            self.engine.runtime.fire_due_timers()
            self.after_command()
        elif isinstance(step, ExpectOpen):
            view = self.engine.runtime.get(self.org["admin"], self.cases[step.case])
            assert view.state != "error", view.incidents
            assert tuple(sorted({t.activity_id for t in view.open_tasks})) == step.activities
        elif isinstance(step, ExpectEnded):
            view = self.engine.runtime.get(self.org["admin"], self.cases[step.case])
            assert view.state == "completed", (view.state, view.incidents, view.active_activities)

    def complete(self, step: Complete) -> None:
        instance_id = self.cases[step.case]
        view = self.engine.runtime.get(self.org["admin"], instance_id)
        candidates = [t for t in view.open_tasks if t.activity_id == step.activity]
        assert candidates, f"{step.activity} is not open in {step.case}: {view.open_tasks}"
        task = candidates[0]
        self.engine.tasks.complete(self.org.staff_of(task.department), task.id, step.data)

    def after_command(self) -> None:
        self.commands += 1
        for name, instance_id in self.cases.items():
            live = live_document(self.engine, instance_id)
            assert live is not None, f"case {name} is not cached after a command"
            stored = stored_document(self.checker, instance_id)
            assert stored == live, (
                f"case {name} differs from its stored form after command {self.commands}: "
                + "; ".join(_differences(live, stored))
            )
            problems = live_index_problems(self.engine, instance_id)
            problems += known_open_rows_problems(self.engine, instance_id)
            assert problems == [], f"case {name}'s kept index or open rows after command {self.commands}: {problems}"
            stored_row, walked = stored_activities(self.checker, instance_id)
            assert stored_row == walked, f"case {name}'s stored activities after command {self.commands}"


def _differences(live: object, stored: object, path: str = "") -> list[str]:
    """Where two serialized cases differ, as readable paths (for the failure message)."""
    if isinstance(live, dict) and isinstance(stored, dict):
        found: list[str] = []
        for key in sorted(set(live) | set(stored), key=str):
            if key not in live or key not in stored:
                found.append(f"{path}/{key} only in {'live' if key in live else 'stored'}")
            elif live[key] != stored[key]:
                found.extend(_differences(live[key], stored[key], f"{path}/{key}"))
        return found[:10]
    return [f"{path}: live={live!r} stored={stored!r}"[:400]]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_stored_cases_equal_running_cases_after_every_command(
    scenario: str, engine: ProcessEngine, fresh_engine: ProcessEngine, org: Org, clock: FrozenClock
) -> None:
    driver = Driver(engine, fresh_engine, org, clock)
    steps = SCENARIOS[scenario]
    driver.deploy(steps)
    for step in steps:
        driver.run(step)
    assert driver.commands > 0
