"""A running case's rows, made at every save by converting only what changed (engine/spiff/row_cache.py),
equal the library's own complete serialized case cut into rows, pass after pass of a loop whose task
carries lists long enough to be cut into parts; and its kept index of tasks equals a full walk."""

from __future__ import annotations

from bench.common import MODELS
from engine import ProcessEngine
from engine.spiff.state import PART_SIZE, document_rows
from tests.engine.conftest import Org

LOOP = MODELS / "standard_loop_bench.bpmn"


def _loop_case(engine: ProcessEngine, org: Org) -> tuple[str, str]:
    engine.repository.deploy(org["designer"], {LOOP.name: LOOP.read_bytes()})
    view = engine.runtime.start(org["staff_D1"], "standard_loop_bench")
    return view.id, next(t.id for t in view.open_tasks if t.activity_id == "collect")


def test_rows_made_incrementally_equal_the_librarys_document_cut_into_rows(engine: ProcessEngine, org: Org) -> None:
    instance_id, task_id = _loop_case(engine, org)
    passes = 2 * PART_SIZE + 10  # the loop task's children and merged iterations fill three parts
    for n in range(1, passes + 1):
        result = engine.tasks.complete(org["staff_D1"], task_id, {"done": False, "n": n})
        task_id = next(t.id for t in result.open_tasks if t.activity_id == "collect")
        cached = engine.cases.peek(instance_id)
        assert cached is not None
        made = {(row.key, row.digest) for row in cached.live.rows()}
        library = {(row.key, row.digest) for row in document_rows(cached.live.document())}
        assert made == library, f"pass {n}: only made {sorted(made - library)[:3]}, not {sorted(library - made)[:3]}"
        assert cached.live.index_problems() == [], f"pass {n}"
    parts = [key for key, _ in made if key.startswith("part:")]
    assert len(parts) >= 6, parts  # children and merged, three parts each


def test_a_case_finishing_its_loop_empties_the_index_of_active_work(engine: ProcessEngine, org: Org) -> None:
    instance_id, task_id = _loop_case(engine, org)
    for _ in range(3):
        result = engine.tasks.complete(org["staff_D1"], task_id, {"done": False})
        task_id = next(t.id for t in result.open_tasks if t.activity_id == "collect")
    result = engine.tasks.complete(org["staff_D1"], task_id, {"done": True})
    wrap_up = next(t.id for t in result.open_tasks if t.activity_id == "wrap_up")
    result = engine.tasks.complete(org["staff_D1"], wrap_up, {})
    assert result.case_state == "completed"
    view = engine.runtime.get(org["admin"], instance_id)
    assert view.active_activities == ()
    assert {"collect", "wrap_up"} <= set(view.completed_activities)
    cached = engine.cases.peek(instance_id)
    assert cached is not None and cached.live.index_problems() == []
