"""The happy path a new user walks: deploy, start, each department works its task, the case ends."""

from __future__ import annotations

from tests.api.conftest import Api, corpus


def test_parallel_case_from_deployment_to_the_end(api: Api) -> None:
    deployed = api.deploy(corpus("parallel.bpmn"))
    assert deployed.status_code == 201
    assert [(p["key"], p["version"], p["created"]) for p in deployed.get_json()["processes"]] == [
        ("parallel", 1, True)
    ]

    started = api.post("/process-definitions/key/parallel/start", "staff_D1",
                       json={"business_key": "REQ-1", "variables": {"topic": "roof"}})
    assert started.status_code == 201
    case = started.get_json()
    assert started.headers["Location"].endswith(f"/api/v1/process-instances/{case['id']}")
    assert (case["state"], case["department"], case["owner"]["username"]) == ("running", "D1", "staff_D1")

    for code, activity in (("D2", "task_d2"), ("D3", "task_d3"), ("D1", "task_d1")):
        inbox = api.get("/tasks", f"staff_{code}", query_string={"department": code, "state": "open"})
        assert inbox.status_code == 200
        mine = [t for t in inbox.get_json() if t["activity_id"] == activity]
        assert len(mine) == 1, inbox.get_json()
        task_id = mine[0]["id"]
        task = api.get(f"/tasks/{task_id}", f"staff_{code}").get_json()
        assert (task["instance_id"], task["process_key"], task["business_key"]) == (case["id"], "parallel", "REQ-1")
        assert api.post(f"/tasks/{task_id}/claim", f"staff_{code}").get_json()["state"] == "claimed"
        done = api.post(f"/tasks/{task_id}/complete", f"staff_{code}", json={"data": {f"ok_{code}": True}})
        assert done.status_code == 200
        assert done.get_json()["task"]["state"] == "completed"
        assert done.get_json()["case_state"] == "running"

    final = api.get("/tasks", "staff_D1", query_string={"instance_id": case["id"], "state": "open"}).get_json()
    assert [t["activity_id"] for t in final] == ["final"]
    finished = api.post(f"/tasks/{final[0]['id']}/complete", "staff_D1", json={"data": {"decision": "yes"}})
    assert finished.get_json()["case_state"] == "completed"
    assert finished.get_json()["open_tasks"] == []

    ended = api.get(f"/process-instances/{case['id']}", "staff_D1").get_json()
    assert ended["state"] == "completed" and ended["ended_at"] is not None
    assert {"ok_D1": True, "ok_D2": True, "ok_D3": True, "decision": "yes"}.items() <= ended["variables"].items()
    actions = [e["action"] for e in api.get(f"/process-instances/{case['id']}/history", "auditor").get_json()]
    assert actions[0] == "case.started" and actions.count("task.completed") == 4
