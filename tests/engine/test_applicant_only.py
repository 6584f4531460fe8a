"""Steps a process marks ``applicantOnly`` (the company's own confirmation or rating) (issue 10.9)."""

from __future__ import annotations

import pytest

from engine import Forbidden, InvalidInput, InvalidModel, ProcessEngine
from tests.engine.conftest import Org, process_files, table_counts
from tests.engine.test_tasks import open_task

CONFIRM = '<bpmn:userTask id="confirm" name="Confirm">'


def _marked(value: str = "true", step: str = CONFIRM) -> dict[str, bytes]:
    files = process_files("form_task.bpmn", "fill.json")
    prop = (
        "<bpmn:extensionElements><spiffworkflow:properties>"
        f'<spiffworkflow:property name="applicantOnly" value="{value}"/>'
        "</spiffworkflow:properties></bpmn:extensionElements>"
    )
    text = files["form_task.bpmn"].decode()
    assert step in text
    files["form_task.bpmn"] = text.replace(step, step + prop, 1).encode()
    return files


@pytest.fixture
def case(engine: ProcessEngine, org: Org) -> str:
    engine.repository.deploy(org["designer"], _marked())
    view = engine.runtime.start(
        org["staff_D1"], "form_task", variables={"company": "梧桐"}, applicant_id=org["applicant"].user_id
    )
    engine.tasks.complete(org["staff_D1"], open_task(engine, org, view.id, "fill"), {"amount": 3, "email": "a@b.cn"})
    engine.tasks.complete(org["staff_D2"], open_task(engine, org, view.id, "review"))
    engine.tasks.complete(org["staff_D3"], open_task(engine, org, view.id, "check"))
    return view.id


def test_staff_may_not_complete_an_applicant_only_step(engine: ProcessEngine, org: Org, case: str) -> None:
    confirm = open_task(engine, org, case, "confirm")
    before = table_counts(engine)
    with pytest.raises(Forbidden) as refused:
        engine.tasks.complete(org["staff_D1"], confirm, {"satisfied": True})
    assert refused.value.code == "applicant_only_step"
    assert table_counts(engine) == before


def test_the_applicant_completes_their_applicant_only_step(engine: ProcessEngine, org: Org, case: str) -> None:
    confirm = open_task(engine, org, case, "confirm")
    engine.tasks.complete(org["applicant"], confirm, {"satisfied": True})
    assert engine.runtime.get(org["admin"], case).state == "completed"


def test_a_process_with_applicant_only_steps_refuses_to_start_without_an_applicant(
    engine: ProcessEngine, org: Org
) -> None:
    engine.repository.deploy(org["designer"], _marked())
    with pytest.raises(InvalidInput) as refused:
        engine.runtime.start(org["staff_D1"], "form_task", variables={"company": "梧桐"})
    assert [p.field for p in refused.value.problems] == ["/applicant_id"]


def test_deploy_refuses_applicant_only_outside_the_applicant_lane(engine: ProcessEngine, org: Org) -> None:
    files = process_files("form_task.bpmn", "fill.json")
    fill = next(line for line in files["form_task.bpmn"].decode().splitlines() if 'id="fill"' in line)
    opening = fill[fill.index("<bpmn:userTask") : fill.index(">", fill.index("<bpmn:userTask")) + 1]
    with pytest.raises(InvalidModel) as refused:
        engine.repository.deploy(org["designer"], _marked(step=opening))
    assert "invalid_applicant_only" in [p.code for p in refused.value.problems]


def test_deploy_refuses_an_applicant_only_value_that_is_not_a_boolean(engine: ProcessEngine, org: Org) -> None:
    with pytest.raises(InvalidModel) as refused:
        engine.repository.deploy(org["designer"], _marked("yes"))
    assert [p.code for p in refused.value.problems] == ["invalid_applicant_only"]
