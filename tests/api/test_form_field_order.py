"""A task's form reaches the pages with its fields in the order the form's author wrote them, not
alphabetically, because the renderer lays fields out in the schema's key order."""

from __future__ import annotations

import json

from tests.api.conftest import Api, api_model


def test_a_task_form_keeps_the_authored_field_order(api: Api) -> None:
    files = api_model("form_check.bpmn", "approve.json")
    authored = list(json.loads(files["approve.json"])["properties"])
    assert authored != sorted(authored)  # the fixture must be out of alphabetical order to prove anything
    assert api.deploy(files).status_code == 201
    case = api.start("form_check", department="D1")
    task = api.task_for(case["id"], "approve")

    form = api.get(f"/tasks/{task['id']}").get_json()["form"]

    assert list(form["properties"]) == authored
