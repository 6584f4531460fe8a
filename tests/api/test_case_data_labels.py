"""``GET /process-instances/{id}/data-labels``: the titles the forms of a case's process version give its
variables, so a case page reads "企业名称" rather than ``company_name``."""

from __future__ import annotations

from typing import Any

import pytest

import bpmn
from engine import FrozenClock, ProcessEngine
from engine.case_data_labels import form_labels
from engine.definitions import DefinitionModel
from engine.errors import NotFound
from tests.bpmn.conftest import clock, engine, org  # noqa: F401 (the demo organisation's fixtures)
from tests.bpmn.desk import ApiDesk, Org
from tests.bpmn.scenarios import uc_accept


@pytest.fixture
def desk(engine: ProcessEngine, org: Org, clock: FrozenClock) -> ApiDesk:  # noqa: F811
    made = ApiDesk.around(engine, org, clock)
    made.deploy(bpmn.process_files())
    return made


def _labels(desk: ApiDesk, case: str, as_: str) -> dict[str, dict[str, Any]]:
    listed = desk.call("GET", f"/process-instances/{case}/data-labels", as_=as_)
    return {label["name"]: label for label in listed}


def test_a_case_variable_reads_with_its_form_title(desk: ApiDesk) -> None:
    case = uc_accept(desk)
    labels = _labels(desk, case, "ops_center.staff1")
    assert labels["company_name"]["title"] == "企业名称"
    assert labels["supply_confirmed"] == {
        "name": "supply_confirmed", "title": "已正常用水（用电）", "type": "boolean", "format": None, "choices": []
    }


def test_coded_values_carry_their_titles(desk: ApiDesk) -> None:
    case = uc_accept(desk)
    choices = _labels(desk, case, "ops_center.staff1")["utility_type"]["choices"]
    assert choices == [{"value": "water", "title": "用水接入"}, {"value": "power", "title": "用电接入"}]


def test_a_date_field_says_its_format(desk: ApiDesk) -> None:
    case = uc_accept(desk)
    assert _labels(desk, case, "ops_center.staff1")["window_start"]["format"] == "date"


def test_labels_come_in_form_order_start_form_first(desk: ApiDesk) -> None:
    case = uc_accept(desk)
    names = list(_labels(desk, case, "ops_center.staff1"))
    assert names[:3] == ["company_name", "credit_code", "utility_type"]


def test_the_auditor_reads_the_same_labels(desk: ApiDesk) -> None:
    case = uc_accept(desk)
    assert _labels(desk, case, "auditor") == _labels(desk, case, "ops_center.staff1")


def test_labels_of_a_case_the_caller_may_not_see_are_not_found(desk: ApiDesk) -> None:
    case = uc_accept(desk)
    with pytest.raises(NotFound) as refused:
        desk.call("GET", f"/process-instances/{case}/data-labels", as_="songyue.applicant")
    assert refused.value.code == "case_not_found"


def test_enum_names_give_coded_values_their_titles() -> None:
    form = {"type": "object", "properties": {
        "level": {"type": "string", "title": "等级", "enum": ["a", "b"], "enumNames": ["甲", "乙"]},
        "untitled": {"type": "string"},
    }}
    model = DefinitionModel("p", None, {"startFormJsonSchemaFilename": "p.json"}, {}, {}, {}, forms={"p.json": form})
    (level,) = form_labels(model)
    assert (level.name, level.title) == ("level", "等级")
    assert [(c.value, c.title) for c in level.choices] == [("a", "甲"), ("b", "乙")]
