"""Deploy-time validation: a bad upload is refused with precise problems before anything is stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import InvalidModel, Problem, TooLarge
from engine.spiff import parsing_xml
from engine.spiff.parsing import LaneInfo, ParseLimits, parse_bundle

MODELS = Path(__file__).parent / "models"

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'id="defs" targetNamespace="http://wutong.example/test">\n'
)
FOOTER = "</bpmn:definitions>\n"


def bpmn(body: str, process_id: str = "p", start: bool = True) -> bytes:
    """A one-process BPMN file; with ``start`` the body hangs off a start event's flow to ``first``."""
    start_xml = (
        '  <bpmn:startEvent id="start"/>\n  <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="first"/>\n'
        if start
        else ""
    )
    return (
        HEADER + f'<bpmn:process id="{process_id}" isExecutable="true">\n{start_xml}{body}</bpmn:process>\n' + FOOTER
    ).encode()


def dmn(rules: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dmn_defs" name="T" '
        'namespace="http://wutong.example/dmn">\n'
        '  <decision id="decide" name="Decide">\n'
        '    <decisionTable id="table">\n'
        '      <input id="in_amount" label="Amount">\n'
        '        <inputExpression id="in_amount_expr" typeRef="integer">\n'
        "          <text>amount</text>\n"
        "        </inputExpression>\n"
        "      </input>\n"
        '      <output id="out_level" name="level" typeRef="string"/>\n'
        f"{rules}"
        "    </decisionTable>\n"
        "  </decision>\n"
        "</definitions>\n"
    ).encode()


def line_of(data: bytes, marker: str) -> int:
    """1-based line of the first occurrence of ``marker``."""
    index = data.decode().index(marker)
    return data.decode().count("\n", 0, index) + 1


def problems_of(files: dict[str, bytes]) -> list[Problem]:
    with pytest.raises(InvalidModel) as caught:
        parse_bundle(files)
    assert caught.value.code == "invalid_model"
    assert caught.value.problems
    return caught.value.problems


def one(problems: list[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, f"expected one {code!r} problem, got {problems}"
    return found[0]


def end(after: str) -> str:
    """An end event reached from ``after``."""
    return (
        f'  <bpmn:sequenceFlow id="flow_{after}_end" sourceRef="{after}" targetRef="end"/>\n'
        '  <bpmn:endEvent id="end"/>\n'
    )


TASK_FIRST = '  <bpmn:task id="first"/>\n' + end("first")


# ---------------------------------------------------------------- hostile XML


def test_external_entity_to_local_file_is_refused_and_never_read() -> None:
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE definitions [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n'
        + HEADER.split("\n", 1)[1]
        + '<bpmn:process id="p" isExecutable="true">\n'
        "  <bpmn:documentation>&xxe;</bpmn:documentation>\n"
        '  <bpmn:startEvent id="start"/>\n'
        "</bpmn:process>\n" + FOOTER
    ).encode()
    with pytest.raises(InvalidModel) as caught:
        parse_bundle({"xxe.bpmn": data})
    problem = one(caught.value.problems, "doctype_forbidden")
    assert (problem.file, problem.line) == ("xxe.bpmn", 2)
    everything = repr(caught.value) + repr(caught.value.problems) + str(caught.value)
    passwd = Path("/etc/passwd")
    if passwd.exists():
        for secret_line in passwd.read_text().splitlines()[:3]:
            assert secret_line not in everything
    assert "root:" not in everything


def test_external_entity_is_not_resolved_even_past_the_byte_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # Defence in depth: with the raw-bytes check switched off, the hardened parser still resolves
    # nothing and the parsed DOCTYPE is refused.
    monkeypatch.setattr(parsing_xml, "_forbidden_markup", lambda data: None)
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE definitions [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n'
        + HEADER.split("\n", 1)[1]
        + '<bpmn:process id="p" isExecutable="true">\n'
        "  <bpmn:documentation>&xxe;</bpmn:documentation>\n"
        '  <bpmn:startEvent id="start"/>\n'
        "</bpmn:process>\n" + FOOTER
    ).encode()
    with pytest.raises(InvalidModel) as caught:
        parse_bundle({"xxe.bpmn": data})
    problem = one(caught.value.problems, "doctype_forbidden")
    assert problem.file == "xxe.bpmn"
    assert "root:" not in repr(caught.value) + repr(caught.value.problems)


def test_billion_laughs_is_refused() -> None:
    data = (
        b'<?xml version="1.0"?>\n'
        b"<!DOCTYPE lolz [\n"
        b' <!ENTITY lol "lol">\n'
        b' <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
        b' <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">\n'
        b' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n'
        b"]>\n"
        b"<lolz>&lol3;</lolz>\n"
    )
    problem = one(problems_of({"laughs.bpmn": data}), "doctype_forbidden")
    assert (problem.file, problem.line) == ("laughs.bpmn", 2)


def test_any_doctype_is_refused() -> None:
    data = bpmn(TASK_FIRST).replace(b"?>\n", b"?>\n<!DOCTYPE bpmn:definitions>\n", 1)
    problem = one(problems_of({"doctype.bpmn": data}), "doctype_forbidden")
    assert (problem.file, problem.line) == ("doctype.bpmn", 2)


def test_doctype_in_utf16_is_refused() -> None:
    text = bpmn(TASK_FIRST).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    text = text.replace("?>\n", "?>\n<!DOCTYPE bpmn:definitions>\n", 1)
    problem = one(problems_of({"wide.bpmn": text.encode("utf-16")}), "doctype_forbidden")
    assert problem.file == "wide.bpmn"


def test_oversize_file_raises_too_large() -> None:
    data = bpmn(TASK_FIRST)
    with pytest.raises(TooLarge) as caught:
        parse_bundle({"big.bpmn": data}, ParseLimits(max_file_bytes=len(data) - 1))
    assert caught.value.code == "too_large"
    problem = one(caught.value.problems, "too_large")
    assert problem.file == "big.bpmn"


def test_oversize_upload_raises_too_large() -> None:
    data = bpmn(TASK_FIRST)
    limits = ParseLimits(max_file_bytes=len(data), max_total_bytes=len(data) + 10)
    with pytest.raises(TooLarge) as caught:
        parse_bundle({"a.bpmn": data, "b.bpmn": data}, limits)
    assert one(caught.value.problems, "too_large").file is None


def test_broken_xml_reports_xml_syntax_with_line() -> None:
    data = bpmn('  <bpmn:task id="first">\n' + end("first"))
    problem = one(problems_of({"broken.bpmn": data}), "xml_syntax")
    assert problem.file == "broken.bpmn"
    assert problem.line == line_of(data, "</bpmn:process>")


def test_unsupported_file_type_is_refused() -> None:
    problems = problems_of({"p.bpmn": bpmn(TASK_FIRST), "notes.txt": b"hello"})
    problem = one(problems, "unsupported_file")
    assert problem.file == "notes.txt"


def test_file_name_with_a_path_is_refused() -> None:
    problem = one(problems_of({"../p.bpmn": bpmn(TASK_FIRST)}), "bad_file_name")
    assert problem.file == "../p.bpmn"


# ---------------------------------------------------------------- schema and structure


def test_missing_start_event() -> None:
    data = bpmn('  <bpmn:task id="first"/>\n', start=False)
    problem = one(problems_of({"nostart.bpmn": data}), "missing_start_event")
    assert (problem.file, problem.element_id) == ("nostart.bpmn", "p")
    assert problem.line == line_of(data, '<bpmn:process id="p"')


def test_flow_to_missing_id_names_the_flow() -> None:
    data = bpmn(
        '  <bpmn:task id="first"/>\n  <bpmn:sequenceFlow id="flow_lost" sourceRef="first" targetRef="nowhere"/>\n'
    )
    problems = problems_of({"lost.bpmn": data})
    problem = one(problems, "flow_target_missing")
    assert (problem.file, problem.element_id) == ("lost.bpmn", "flow_lost")
    assert problem.line == line_of(data, 'id="flow_lost"')
    assert "nowhere" in problem.message
    assert not any("two items" in p.message for p in problems)


def test_duplicate_ids() -> None:
    data = bpmn('  <bpmn:task id="first"/>\n  <bpmn:task id="first"/>\n' + end("first"))
    problem = one(problems_of({"dup.bpmn": data}), "duplicate_id")
    assert (problem.file, problem.element_id) == ("dup.bpmn", "first")
    assert problem.line == line_of(data, '<bpmn:task id="first"/>') + 1


def test_unknown_element_is_an_xsd_problem() -> None:
    data = bpmn('  <bpmn:task id="first"/>\n  <bpmn:fancyTask id="fancy"/>\n' + end("first"))
    problem = one(problems_of({"unknown.bpmn": data}), "xsd_invalid")
    assert (problem.file, problem.element_id) == ("unknown.bpmn", "fancy")
    assert problem.line == line_of(data, "fancyTask")
    assert "bpmn:fancyTask" in problem.message


def test_call_activity_to_missing_process() -> None:
    data = bpmn('  <bpmn:callActivity id="first" calledElement="elsewhere"/>\n' + end("first"))
    problem = one(problems_of({"caller.bpmn": data}), "call_activity_target_missing")
    assert (problem.file, problem.element_id) == ("caller.bpmn", "first")
    assert problem.line == line_of(data, "callActivity")
    assert "elsewhere" in problem.message


def test_business_rule_task_without_its_decision() -> None:
    data = bpmn(
        '  <bpmn:businessRuleTask id="first"><bpmn:extensionElements>'
        "<spiffworkflow:calledDecisionId>absent</spiffworkflow:calledDecisionId>"
        "</bpmn:extensionElements></bpmn:businessRuleTask>\n" + end("first")
    )
    problem = one(problems_of({"rules.bpmn": data}), "decision_missing")
    assert (problem.file, problem.element_id, problem.line) == (
        "rules.bpmn",
        "first",
        line_of(data, "businessRule"),
    )


def test_service_task_is_refused_naming_the_element() -> None:
    data = bpmn(
        '  <bpmn:serviceTask id="first"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="http/get">'
        "</spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>\n" + end("first")
    )
    problem = one(problems_of({"service.bpmn": data}), "service_task_unsupported")
    assert (problem.file, problem.element_id, problem.line) == ("service.bpmn", "first", line_of(data, "serviceTask"))


def test_upload_without_executable_process() -> None:
    data = bpmn(TASK_FIRST).replace(b'isExecutable="true"', b'isExecutable="false"')
    one(problems_of({"draft.bpmn": data}), "no_executable_process")


def test_spiffworkflow_semantic_error_is_located() -> None:
    data = bpmn(
        '  <bpmn:task id="first"/>\n  <bpmn:task id="second"/>\n'
        '  <bpmn:sequenceFlow id="flow_a" sourceRef="first" targetRef="second"/>\n'
        '  <bpmn:sequenceFlow id="flow_b" sourceRef="first" targetRef="end"/>\n'
        '  <bpmn:endEvent id="end"/>\n'
    )
    problem = one(problems_of({"fork.bpmn": data}), "bpmn_invalid")
    assert (problem.file, problem.element_id) == ("fork.bpmn", "first")
    assert problem.line == line_of(data, '<bpmn:task id="first"')


# ---------------------------------------------------------------- forms


def _user_task_with_form(form: str) -> bytes:
    return bpmn(
        '  <bpmn:userTask id="first"><bpmn:extensionElements><spiffworkflow:properties>\n'
        f'    <spiffworkflow:property name="formJsonSchemaFilename" value="{form}"/>\n'
        "  </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>\n" + end("first")
    )


def test_missing_form_file() -> None:
    data = _user_task_with_form("absent.json")
    problem = one(problems_of({"form.bpmn": data}), "form_missing")
    assert (problem.file, problem.element_id) == ("form.bpmn", "first")
    assert problem.line == line_of(data, "formJsonSchemaFilename")
    assert "absent.json" in problem.message


def test_invalid_form_schema() -> None:
    files = {"form.bpmn": _user_task_with_form("f.json"), "f.json": b'{"type": "object", "required": "name"}'}
    problem = one(problems_of(files), "form_invalid")
    assert problem.file == "f.json"
    assert problem.field == "/required"


def test_form_that_is_not_json() -> None:
    files = {"form.bpmn": _user_task_with_form("f.json"), "f.json": b'{\n  "type": "object",\n  oops\n}'}
    problem = one(problems_of(files), "form_invalid")
    assert (problem.file, problem.line) == ("f.json", 3)


# ---------------------------------------------------------------- expressions and templates


def _timer(expression: str) -> bytes:
    return bpmn(
        '  <bpmn:intermediateCatchEvent id="first">\n'
        "    <bpmn:timerEventDefinition>\n"
        f"      <bpmn:timeDuration>{expression}</bpmn:timeDuration>\n"
        "    </bpmn:timerEventDefinition>\n"
        "  </bpmn:intermediateCatchEvent>\n" + end("first")
    )


def test_bad_timer_constant() -> None:
    data = _timer('"P3X"')
    problem = one(problems_of({"timer.bpmn": data}), "bad_timer_expression")
    assert (problem.file, problem.element_id, problem.line) == ("timer.bpmn", "first", line_of(data, "P3X"))


def test_unquoted_iso_timer_is_a_bad_timer_expression() -> None:
    data = _timer("P3D")
    problem = one(problems_of({"timer.bpmn": data}), "bad_timer_expression")
    assert (problem.element_id, problem.line) == ("first", line_of(data, "P3D"))
    assert "quote" in problem.message


def test_timer_expression_syntax_error() -> None:
    data = _timer('"P3D')
    problem = one(problems_of({"timer.bpmn": data}), "expression_syntax")
    assert (problem.file, problem.element_id, problem.line) == ("timer.bpmn", "first", line_of(data, '"P3D'))


def test_valid_timer_expressions_pass() -> None:
    for expression in ('"P3D"', '"PT4H"', "reply_within", "'P%dD' % days"):
        parse_bundle({"timer.bpmn": _timer(expression)})


def test_script_syntax_error_reports_the_line_in_the_file() -> None:
    data = bpmn(
        '  <bpmn:scriptTask id="first">\n'
        "    <bpmn:script>a = 1\n"
        "b = 2\n"
        "c = (a +\n"
        "d = 4</bpmn:script>\n"
        "  </bpmn:scriptTask>\n" + end("first")
    )
    problem = one(problems_of({"script.bpmn": data}), "expression_syntax")
    assert (problem.file, problem.element_id) == ("script.bpmn", "first")
    assert problem.line in (line_of(data, "c = (a +"), line_of(data, "d = 4"))


def test_condition_syntax_error() -> None:
    data = bpmn(
        '  <bpmn:exclusiveGateway id="first" default="flow_else"/>\n'
        '  <bpmn:sequenceFlow id="flow_if" sourceRef="first" targetRef="end">\n'
        "    <bpmn:conditionExpression>amount &gt;&gt; &gt; 5</bpmn:conditionExpression>\n"
        "  </bpmn:sequenceFlow>\n"
        '  <bpmn:sequenceFlow id="flow_else" sourceRef="first" targetRef="end"/>\n'
        '  <bpmn:endEvent id="end"/>\n'
    )
    problem = one(problems_of({"cond.bpmn": data}), "expression_syntax")
    assert (problem.file, problem.element_id) == ("cond.bpmn", "flow_if")
    assert problem.line == line_of(data, "conditionExpression")


def test_pre_script_and_assign_department_are_linted() -> None:
    data = bpmn(
        '  <bpmn:userTask id="first"><bpmn:extensionElements>\n'
        "    <spiffworkflow:preScript>x = = 1</spiffworkflow:preScript>\n"
        "    <spiffworkflow:properties>\n"
        '      <spiffworkflow:property name="assignDepartment" value="dept[" />\n'
        "    </spiffworkflow:properties>\n"
        "  </bpmn:extensionElements></bpmn:userTask>\n" + end("first")
    )
    problems = [p for p in problems_of({"task.bpmn": data}) if p.code == "expression_syntax"]
    assert {(p.element_id, p.line) for p in problems} == {
        ("first", line_of(data, "preScript")),
        ("first", line_of(data, "assignDepartment")),
    }


def test_bad_instructions_template() -> None:
    data = bpmn(
        '  <bpmn:userTask id="first"><bpmn:extensionElements>\n'
        "    <spiffworkflow:instructionsForEndUser>Dear {{ name }},\n"
        "please check {% if amount %} the amount.</spiffworkflow:instructionsForEndUser>\n"
        "  </bpmn:extensionElements></bpmn:userTask>\n" + end("first")
    )
    problem = one(problems_of({"template.bpmn": data}), "template_syntax")
    assert (problem.file, problem.element_id) == ("template.bpmn", "first")
    assert problem.line == line_of(data, "please check")


def _rule_task() -> bytes:
    return bpmn(
        '  <bpmn:businessRuleTask id="first"><bpmn:extensionElements>'
        "<spiffworkflow:calledDecisionId>decide</spiffworkflow:calledDecisionId>"
        "</bpmn:extensionElements></bpmn:businessRuleTask>\n" + end("first")
    )


def test_bad_dmn_output_cell() -> None:
    table = dmn(
        '      <rule id="r1">\n'
        '        <inputEntry id="r1_in"><text>&lt; 50</text></inputEntry>\n'
        '        <outputEntry id="r1_out"><text>["low",</text></outputEntry>\n'
        "      </rule>\n"
    )
    problems = problems_of({"rules.bpmn": _rule_task(), "decide.dmn": table})
    problem = one(problems, "expression_syntax")
    assert (problem.file, problem.element_id, problem.line) == (
        "decide.dmn",
        "r1_out",
        line_of(table, "r1_out"),
    )


def test_bad_dmn_input_cell() -> None:
    table = dmn(
        '      <rule id="r1">\n'
        '        <inputEntry id="r1_in"><text>in (1, 2</text></inputEntry>\n'
        '        <outputEntry id="r1_out"><text>"low"</text></outputEntry>\n'
        "      </rule>\n"
    )
    problem = one(problems_of({"rules.bpmn": _rule_task(), "decide.dmn": table}), "expression_syntax")
    assert (problem.file, problem.element_id, problem.line) == (
        "decide.dmn",
        "r1_in",
        line_of(table, "r1_in"),
    )


# ---------------------------------------------------------------- collecting


def test_problems_of_all_files_are_reported_together() -> None:
    files = {
        "a.bpmn": bpmn('  <bpmn:task id="first"/>\n', start=False),
        "b.bpmn": _timer('"P3X"').replace(b'id="p"', b'id="q"'),
        "c.json": b"[",
        "d.txt": b"",
    }
    codes = {(p.code, p.file) for p in problems_of(files)}
    assert codes >= {
        ("missing_start_event", "a.bpmn"),
        ("bad_timer_expression", "b.bpmn"),
        ("form_invalid", "c.json"),
        ("unsupported_file", "d.txt"),
    }


# ---------------------------------------------------------------- the happy path


def test_valid_two_process_upload() -> None:
    files = {path.name: path.read_bytes() for path in sorted(MODELS.iterdir()) if path.is_file()}
    bundle = parse_bundle(files)

    assert set(bundle.processes) == {"intake", "handling"}
    assert set(bundle.forms) == {"accept.json"}
    assert bundle.forms["accept.json"]["title"] == "Accept a problem"
    assert bundle.files == files

    intake = bundle.processes["intake"]
    assert (intake.name, intake.file, intake.is_executable) == ("Problem intake", "intake.bpmn", True)
    assert intake.spec.name == "intake"
    assert set(intake.subprocess_specs) == {"handling"}
    assert intake.properties == {
        "startableBy": "reception",
        "startableByApplicant": "true",
        "deadline": "P20D",
    }
    text = files["intake.bpmn"]
    assert intake.lanes == [
        LaneInfo("lane_reception", "Reception", "intake.bpmn", line_of(text, 'id="lane_reception"')),
        LaneInfo("lane_coordination", "Coordination", "intake.bpmn", line_of(text, 'id="lane_coordination"')),
    ]
    tasks = {task.element_id: task for task in intake.user_tasks}
    assert set(tasks) == {"accept", "coordinate"}
    accept = tasks["accept"]
    assert (accept.name, accept.lane, accept.lane_id) == ("Accept the problem", "Reception", "lane_reception")
    assert accept.properties == {
        "formJsonSchemaFilename": "accept.json",
        "assignDepartment": "'operations_center'",
        "deadline": "P1D",
    }
    assert accept.instructions == "Accept the problem of {{ company_name }}."
    assert (accept.file, accept.line) == ("intake.bpmn", line_of(text, '<bpmn:userTask id="accept"'))
    assert accept.lane == intake.spec.task_specs["accept"].lane
    assert tasks["coordinate"].lane == "Coordination"
    assert tasks["coordinate"].properties == {"deadlineExpression": "'P%dD' % unit_count"}

    handling = bundle.processes["handling"]
    assert handling.subprocess_specs == {}
    assert [(t.element_id, t.lane, t.lane_id) for t in handling.user_tasks] == [("work", "Unit", "lane_unit")]
    assert handling.lanes == [LaneInfo("lane_unit", "Unit", "handling.bpmn", 5)]


def test_duplicate_process_id_across_files() -> None:
    files = {"one.bpmn": bpmn(TASK_FIRST), "two.bpmn": bpmn(TASK_FIRST).replace(b'id="defs"', b'id="defs2"')}
    problem = one(problems_of(files), "duplicate_process_id")
    assert (problem.file, problem.element_id) == ("two.bpmn", "p")
    assert problem.line == line_of(files["two.bpmn"], '<bpmn:process id="p"')
