"""Form schemas cannot reach outside themselves or stall the server: non-local ``$ref`` and patterns
RE2 cannot run are refused at deploy (naming the form and the JSON Pointer), and patterns match in
linear time when staff submit data."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from engine import SYSTEM, ProcessEngine
from tests.api.conftest import PROBLEM_JSON, Api, api_model, row_counts


class Listener:
    """An HTTP server on 127.0.0.1 that records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener.requests.append(self.path)
                body = b'{"type": "string"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/schema.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def deploy_form(api: Api, form: dict[str, Any]) -> Any:
    files = api_model("form_check.bpmn")
    files["approve.json"] = json.dumps(form).encode()
    return api.deploy(files)


def assert_refused(response: Any, code: str, field: str) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_JSON
    found = [(e["code"], e["file"], e["field"]) for e in response.get_json()["errors"]]
    assert (code, "approve.json", field) in found, found


def test_a_form_with_an_http_ref_is_refused_at_deploy_without_contacting_it(
    api: Api, listener: Listener, database_url: str
) -> None:
    before = row_counts(database_url)
    form = {"type": "object", "properties": {"name": {"$ref": listener.url}}}
    assert_refused(deploy_form(api, form), "form_ref_not_local", "/properties/name/$ref")
    assert listener.requests == []
    assert row_counts(database_url) == before


def test_a_form_with_a_file_ref_is_refused_at_deploy(api: Api) -> None:
    form = {"$defs": {"x": {"$ref": "file:///etc/passwd"}}, "type": "object"}
    assert_refused(deploy_form(api, form), "form_ref_not_local", "/$defs/x/$ref")


def test_a_form_whose_local_ref_points_nowhere_is_refused_at_deploy(api: Api) -> None:
    form = {"type": "object", "properties": {"name": {"$ref": "#/$defs/missing"}}}
    assert_refused(deploy_form(api, form), "form_ref_unresolvable", "/properties/name/$ref")


def test_a_form_with_local_refs_deploys_and_validates(api: Api, engine: ProcessEngine) -> None:
    form = {"type": "object", "$defs": {"code": {"type": "string", "pattern": "^[A-Z]{2}[0-9]+$"}},
            "properties": {"code": {"$ref": "#/$defs/code"}}, "required": ["code"]}
    assert deploy_form(api, form).status_code == 201
    task = engine.runtime.start(SYSTEM, "form_check", department="D1").open_tasks[0].id
    bad = api.post(f"/tasks/{task}/complete", "staff_D1", json={"data": {"code": "x1"}})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.get_json()["errors"]] == ["/code"]
    assert api.post(f"/tasks/{task}/complete", "staff_D1", json={"data": {"code": "AB12"}}).status_code == 200


@pytest.mark.parametrize(("pattern", "where"), [("(a)\\1", "pattern"), ("(?=x)y", "pattern"), ("[", "pattern"),
                                                ("(?<!x)k", "patternProperties")])
def test_a_pattern_re2_cannot_run_is_refused_at_deploy_naming_form_and_pointer(
    api: Api, pattern: str, where: str
) -> None:
    if where == "pattern":
        form = {"type": "object", "properties": {"code": {"type": "string", "pattern": pattern}}}
        field = "/properties/code/pattern"
    else:
        form = {"type": "object", "patternProperties": {pattern: {"type": "string"}}}
        field = "/patternProperties/" + pattern
    response = deploy_form(api, form)
    assert_refused(response, "form_pattern_invalid", field)
    assert "approve.json" in response.get_json()["errors"][0]["message"]


def test_a_backtracking_pattern_does_not_stall_a_submission(api: Api, engine: ProcessEngine) -> None:
    # Python's re needs ~15 s for this input (2**27 backtracking steps), 15x the limit; RE2 is linear
    form = {"type": "object", "properties": {"name": {"type": "string", "pattern": "^(a+)+$"},
                                             "rx": {"type": "string", "format": "regex"}}}
    assert deploy_form(api, form).status_code == 201
    task = engine.runtime.start(SYSTEM, "form_check", department="D1").open_tasks[0].id
    began = time.monotonic()
    response = api.post(f"/tasks/{task}/complete", "staff_D1", json={"data": {"name": "a" * 27 + "!"}})
    assert time.monotonic() - began < 1.0
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["/name"]


def test_a_regex_format_value_is_checked_with_re2(api: Api, engine: ProcessEngine) -> None:
    form = {"type": "object", "properties": {"rx": {"type": "string", "format": "regex"}}}
    assert deploy_form(api, form).status_code == 201
    task = engine.runtime.start(SYSTEM, "form_check", department="D1").open_tasks[0].id
    response = api.post(f"/tasks/{task}/complete", "staff_D1", json={"data": {"rx": "(a)\\1"}})
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["/rx"]
    assert api.post(f"/tasks/{task}/complete", "staff_D1", json={"data": {"rx": "^a+$"}}).status_code == 200
