"""Deploy-time parsing and validation: an uploaded set of files -> built SpiffWorkflow specs.

:func:`parse_bundle` refuses a bad upload with every problem it can find (file, line, element id,
stable code) before anything is stored. The steps, in order:

1. size caps (``TooLarge``) and file names (only ``.bpmn``, ``.dmn``, ``.json``);
2. a hardened pre-parse of every XML file (no DOCTYPE, no entities, no DTD, no network);
3. XSD validation (BPMN 2.0 + spiffworkflow extensions, DMN) and duplicate ids;
4. forms: JSON Schema draft 2020-12;
5. lint: expressions compiled with the sandbox compiler, timer constants, instruction templates;
6. structure: flow references, start events, call activity targets, decisions, form references,
   dead ends (``parsing_flow``);
7. ``get_spec`` and ``get_subprocess_specs`` for every executable process, failures converted;
8. lanes, user tasks and process properties (with lines) for the caller.

Helpers live in ``parsing_xml`` (files, hardening, XSD, ids), ``parsing_lint``,
``parsing_structure``, ``parsing_build`` (SpiffWorkflow) and ``parsing_extract``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.errors import InvalidModel, Problem, ProblemList
from engine.spiff import parsing_build, parsing_extract, parsing_flow, parsing_lint, parsing_structure
from engine.spiff.parsing_xml import (
    NS,
    XmlDoc,
    check_name,
    check_sizes,
    duplicates_across,
    file_kind,
    index_ids,
    line_of,
    parse_xml,
    validate_xsd,
)

__all__ = [
    "LaneInfo",
    "ParseLimits",
    "ParsedBundle",
    "ProcessModel",
    "UserTaskInfo",
    "parse_bundle",
]

_EMBEDDED = ("subProcess", "transaction", "adHocSubProcess")


@dataclass(frozen=True)
class ParseLimits:
    max_file_bytes: int = 5 * 1024 * 1024
    max_total_bytes: int = 20 * 1024 * 1024


@dataclass(frozen=True)
class LaneInfo:
    id: str
    name: str | None
    file: str
    line: int | None


@dataclass(frozen=True)
class UserTaskInfo:
    element_id: str
    name: str | None
    lane: str | None  # lane NAME as SpiffWorkflow reports it (task_spec.lane)
    lane_id: str | None
    properties: dict[str, str]  # spiffworkflow:properties (formJsonSchemaFilename, assignDepartment...)
    instructions: str | None  # spiffworkflow:instructionsForEndUser (a Jinja2 template)
    file: str
    line: int | None


@dataclass
class ProcessModel:
    key: str  # the bpmn process id
    name: str | None
    file: str
    spec: Any  # SpiffWorkflow BpmnProcessSpec
    subprocess_specs: dict[str, Any]  # parser.get_subprocess_specs(key)
    lanes: list[LaneInfo]
    user_tasks: list[UserTaskInfo]
    properties: dict[str, str]  # spiffworkflow:properties of the <bpmn:process> element itself
    is_executable: bool


@dataclass
class ParsedBundle:
    processes: dict[str, ProcessModel]  # every executable process of the upload that built, by key
    forms: dict[str, dict[str, Any]]  # json file name -> parsed JSON Schema
    files: dict[str, bytes]  # the raw uploaded bytes by file name
    # bpmn:message name -> its payloadJsonSchemaFilename (a json file of the upload)
    message_schemas: dict[str, str] = field(default_factory=dict)
    # With ``defer``: the problems found so far, and every executable process of a well-formed file
    # (``spec`` None where it did not build) for the caller's own checks (lanes, deadlines, ...).
    problems: list[Problem] = field(default_factory=list)
    declared: dict[str, ProcessModel] = field(default_factory=dict)
    # decision id -> the uploaded DMN file defining it (valid files only): new versions of decisions
    decisions: dict[str, str] = field(default_factory=dict)


def sort_problems(problems: list[Problem], files: Mapping[str, bytes]) -> list[Problem]:
    """Problems in upload order, then by line."""
    order = {name: index for index, name in enumerate(files)}
    return sorted(problems, key=lambda p: (order.get(p.file or "", len(order)), p.line or 0))


def raise_problems(problems: list[Problem], files: Mapping[str, bytes]) -> None:
    """``InvalidModel`` listing every problem, if there are any."""
    if problems:
        count = len(problems)
        ProblemList(sort_problems(problems, files)).raise_if_any(
            f"the upload has {count} problem{'s' if count != 1 else ''}", InvalidModel
        )


def parse_bundle(
    files: Mapping[str, bytes],
    limits: ParseLimits = ParseLimits(),
    *,
    defer: bool = False,
    stored_decisions: Mapping[str, tuple[str, bytes]] | None = None,
) -> ParsedBundle:
    """Parse and validate an upload.

    Raises ``engine.errors.TooLarge`` (code too_large) for the size caps, or ``InvalidModel``
    whose ``problems`` list every problem found. With ``defer`` the problems come back in the bundle
    instead, so the caller adds its own checks and reports everything in one answer.

    ``stored_decisions`` (decision id -> file name and content of its newest deployed version) binds a
    business rule task calling a decision the upload does not define; an upload of DMN files alone
    deploys new versions of their decisions.
    """
    check_sizes(files, limits.max_file_bytes, limits.max_total_bytes)
    problems = ProblemList()
    docs: dict[str, XmlDoc] = {}
    forms: dict[str, dict[str, Any]] = {}
    json_names: set[str] = set()
    refused_bpmn = False  # a BPMN file that is not well-formed (or has a DOCTYPE) reports only that

    for name, data in files.items():
        refused = check_name(name)
        if refused is not None:
            problems.add(refused)
            continue
        kind = file_kind(name)
        if kind == "json":
            json_names.add(name)
            schema, form_problems = parsing_extract.parse_form(name, data)
            problems.problems.extend(form_problems)
            if schema is not None:
                forms[name] = schema
        elif kind is not None:
            doc, xml_problems = parse_xml(name, data, kind)
            problems.problems.extend(xml_problems)
            if doc is not None:
                docs[name] = doc
            elif kind == "bpmn":
                refused_bpmn = True

    # Ids and XSD validation, file by file.
    for doc in docs.values():
        duplicate_problems = index_ids(doc)
        skip = {p.element_id for p in duplicate_problems if p.element_id}
        xsd_problems = validate_xsd(doc, skip)
        problems.problems.extend(duplicate_problems)
        problems.problems.extend(xsd_problems)
        doc.valid = not duplicate_problems and not xsd_problems
    bpmn_docs = [doc for doc in docs.values() if doc.kind == "bpmn"]
    dmn_docs = [doc for doc in docs.values() if doc.kind == "dmn"]
    uploaded_dmn = {doc.name for doc in dmn_docs}
    for doc in _stored_decision_docs(bpmn_docs, dmn_docs, docs, stored_decisions or {}):
        docs[doc.name] = doc
        dmn_docs.append(doc)

    # Across files: process ids, decision ids.
    processes, process_problems = parsing_structure.find_processes(bpmn_docs)
    problems.problems.extend(process_problems)
    decisions, decision_problems = duplicates_across(dmn_docs, "./dmn:decision", "decision")
    problems.problems.extend(decision_problems)
    # SpiffWorkflow would stop reading a file at a repeated process id and silently replace a
    # decision by a later one with the same id: keep such files away from it.
    for problem in process_problems + decision_problems:
        if problem.file in docs:
            docs[problem.file].valid = False
    for doc in dmn_docs:
        if etree.QName(doc.root).localname != "definitions" or not etree.QName(doc.root).namespace:
            continue  # not DMN at all: already reported as wrong_document_type
        count = len(doc.root.xpath("./*[local-name()='decision']"))
        if count != 1:
            problems.add(
                Problem(
                    code="dmn_invalid",
                    message=f"{doc.name}: a DMN file must hold exactly one decision (found {count})",
                    file=doc.name,
                    line=line_of(doc.root),
                )
            )
            doc.valid = False

    # Lint and structure (on every well-formed file, valid or not, to report as much as possible).
    for doc in docs.values():
        problems.problems.extend(parsing_lint.lint_bpmn(doc) if doc.kind == "bpmn" else parsing_lint.lint_dmn(doc))
    for doc in bpmn_docs:
        structure_problems, blocked = parsing_structure.check_structure(
            doc, processes, {key: found[0].valid for key, found in decisions.items()}, json_names
        )
        problems.problems.extend(structure_problems)
        problems.problems.extend(parsing_flow.dead_ends(doc))
        for key in blocked:
            if key in processes:
                processes[key].blocked = True

    executable = {key: decl for key, decl in processes.items() if decl.executable}
    if not executable and not refused_bpmn and (bpmn_docs or not uploaded_dmn):
        problems.add(
            Problem(
                code="no_executable_process",
                message="the upload holds no executable BPMN process (isExecutable must not be false)",
            )
        )

    # Specs: only from files that passed validation; skip processes that cannot build cleanly.
    built = _build_processes(docs, executable, problems)

    schemas = parsing_extract.message_schemas(bpmn_docs)
    new_decisions = {
        key: found[0].name for key, found in decisions.items() if found[0].name in uploaded_dmn and found[0].valid
    }
    if defer:
        declared = {key: built.get(key) or _process_model(decl, None, {}) for key, decl in executable.items()}
        return ParsedBundle(
            built,
            forms,
            dict(files),
            message_schemas=schemas,
            problems=problems.problems,
            declared=declared,
            decisions=new_decisions,
        )
    raise_problems(problems.problems, files)
    return ParsedBundle(
        processes=built, forms=forms, files=dict(files), message_schemas=schemas, decisions=new_decisions
    )


def _stored_decision_docs(
    bpmn_docs: list[XmlDoc],
    dmn_docs: list[XmlDoc],
    docs: Mapping[str, XmlDoc],
    stored: Mapping[str, tuple[str, bytes]],
) -> list[XmlDoc]:
    """The newest deployed DMN file of every decision a business rule task of the upload calls and
    no DMN file of the upload defines (already checked when it was deployed)."""
    if not stored:
        return []
    defined: set[str] = set()
    for doc in dmn_docs:
        defined.update(str(e.get("id")) for e in doc.root.xpath("./*[local-name()='decision']"))
    wanted: list[str] = []
    for doc in bpmn_docs:
        for ref in doc.root.xpath("//bpmn:businessRuleTask/bpmn:extensionElements/spiffworkflow:calledDecisionId",
                                  namespaces=NS):
            key = (ref.text or "").strip()
            if key and key not in defined and key in stored and key not in wanted:
                wanted.append(key)
    added: list[XmlDoc] = []
    for key in wanted:
        name, content = stored[key]
        if name in docs or any(d.name == name for d in added):
            name = f"{key}.deployed.dmn"
        stored_doc, _problems = parse_xml(name, content, "dmn")
        if stored_doc is None:
            continue
        stored_doc.valid = not index_ids(stored_doc) and not validate_xsd(stored_doc, set())
        added.append(stored_doc)
    return added


def _build_processes(
    docs: dict[str, XmlDoc], executable: dict[str, parsing_structure.ProcessDecl], problems: ProblemList
) -> dict[str, ProcessModel]:
    valid_bpmn = [doc for doc in docs.values() if doc.kind == "bpmn" and doc.valid]
    valid_dmn = [doc for doc in docs.values() if doc.kind == "dmn" and doc.valid]
    parser = parsing_build.new_parser()
    spiff_problems = parsing_build.add_documents(parser, valid_bpmn, valid_dmn, docs)
    available = {key for key, decl in executable.items() if decl.doc.valid}
    skipped = parsing_structure.unbuildable(executable, available)

    built: dict[str, ProcessModel] = {}
    for key, decl in executable.items():
        if key in skipped:
            continue
        spec, subprocess_specs, build_problems = parsing_build.build(parser, key, decl.doc.name, docs)
        spiff_problems.extend(build_problems)
        if spec is not None:
            built[key] = _process_model(decl, spec, subprocess_specs)

    # The lint and structure checks already named most of what SpiffWorkflow trips over: keep
    # only its problems about elements nobody has complained about yet.
    known: set[tuple[str | None, str | None]] = {(p.file, p.element_id) for p in problems.problems if p.element_id}
    for problem in spiff_problems:
        if problem.element_id is None or (problem.file, problem.element_id) not in known:
            problems.add(problem)
            known.add((problem.file, problem.element_id))
    return built


def _process_model(decl: parsing_structure.ProcessDecl, spec: Any, subprocess_specs: dict[str, Any]) -> ProcessModel:
    doc, element = decl.doc, decl.element
    embedded = {
        str(node.get("id"))
        for tag in _EMBEDDED
        for node in element.xpath(f".//bpmn:{tag}", namespaces=NS)
        if node.get("id")
    }
    task_specs = parsing_extract.task_specs_by_id(spec, subprocess_specs, embedded) if spec is not None else {}
    lanes = parsing_extract.lane_index(doc)
    user_tasks: list[UserTaskInfo] = []
    for task in element.xpath(".//bpmn:userTask", namespaces=NS):
        element_id = str(task.get("id"))
        lane_element = parsing_extract.lane_of(task, element, lanes)
        task_spec = task_specs.get(element_id)
        lane_name = getattr(task_spec, "lane", None) if task_spec is not None else None
        if task_spec is None and lane_element is not None:
            lane_name = lane_element.get("name")
        user_tasks.append(
            UserTaskInfo(
                element_id=element_id,
                name=task.get("name"),
                lane=lane_name,
                lane_id=str(lane_element.get("id")) if lane_element is not None and lane_element.get("id") else None,
                properties=parsing_extract.properties_of(task),
                instructions=parsing_extract.instructions_of(task),
                file=doc.name,
                line=line_of(task),
            )
        )
    return ProcessModel(
        key=decl.key,
        name=element.get("name"),
        file=doc.name,
        spec=spec,
        subprocess_specs=subprocess_specs,
        lanes=[
            LaneInfo(id=lane_id, name=name, file=doc.name, line=line)
            for lane_id, name, line in parsing_extract.lanes_of(element)
        ],
        user_tasks=user_tasks,
        properties=parsing_extract.properties_of(element),
        is_executable=decl.executable,
    )
