"""DMN decisions have versions of their own: a table deployed alone is a new version of its decision,
a process deployed later without its table binds the newest version, and process versions (with the
cases running them) keep the table they were deployed with (issue 10, item 13)."""

from __future__ import annotations

import pytest

from engine import InvalidModel, ProcessEngine
from tests.engine.conftest import Org, corpus_files

DMN = "business_rule.dmn"
BPMN = "business_rule.bpmn"


def rerouted_table() -> dict[str, bytes]:
    """The corpus table with hardware sent to D2 instead of D1."""
    content = corpus_files(DMN)[DMN]
    rule = content.index(b'<outputEntry id="rule_hardware_department">')
    changed = content[:rule] + content[rule:].replace(b'"D1"', b'"D2"', 1)
    assert changed != content
    return {DMN: changed}


def route_of_hardware(engine: ProcessEngine, org: Org, version: int | None = None) -> str:
    """Start a case (of ``version``, default newest), classify it as hardware; the step it reaches."""
    case = engine.runtime.start(org["staff_D1"], "business_rule", version=version)
    (classify,) = case.open_tasks
    done = engine.tasks.complete(org["staff_D1"], classify.id, {"category": "hardware"})
    (routed,) = done.open_tasks
    return routed.activity_id


def test_a_decision_table_deployed_alone_is_a_new_version_of_its_decision(engine: ProcessEngine, org: Org) -> None:
    first = engine.repository.deploy(org["designer"], corpus_files(DMN))
    assert first.created and first.processes == ()
    assert [(d.key, d.version, d.file, d.created) for d in first.decisions] == [("route_category", 1, DMN, True)]
    again = engine.repository.deploy(org["designer"], corpus_files(DMN))
    assert not again.created and [(d.version, d.created) for d in again.decisions] == [(1, False)]
    changed = engine.repository.deploy(org["designer"], rerouted_table())
    assert [(d.version, d.created) for d in changed.decisions] == [(2, True)]


def test_a_process_deployed_without_its_table_binds_the_newest_version(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], corpus_files(DMN))
    engine.repository.deploy(org["designer"], rerouted_table())
    deployed = engine.repository.deploy(org["designer"], corpus_files(BPMN))
    assert [(p.key, p.version) for p in deployed.processes] == [("business_rule", 1)]
    assert route_of_hardware(engine, org) == "handle_d2"


def test_process_versions_and_their_cases_keep_the_table_they_were_deployed_with(
    engine: ProcessEngine, org: Org
) -> None:
    engine.repository.deploy(org["designer"], corpus_files(BPMN, DMN))
    early = engine.runtime.start(org["staff_D1"], "business_rule")
    engine.repository.deploy(org["designer"], rerouted_table())  # a new table alone changes no process
    assert route_of_hardware(engine, org) == "handle_d1"

    rebound = engine.repository.deploy(org["designer"], corpus_files(BPMN))  # binds the new table
    assert [(p.version, p.created) for p in rebound.processes] == [(2, True)]
    assert route_of_hardware(engine, org) == "handle_d2"
    assert route_of_hardware(engine, org, version=1) == "handle_d1"
    (classify,) = early.open_tasks
    done = engine.tasks.complete(org["staff_D1"], classify.id, {"category": "hardware"})
    assert [t.activity_id for t in done.open_tasks] == ["handle_d1"]


def test_a_process_calling_a_decision_never_deployed_is_still_refused(engine: ProcessEngine, org: Org) -> None:
    with pytest.raises(InvalidModel) as refused:
        engine.repository.deploy(org["designer"], corpus_files(BPMN))
    assert "decision_missing" in {p.code for p in refused.value.problems}
