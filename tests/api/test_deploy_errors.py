"""Bad models through ``POST /deployments``: each a 422 (413 when too large) problem naming the file,
line and element, and nothing stored. The models are the engine's deploy-validation cases."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

import pytest
from flask.testing import FlaskClient

from engine import ProcessEngine
from engine.spiff.parsing import ParseLimits
from tests.api.conftest import PROBLEM_JSON, Api, Org, make_engine, row_counts
from webapi.app import create_app

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'id="defs" targetNamespace="http://wutong.example/test">\n'
)
FOOTER = "</bpmn:definitions>\n"
END = '  <bpmn:sequenceFlow id="flow_first_end" sourceRef="first" targetRef="end"/>\n  <bpmn:endEvent id="end"/>\n'
TASK_FIRST = '  <bpmn:task id="first"/>\n' + END


def bpmn(body: str, start: bool = True) -> bytes:
    start_xml = (
        '  <bpmn:startEvent id="start"/>\n  <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="first"/>\n'
        if start
        else ""
    )
    return (HEADER + f'<bpmn:process id="p" isExecutable="true">\n{start_xml}{body}</bpmn:process>\n' + FOOTER).encode()


def line_of(data: bytes, marker: str) -> int:
    text = data.decode()
    return text.count("\n", 0, text.index(marker)) + 1


def with_doctype(doctype: str) -> bytes:
    return bpmn(TASK_FIRST).replace(b"?>\n", f"?>\n{doctype}\n".encode(), 1)


XXE = with_doctype('<!DOCTYPE definitions [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>').replace(
    b'<bpmn:task id="first"/>', b'<bpmn:task id="first"><bpmn:documentation>&xxe;</bpmn:documentation></bpmn:task>'
)
LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    b' <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    b' <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">\n'
    b"]>\n<lolz>&lol2;</lolz>\n"
)
FORM_TASK = bpmn(
    '  <bpmn:userTask id="first"><bpmn:extensionElements><spiffworkflow:properties>\n'
    '    <spiffworkflow:property name="formJsonSchemaFilename" value="absent.json"/>\n'
    "  </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>\n" + END
)
TIMER = bpmn(
    '  <bpmn:intermediateCatchEvent id="first">\n    <bpmn:timerEventDefinition>\n'
    '      <bpmn:timeDuration>"P3X"</bpmn:timeDuration>\n    </bpmn:timerEventDefinition>\n'
    "  </bpmn:intermediateCatchEvent>\n" + END
)
SCRIPT = bpmn(
    '  <bpmn:scriptTask id="first">\n    <bpmn:script>a = 1\nc = (a +\nd = 4</bpmn:script>\n'
    "  </bpmn:scriptTask>\n" + END
)


@dataclass(frozen=True)
class BadModel:
    data: bytes
    code: str
    element_id: str | None
    line: int | None  # None: the engine gives no line for this problem


NO_START = bpmn('  <bpmn:task id="first"/>\n', start=False)
LOST = bpmn('  <bpmn:task id="first"/>\n  <bpmn:sequenceFlow id="flow_lost" sourceRef="first" targetRef="nowhere"/>\n')
BROKEN = bpmn('  <bpmn:task id="first">\n' + END)
DUPLICATE = bpmn('  <bpmn:task id="first"/>\n  <bpmn:task id="first"/>\n' + END)
UNKNOWN = bpmn('  <bpmn:task id="first"/>\n  <bpmn:fancyTask id="fancy"/>\n' + END)
CALLER = bpmn('  <bpmn:callActivity id="first" calledElement="elsewhere"/>\n' + END)

BAD_MODELS: dict[str, BadModel] = {
    "xxe": BadModel(XXE, "doctype_forbidden", None, 2),
    "billion_laughs": BadModel(LAUGHS, "doctype_forbidden", None, 2),
    "doctype": BadModel(with_doctype("<!DOCTYPE bpmn:definitions>"), "doctype_forbidden", None, 2),
    "broken_xml": BadModel(BROKEN, "xml_syntax", None, line_of(BROKEN, "</bpmn:process>")),
    "missing_start_event": BadModel(NO_START, "missing_start_event", "p", line_of(NO_START, '<bpmn:process id="p"')),
    "flow_to_missing_id": BadModel(LOST, "flow_target_missing", "flow_lost", line_of(LOST, 'id="flow_lost"')),
    "duplicate_ids": BadModel(DUPLICATE, "duplicate_id", "first", line_of(DUPLICATE, '<bpmn:task id="first"/>') + 1),
    "unknown_element": BadModel(UNKNOWN, "xsd_invalid", "fancy", line_of(UNKNOWN, "fancyTask")),
    "missing_form_file": BadModel(FORM_TASK, "form_missing", "first", line_of(FORM_TASK, "formJsonSchemaFilename")),
    "bad_timer_expression": BadModel(TIMER, "bad_timer_expression", "first", line_of(TIMER, "P3X")),
    "script_syntax_error": BadModel(SCRIPT, "expression_syntax", "first", None),
    "call_activity_to_missing_process": BadModel(CALLER, "call_activity_target_missing", "first",
                                                 line_of(CALLER, "callActivity")),
}


@pytest.mark.parametrize("name", list(BAD_MODELS))
def test_bad_model_is_a_422_naming_file_line_and_element(api: Api, database_url: str, name: str) -> None:
    model = BAD_MODELS[name]
    before = row_counts(database_url)
    response = api.deploy({f"{name}.bpmn": model.data})
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == PROBLEM_JSON
    body = response.get_json()
    assert body["code"] == "invalid_model"
    matching = [e for e in body["errors"] if e["code"] == model.code]
    assert matching, body["errors"]
    problem = matching[0]
    assert problem["file"] == f"{name}.bpmn"
    assert problem["element_id"] == model.element_id
    if model.line is not None:
        assert problem["line"] == model.line
    else:
        assert isinstance(problem["line"], int)
    assert "root:" not in response.get_data(as_text=True)
    assert row_counts(database_url) == before


def _small_app(database_url: str, limit: int) -> tuple[FlaskClient, ProcessEngine]:
    engine = make_engine(database_url, parse=ParseLimits(max_file_bytes=limit, max_total_bytes=limit * 4))
    return create_app({"TESTING": True}, engine=engine).test_client(), engine


def test_oversize_file_is_a_413_naming_the_file(org: Org, database_url: str) -> None:
    data = bpmn(TASK_FIRST)
    client, engine = _small_app(database_url, len(data) - 1)
    before = row_counts(database_url)
    response = client.post("/api/v1/deployments", headers=org.headers("designer"),
                           data={"files": [(BytesIO(data), "big.bpmn")]}, content_type="multipart/form-data")
    engine.close()
    assert response.status_code == 413
    assert response.mimetype == PROBLEM_JSON
    body = response.get_json()
    assert body["code"] == "too_large"
    assert [e["file"] for e in body["errors"]] == ["big.bpmn"]
    assert row_counts(database_url) == before


def test_request_body_over_the_upload_limit_is_a_413(org: Org, database_url: str) -> None:
    client, engine = _small_app(database_url, 1000)
    before = row_counts(database_url)
    huge = b"x" * (5 * 1024 * 1024)
    response = client.post("/api/v1/deployments", headers=org.headers("designer"),
                           data={"files": [(BytesIO(huge), "huge.bpmn")]}, content_type="multipart/form-data")
    engine.close()
    assert response.status_code == 413
    assert response.mimetype == PROBLEM_JSON
    assert response.get_json()["code"] == "request_too_large"
    assert row_counts(database_url) == before


def test_upload_without_files_is_a_422_naming_files(api: Api, database_url: str) -> None:
    before = row_counts(database_url)
    response = api.post("/deployments", "designer", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["/files"]
    assert row_counts(database_url) == before
