"""Deploying the shipped library into an engine that knows the demo organisation, through the engine
services and through the API."""

from __future__ import annotations

import pytest

import bpmn
from engine import Forbidden, FrozenClock, ProcessEngine
from engine.results import DeploymentResult
from tests.bpmn.desk import SHIPPED_KEYS as KEYS
from tests.bpmn.desk import ApiDesk, Org


def test_shipped_library_deploys_in_one_deployment(deployment: DeploymentResult) -> None:
    assert deployment.created and deployment.id is not None
    assert {p.key for p in deployment.processes} == KEYS
    assert all(p.created and p.version == 1 for p in deployment.processes)


def test_redeploying_the_unchanged_library_creates_no_new_version(
    engine: ProcessEngine, org: Org, deployment: DeploymentResult
) -> None:
    again = engine.repository.deploy(org["designer"], bpmn.process_files())
    assert not again.created
    assert {(p.key, p.version) for p in again.processes} == {(key, 1) for key in KEYS}


def test_deployed_definitions_keep_the_process_properties(
    engine: ProcessEngine, org: Org, deployment: DeploymentResult
) -> None:
    definitions = {d.key: d for d in engine.repository.list_definitions(org["auditor"], latest=True)}
    assert set(definitions) == KEYS
    for definition in definitions.values():
        assert definition.properties["ownerDepartment"] == "ops_center"
        assert definition.properties["ledger.closed"] == "closed"


def test_deployed_lanes_resolve_to_departments_and_the_applicant(
    engine: ProcessEngine, org: Org, deployment: DeploymentResult
) -> None:
    definition = engine.repository.list_definitions(org["auditor"], key="utility_connection", latest=True)[0]
    assert definition.lanes == {
        "lane_applicant": None,
        "lane_ops_center": "ops_center",
        "lane_water_supply": "water_supply",
        "lane_innovation_dev": "innovation_dev",
        "lane_road_bridge": "road_bridge",
        "lane_municipal_works": "municipal_works",
        "lane_urban_mgmt": "urban_mgmt",
        "lane_subdistrict": "subdistrict",
        "lane_village": "village",
    }


def test_designer_deploys_the_shipped_library_through_the_api_in_one_deployment(
    engine: ProcessEngine, org: Org, clock: FrozenClock
) -> None:
    desk = ApiDesk.around(engine, org, clock)
    assert sorted(desk.deploy(bpmn.process_files())) == sorted((key, 1, True) for key in KEYS)
    assert {d.key for d in engine.repository.list_definitions(org["auditor"], latest=True)} == KEYS


def test_staff_cannot_deploy_the_shipped_library_through_the_api(
    engine: ProcessEngine, org: Org, clock: FrozenClock
) -> None:
    desk = ApiDesk.around(engine, org, clock)
    with pytest.raises(Forbidden):
        desk.deploy(bpmn.process_files(), by="ops_center.staff1")
    assert engine.repository.list_definitions(org["auditor"]) == []
