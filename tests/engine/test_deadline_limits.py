"""Deadlines are at most ten years (3,653 days): longer static ones are refused at deploy, computed
ones raise an incident at their task at once instead of counting millions of working days under the
write lock."""

from __future__ import annotations

import time

import pytest

from engine import InvalidModel, ProcessEngine
from engine.deadlines import MAX_DEADLINE_DAYS
from tests.engine.conftest import Org, process_files


def deadlines_model(case_deadline: str) -> dict[str, bytes]:
    files = process_files("deadlines.bpmn")
    files["deadlines.bpmn"] = files["deadlines.bpmn"].replace(
        b'name="deadline" value="P10D"', f'name="deadline" value="{case_deadline}"'.encode()
    )
    return files


@pytest.mark.parametrize("deadline", ["P3000000D", f"P{MAX_DEADLINE_DAYS + 1}D", "P11Y", "P522W"])
def test_a_static_deadline_over_ten_years_is_refused_at_deploy(
    engine: ProcessEngine, org: Org, deadline: str
) -> None:
    began = time.monotonic()
    with pytest.raises(InvalidModel) as caught:
        engine.repository.deploy(org["designer"], deadlines_model(deadline))
    assert time.monotonic() - began < 2.0
    found = [(p.code, p.element_id) for p in caught.value.problems]
    assert found == [("deadline_invalid", "deadlines")]
    assert f"at most {MAX_DEADLINE_DAYS} days" in caught.value.problems[0].message


def test_a_deadline_of_ten_years_deploys(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], deadlines_model(f"P{MAX_DEADLINE_DAYS}D"))


def test_a_computed_deadline_over_ten_years_is_an_incident_at_once(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], process_files("deadlines.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "deadlines", variables={"reply_limit": "P3000000D"})
    accept = case.open_tasks[0].id
    began = time.monotonic()
    result = engine.tasks.complete(org["staff_D1"], accept)
    assert time.monotonic() - began < 1.0  # unbounded: ~20 s counting 3,000,000 working days
    assert result.case_state == "error"
    incidents = engine.runtime.get(org["admin"], case.id).incidents
    assert [(i.element_id, i.code) for i in incidents] == [("reply", "deadline_failed")]
    assert f"at most {MAX_DEADLINE_DAYS} days" in incidents[0].message
