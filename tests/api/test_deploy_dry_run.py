"""The designer's API: `POST /deployments?dry_run=true` checks without storing, the `dead_end` check,
a deployment's files, and the running cases and deployer of every definition."""

from __future__ import annotations

from tests.api.conftest import Api, corpus, row_counts

PARALLEL = corpus("parallel.bpmn")["parallel.bpmn"]
# the join loses its outgoing flow (a dead end) and a condition that does not compile
BROKEN = PARALLEL.replace(
    b'<bpmn:sequenceFlow id="flow_join_final" sourceRef="join" targetRef="final" />', b""
).replace(
    b'<bpmn:sequenceFlow id="flow_final_end" sourceRef="final" targetRef="end" />',
    b'<bpmn:sequenceFlow id="flow_final_end" sourceRef="final" targetRef="end">'
    b"<bpmn:conditionExpression>amount &gt;&gt;= 3</bpmn:conditionExpression></bpmn:sequenceFlow>",
)


def dry_run(api: Api, files: dict[str, bytes]) -> dict[str, object]:
    from io import BytesIO

    data = {"files": [(BytesIO(content), name) for name, content in files.items()]}
    response = api.post("/deployments?dry_run=true", "designer", data=data, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    body: dict[str, object] = response.get_json()
    return body


def test_a_dry_run_of_a_broken_model_lists_each_problem_at_its_element_and_stores_nothing(
    api: Api, database_url: str
) -> None:
    before = row_counts(database_url)
    body = dry_run(api, {"parallel.bpmn": BROKEN})
    assert body["valid"] is False
    found = {(p["code"], p["element_id"]) for p in body["problems"]}  # type: ignore[attr-defined]
    assert ("dead_end", "join") in found
    assert ("expression_syntax", "flow_final_end") in found
    assert row_counts(database_url) == before


def test_a_dry_run_of_a_good_model_says_which_version_a_deploy_would_make(api: Api, database_url: str) -> None:
    before = row_counts(database_url)
    body = dry_run(api, {"parallel.bpmn": PARALLEL})
    assert body["valid"] is True and body["problems"] == []
    assert body["processes"] == [{"key": "parallel", "name": "Parallel review", "version": 1, "created": True,
                                  "previous_version": None, "changes": None}]
    assert row_counts(database_url) == before


def test_a_dry_run_lists_the_elements_added_removed_and_changed_since_the_newest_version(api: Api) -> None:
    assert api.deploy({"parallel.bpmn": PARALLEL}).status_code == 201
    changed = PARALLEL.replace(b'name="Final decision"', b'name="Final sign-off"').replace(
        b'<bpmn:userTask id="task_d3" name="Review in D3" />', b""
    ).replace(b'<bpmn:flowNodeRef>task_d3</bpmn:flowNodeRef>', b"").replace(
        b'<bpmn:sequenceFlow id="flow_split_task_d3" sourceRef="split" targetRef="task_d3" />', b""
    ).replace(
        b'<bpmn:sequenceFlow id="flow_task_d3_join" sourceRef="task_d3" targetRef="join" />',
        b'<bpmn:userTask id="task_d4" name="Review again" />'
        b'<bpmn:sequenceFlow id="flow_split_task_d4" sourceRef="split" targetRef="task_d4" />'
        b'<bpmn:sequenceFlow id="flow_task_d4_join" sourceRef="task_d4" targetRef="join" />',
    )
    body = dry_run(api, {"parallel.bpmn": changed})
    [process] = body["processes"]  # type: ignore[misc]
    assert (process["version"], process["created"], process["previous_version"]) == (2, True, 1)
    changes = process["changes"]
    assert sorted(e["id"] for e in changes["added"]) == ["flow_split_task_d4", "flow_task_d4_join", "task_d4"]
    assert sorted(e["id"] for e in changes["removed"]) == ["flow_split_task_d3", "flow_task_d3_join", "task_d3"]
    assert sorted(e["id"] for e in changes["changed"]) == ["final", "lane_d3"]
    assert {"id": "final", "type": "userTask", "name": "Final sign-off"} in changes["changed"]


def test_a_dry_run_of_the_deployed_files_would_create_nothing(api: Api) -> None:
    assert api.deploy({"parallel.bpmn": PARALLEL}).status_code == 201
    [process] = dry_run(api, {"parallel.bpmn": PARALLEL})["processes"]  # type: ignore[misc]
    assert (process["version"], process["created"]) == (1, False)
    assert process["changes"] == {"added": [], "removed": [], "changed": []}


def test_a_deploy_refuses_a_gateway_without_outgoing_flow_naming_it(api: Api) -> None:
    response = api.deploy({"parallel.bpmn": BROKEN})
    assert response.status_code == 422
    dead = [p for p in response.get_json()["errors"] if p["code"] == "dead_end"]
    assert [(p["element_id"], p["file"]) for p in dead] == [("join", "parallel.bpmn")]
    assert "no outgoing sequence flow" in dead[0]["message"]


def test_a_dry_run_is_for_designers(api: Api) -> None:
    from io import BytesIO

    data = {"files": [(BytesIO(PARALLEL), "parallel.bpmn")]}
    response = api.post("/deployments?dry_run=true", "staff_D1", data=data, content_type="multipart/form-data")
    assert response.status_code == 403


def test_a_deployment_lists_its_files_and_versions_and_serves_each_file(api: Api) -> None:
    deployed = api.deploy({"parallel.bpmn": PARALLEL})
    deployment_id = deployed.get_json()["id"]
    body = api.get(f"/deployments/{deployment_id}", "designer").get_json()
    assert body["files"] == ["parallel.bpmn"]
    assert body["deployed_by"]["username"] == "designer"
    assert [(p["key"], p["version"]) for p in body["processes"]] == [("parallel", 1)]
    file = api.get(f"/deployments/{deployment_id}/files/parallel.bpmn", "designer")
    assert file.status_code == 200 and file.data == PARALLEL
    assert file.mimetype == "application/xml"


def test_a_missing_deployment_file_is_not_found(api: Api) -> None:
    deployment_id = api.deploy({"parallel.bpmn": PARALLEL}).get_json()["id"]
    response = api.get(f"/deployments/{deployment_id}/files/other.bpmn", "designer")
    assert response.status_code == 404
    assert response.get_json()["code"] == "deployment_file_not_found"


def test_an_applicant_reads_no_deployment(api: Api) -> None:
    deployment_id = api.deploy({"parallel.bpmn": PARALLEL}).get_json()["id"]
    assert api.get(f"/deployments/{deployment_id}", "applicant").status_code == 404
    assert api.get(f"/deployments/{deployment_id}/files/parallel.bpmn", "applicant").status_code == 404


def test_definitions_show_running_cases_and_who_deployed_them(api: Api) -> None:
    assert api.deploy({"parallel.bpmn": PARALLEL}).status_code == 201
    started = api.post("/process-definitions/key/parallel/start", "staff_D1", json={"variables": {}})
    assert started.status_code == 201, started.get_json()
    [definition] = api.get("/process-definitions?key=parallel", "designer").get_json()
    assert definition["running_cases"] == 1
    assert definition["deployed_by"]["username"] == "designer"
