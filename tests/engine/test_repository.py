"""Repository service: versions per process key, lane mapping at deploy time, nothing stored on refusal."""

from __future__ import annotations

import pytest

from engine import Forbidden, InvalidModel, NotFound, ProcessEngine
from tests.engine.conftest import Org, corpus_files, process_files, table_counts


def test_a_first_deploy_creates_version_one(engine: ProcessEngine, org: Org) -> None:
    result = engine.repository.deploy(org["designer"], corpus_files("parallel.bpmn"))
    assert result.created and result.id is not None
    assert [(p.key, p.version, p.created) for p in result.processes] == [("parallel", 1, True)]


def test_identical_content_gets_no_new_version(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], corpus_files("parallel.bpmn"))
    before = table_counts(engine)
    again = engine.repository.deploy(org["designer"], corpus_files("parallel.bpmn"))
    assert (again.created, again.id) == (False, None)
    assert [(p.version, p.created) for p in again.processes] == [(1, False)]
    assert {k: v for k, v in table_counts(engine).items() if k != "audit_events"} == {
        k: v for k, v in before.items() if k != "audit_events"
    }


def test_changed_content_gets_the_next_version_and_running_cases_keep_theirs(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], corpus_files("parallel.bpmn"))
    case = engine.runtime.start(org["staff_D1"], "parallel")
    changed = corpus_files("parallel.bpmn")["parallel.bpmn"].replace(b'name="Final', b'name="Last')
    assert changed != corpus_files("parallel.bpmn")["parallel.bpmn"]
    result = engine.repository.deploy(org["designer"], {"parallel.bpmn": changed})
    assert [(p.version, p.created) for p in result.processes] == [(2, True)]
    assert engine.runtime.get(org["admin"], case.id).version == 1
    assert engine.runtime.start(org["staff_D1"], "parallel").version == 2
    assert engine.runtime.start(org["staff_D1"], "parallel", version=1).version == 1


def test_only_some_processes_of_an_upload_may_change(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], corpus_files("call_activity.bpmn", "call_activity_child.bpmn"))
    parent = corpus_files("call_activity.bpmn")["call_activity.bpmn"].replace(b'name="Prepare', b'name="Get ready')
    result = engine.repository.deploy(
        org["designer"], {"call_activity.bpmn": parent, **corpus_files("call_activity_child.bpmn")}
    )
    assert sorted((p.key, p.version, p.created) for p in result.processes) == [
        ("call_activity", 2, True),
        ("call_activity_child", 1, False),
    ]


def test_definitions_are_listed_with_the_latest_filter(engine: ProcessEngine, org: Org) -> None:
    engine.repository.deploy(org["designer"], corpus_files("parallel.bpmn"))
    changed = corpus_files("parallel.bpmn")["parallel.bpmn"].replace(b'name="Final', b'name="Last')
    engine.repository.deploy(org["designer"], {"parallel.bpmn": changed})
    assert [d.version for d in engine.repository.list_definitions(org["staff_D1"], key="parallel")] == [2, 1]
    latest = engine.repository.list_definitions(org["staff_D1"], latest=True)
    assert [(d.key, d.version) for d in latest] == [("parallel", 2)]
    assert engine.repository.get_xml(org["staff_D1"], latest[0].id) == changed
    assert engine.repository.get_definition(org["staff_D1"], latest[0].id).lanes == {
        "lane_d1": "D1",
        "lane_d2": "D2",
        "lane_d3": "D3",
    }


def test_an_unknown_definition_is_not_found(engine: ProcessEngine, org: Org) -> None:
    with pytest.raises(NotFound):
        engine.repository.get_definition(org["designer"], "00000000-0000-0000-0000-000000000000")


def test_a_lane_naming_no_department_is_refused_naming_the_lane(engine: ProcessEngine, org: Org) -> None:
    before = table_counts(engine)
    files = process_files("unmapped_lane.bpmn", "fill.json")
    with pytest.raises(InvalidModel) as raised:
        engine.repository.deploy(org["designer"], files)
    assert [(p.code, p.element_id, p.file) for p in raised.value.problems] == [
        ("lane_unmapped", "lane_d1", "unmapped_lane.bpmn")
    ]
    assert raised.value.problems[0].line is not None
    assert table_counts(engine) == before


def test_startable_by_must_name_known_departments(engine: ProcessEngine, org: Org) -> None:
    files = process_files("restricted.bpmn")
    files["restricted.bpmn"] = files["restricted.bpmn"].replace(
        b'name="startableBy" value="D2"', b'name="startableBy" value="D9"'
    )
    with pytest.raises(InvalidModel) as raised:
        engine.repository.deploy(org["designer"], files)
    assert raised.value.problems[0].code == "unknown_department"


def test_only_designers_and_admins_deploy(engine: ProcessEngine, org: Org) -> None:
    for name in ("staff_D1", "supervisor_D1", "auditor", "applicant"):
        with pytest.raises(Forbidden):
            engine.repository.deploy(org[name], corpus_files("parallel.bpmn"))
    assert engine.repository.deploy(org["admin"], corpus_files("parallel.bpmn")).created


def test_a_broken_model_stores_nothing(engine: ProcessEngine, org: Org) -> None:
    before = table_counts(engine)
    broken = corpus_files("parallel.bpmn")["parallel.bpmn"].replace(b'targetRef="task_d1"', b'targetRef="nowhere"')
    with pytest.raises(InvalidModel) as raised:
        engine.repository.deploy(org["designer"], {"parallel.bpmn": broken})
    assert raised.value.problems[0].code == "flow_target_missing"
    assert table_counts(engine) == before


def test_a_required_role_must_be_a_staff_role(engine: ProcessEngine, org: Org) -> None:
    files = process_files("incidents.bpmn", "pick.dmn")
    files["incidents.bpmn"] = files["incidents.bpmn"].replace(
        b'<spiffworkflow:property name="assignDepartment" value="target_department" />',
        b'<spiffworkflow:property name="assignDepartment" value="target_department" />'
        b'<spiffworkflow:property name="requiredRole" value="wizard" />',
    )
    with pytest.raises(InvalidModel) as raised:
        engine.repository.deploy(org["designer"], files)
    assert [(p.code, p.element_id) for p in raised.value.problems] == [("unknown_role", "routed")]
