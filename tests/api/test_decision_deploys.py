"""``POST /deployments`` with DMN files alone: new versions of their decisions, in the answer."""

from __future__ import annotations

from tests.api.conftest import Api, corpus


def test_a_dmn_only_upload_deploys_a_decision_version(api: Api) -> None:
    response = api.deploy(corpus("business_rule.dmn"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["processes"] == []
    assert body["decisions"] == [{"key": "route_category", "version": 1, "file": "business_rule.dmn", "created": True}]
    process = api.deploy(corpus("business_rule.bpmn"))
    assert process.status_code == 201, process.get_json()
    assert [p["key"] for p in process.get_json()["processes"]] == ["business_rule"]
