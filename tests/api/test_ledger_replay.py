"""The seed article's year replayed through the HTTP API: 378 problems received in one process, 316
driven to completion and struck off, the rest left open; the summary publishes 378 received, 378
accepted, 316 closed, an acceptance rate of 100% and a closure rate of 83.6%."""

from __future__ import annotations

from tests.api.conftest import Api, api_model

RECEIVED, CLOSED = 378, 316


def test_the_year_replayed_gives_the_published_figures(api: Api) -> None:
    assert api.deploy(api_model("ledger_case.bpmn")).status_code == 201
    cases = []
    for n in range(RECEIVED):
        variables = {"company": f"企业{n}", "category": "政策咨询", "lead_department": "D1", "accepted": True,
                     "closed": False, "terminate": False}
        cases.append(api.start("ledger_case", variables=variables)["id"])
    tasks = {t["instance_id"]: t["id"] for t in _open_tasks(api)}
    for case in cases[:CLOSED]:
        response = api.post(f"/tasks/{tasks[case]}/complete", "staff_D1", json={"data": {"closed": True}})
        assert response.status_code == 200, response.get_json()
    body = api.get("/reports/summary", "auditor", query_string={"process": "ledger_case"}).get_json()
    assert (body["received"], body["accepted"], body["closed"], body["open"]) == (378, 378, 316, 62)
    assert body["acceptance_rate"] == {"numerator": 378, "denominator": 378, "fraction": 1.0, "percent": 100.0}
    assert body["closure_rate"] == {"numerator": 316, "denominator": 378, "fraction": 0.836, "percent": 83.6}


def _open_tasks(api: Api) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    page = 1
    while True:
        response = api.get("/tasks", "admin", query_string={"state": "open", "page": page, "page_size": 200})
        assert response.status_code == 200, response.get_json()
        batch = response.get_json()
        found.extend(batch)
        if len(batch) < 200:
            return found
        page += 1
