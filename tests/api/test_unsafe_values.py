"""Values case data may not hold are refused at the door with 422 naming the field, never 500.

Red-team regressions (issue 8 items 2a, 13, 14): a ``typename`` key anywhere (the serializer's marker),
integers of more than 4,300 digits (Python refuses to read them: 500), integers past ±(2^53−1), and
variables named like the sandbox's own names (``_wt_tick_``), in start variables, form data, variable
patches and message payloads. Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from engine import SYSTEM, ProcessEngine
from tests.api.conftest import PROBLEM_JSON, Api, api_model, corpus, row_counts

HUGE = "1" * 4301
VALID = '"decision": "approve", "amount": 3'


@dataclass(frozen=True)
class Unsafe:
    method: str
    path: str  # {case}, {task}, {waiting} are filled in
    body: str  # raw JSON
    field: str
    code: str
    as_: str = "admin"


UNSAFE: dict[str, Unsafe] = {
    "huge integer in start variables": Unsafe(
        "POST", "/process-definitions/key/form_check/start", f'{{"department": "D1", "variables": {{"n": {HUGE}}}}}',
        "/variables/n", "out_of_range"),
    "huge integer in a plain field": Unsafe("POST", "/departments", f'{{"code": "DX", "name": {HUGE}}}', "/name",
                                            "out_of_range"),
    "huge negative integer in form data": Unsafe("POST", "/tasks/{task}/complete",
                                                 f'{{"data": {{{VALID}, "x": [-{HUGE}]}}}}', "/data/x/0",
                                                 "out_of_range", "staff_D1"),
    "integer past 2^53 in form data": Unsafe("POST", "/tasks/{task}/complete",
                                             f'{{"data": {{{VALID}, "x": 9007199254740992}}}}', "/x",
                                             "out_of_range", "staff_D1"),
    "typename in start variables": Unsafe(
        "POST", "/process-definitions/key/form_check/start",
        '{"department": "D1", "variables": {"x": [{"typename": "BpmnWorkflow"}]}}', "/x/0/typename", "reserved_key"),
    "typename in form data": Unsafe("POST", "/tasks/{task}/complete",
                                    f'{{"data": {{{VALID}, "x": {{"typename": "Task"}}}}}}', "/x/typename",
                                    "reserved_key", "staff_D1"),
    "typename in a variable patch": Unsafe("PATCH", "/process-instances/{case}/variables",
                                           '{"set": {"x": {"typename": "Task"}}, "reason": "r"}', "/x/typename",
                                           "reserved_key"),
    "typename in a message payload": Unsafe("POST", "/messages",
                                            '{"name": "order_ready", "instance_id": "{waiting}",'
                                            ' "payload": {"x": {"typename": "Task"}}}', "/payload/x/typename",
                                            "reserved_key", "staff_D1"),
    "sandbox name in form data": Unsafe("POST", "/tasks/{task}/complete", f'{{"data": {{{VALID}, "_wt_tick_": 1}}}}',
                                        "/_wt_tick_", "reserved_name", "staff_D1"),
    "sandbox name in start variables": Unsafe(
        "POST", "/process-definitions/key/form_check/start", '{"department": "D1", "variables": {"_getattr_": 1}}',
        "/_getattr_", "reserved_name"),
    "sandbox name in a variable patch": Unsafe("PATCH", "/process-instances/{case}/variables",
                                               '{"set": {"_wt_pow_": 1}, "reason": "r"}', "/_wt_pow_", "reserved_name"),
    "sandbox name in a message payload": Unsafe("POST", "/messages",
                                                '{"name": "order_ready", "instance_id": "{waiting}",'
                                                ' "payload": {"_print_": 1}}', "/payload/_print_", "reserved_name",
                                                "staff_D1"),
}


@pytest.fixture
def ids(api: Api, engine: ProcessEngine) -> dict[str, str]:
    assert api.deploy(api_model("form_check.bpmn", "approve.json")).status_code == 201
    assert api.deploy(corpus("message_receiver.bpmn")).status_code == 201
    case = engine.runtime.start(SYSTEM, "form_check", department="D1")
    waiting = engine.runtime.start(SYSTEM, "message_receiver", department="D1", variables={"order_id": "A"})
    engine.tasks.complete(SYSTEM, waiting.open_tasks[0].id, {})
    return {"case": case.id, "task": case.open_tasks[0].id, "waiting": waiting.id}


@pytest.mark.parametrize("name", list(UNSAFE))
def test_unsafe_values_are_refused_naming_the_field(api: Api, ids: dict[str, str], database_url: str,
                                                    name: str) -> None:
    unsafe = UNSAFE[name]
    body = unsafe.body.replace("{waiting}", ids["waiting"])
    before = row_counts(database_url)
    response = api.call(unsafe.method, unsafe.path.format(**ids), unsafe.as_, data=body,
                        content_type="application/json")
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    assert response.mimetype == PROBLEM_JSON
    errors: list[dict[str, Any]] = response.get_json()["errors"]
    assert (unsafe.field, unsafe.code) in {(e["field"], e["code"]) for e in errors}, errors
    assert row_counts(database_url) == before


def test_the_sandbox_names_refused_at_the_door_cover_every_name_the_sandbox_reserves() -> None:
    from engine.spiff.sandbox import _RESERVED
    from engine.storable import is_reserved_name

    assert all(is_reserved_name(name) for name in _RESERVED)
