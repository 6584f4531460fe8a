"""A step whose result cannot be stored fails at that step with an incident naming the variable.

Red-team regression (issue 8 items 2a and 7): such results used to answer 500 on every retry (the
case stuck), send invalid JSON (NaN), merge keys silently ({1: 'a', '1': 'b'}) or make the case
impossible to restore (a dict with a ``typename`` key). Now nothing unstorable is written: the case
goes to error at the step, the stored case restores, and every answer is valid JSON.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

import pytest

from engine import SYSTEM, ProcessEngine
from engine.consistency import stored_document
from tests.engine.conftest import Org


def _script_then_task(script: str) -> dict[str, bytes]:
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="store_check" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:scriptTask id="work"><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="after" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="after" />
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
    return {"store_check.bpmn": xml.encode()}


REFUSED = {
    "huge integer": "x = 10**5000",
    "integer past 2^53": "x = 2**53",
    "bytes": "x = b'abc'",
    "self-containing list": "x = []\nx.append(x)",
    "exception object": "x = ValueError('boom')",
    "slice": "x = slice(1, 2)",
    "complex": "x = complex(1, 2)",
    "range": "x = range(3)",
    "nan": "x = float('nan')",
    "infinity": "x = float('inf')",
    "colliding keys": "x = {1: 'a', '1': 'b'}",
    "typename key": "x = {'typename': 'BpmnWorkflow', 'spec': 1}",
    "nested typename key": "x = {'rows': [{'typename': 'TaskConverter'}]}",
}


@pytest.mark.parametrize("script", list(REFUSED.values()), ids=list(REFUSED))
def test_an_unstorable_result_is_an_incident_naming_the_variable(
    engine: ProcessEngine, org: Org, script: str
) -> None:
    engine.repository.deploy(org["designer"], _script_then_task(script))
    case = engine.runtime.start(SYSTEM, "store_check", department="D1", variables={"kept": 1})
    assert case.state == "error"
    [incident] = engine.runtime.get(org["admin"], case.id).incidents
    assert (incident.code, incident.element_id) == ("result_not_storable", "work")
    assert "variable x " in incident.message
    view = engine.runtime.get(org["admin"], case.id)
    assert "x" not in view.variables and view.variables["kept"] == 1
    json.dumps(view.variables, allow_nan=False)  # what the API sends is valid JSON
    stored_document(engine, case.id)  # the stored case restores


def test_retrying_an_unstorable_step_fails_again_cleanly_and_fixing_the_script_input_resumes(
    engine: ProcessEngine, org: Org
) -> None:
    engine.repository.deploy(org["designer"], _script_then_task("x = b'a' if raw else 'a'"))
    case = engine.runtime.start(SYSTEM, "store_check", department="D1", variables={"raw": True})
    assert engine.runtime.retry(org["supervisor_D1"], case.id).state == "error"
    engine.runtime.update_variables(org["supervisor_D1"], case.id, set_values={"raw": False}, reason="text")
    resumed = engine.runtime.retry(org["supervisor_D1"], case.id)
    assert (resumed.state, [t.activity_id for t in resumed.open_tasks]) == ("running", ["after"])


STORED = {
    "nested object": "x = {'a': [1, 'b', 1.5, None, True, {'c': []}]}",
    "largest safe integer": "x = 2**53 - 1",
    "smallest safe integer": "x = -(2**53 - 1)",
    "tuple": "x = (1, 2)",
}


@pytest.mark.parametrize("script", list(STORED.values()), ids=list(STORED))
def test_storable_results_are_kept(engine: ProcessEngine, org: Org, script: str) -> None:
    engine.repository.deploy(org["designer"], _script_then_task(script))
    case = engine.runtime.start(SYSTEM, "store_check", department="D1")
    assert (case.state, [t.activity_id for t in case.open_tasks]) == ("running", ["after"])
    assert "x" in engine.runtime.get(org["admin"], case.id).variables


def test_an_unstorable_decision_table_result_is_an_incident_naming_the_output(engine: ProcessEngine, org: Org) -> None:
    from tests.engine.conftest import corpus_files

    files = corpus_files("business_rule.bpmn", "business_rule.dmn")
    files["business_rule.dmn"] = files["business_rule.dmn"].replace(
        b'<text>["D1", "D2"]</text>', b"<text>{'typename': 'BpmnWorkflow'}</text>"
    )
    engine.repository.deploy(org["designer"], files)
    case = engine.runtime.start(SYSTEM, "business_rule", department="D1")
    engine.tasks.complete(SYSTEM, case.open_tasks[0].id, {"category": "hardware"})
    view = engine.runtime.get(org["admin"], case.id)
    assert view.state == "error"
    [incident] = view.incidents
    assert (incident.code, incident.element_id) == ("result_not_storable", "route")
    assert "variable notify " in incident.message
    stored_document(engine, case.id)


@pytest.mark.parametrize(
    "script",
    ["d = datetime.now().date()\nt = datetime.now()", "d = datetime.now().date()\nx = 1 / 0"],
    ids=["dates kept", "dates left by a failing script"],
)
def test_dates_from_a_script_are_stored_not_a_server_error(engine: ProcessEngine, org: Org, script: str) -> None:
    """A date or the sandbox's clock-following datetime in task data used to make the save raise
    TypeError (a 500), whether the script then went on or failed."""
    engine.repository.deploy(org["designer"], _script_then_task(script))
    case = engine.runtime.start(SYSTEM, "store_check", department="D1", variables={"kept": 1})
    assert case.state == ("error" if "1 / 0" in script else "running")
    stored_document(engine, case.id)  # the stored case restores
