"""Hardened reading of uploaded model files: names, sizes, XML pre-parse, XSD validation, ids.

Every uploaded XML file is parsed here, once, by a parser that resolves no entities, loads no
DTD and touches no network; any DOCTYPE is refused before and after parsing. SpiffWorkflow only
ever sees the element trees built here, so lxml's defaults never parse untrusted bytes.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser.process import SPIFF_XSD

from engine.errors import Problem, TooLarge

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
_OMG_PREFIXES = ("http://www.omg.org/spec/", "https://www.omg.org/spec/")
_SHORT_NS = {
    BPMN_NS: "bpmn:",
    SPIFF_NS: "spiffworkflow:",
    "http://www.omg.org/spec/BPMN/20100524/DI": "bpmndi:",
    "http://www.omg.org/spec/DD/20100524/DC": "dc:",
    "http://www.omg.org/spec/DD/20100524/DI": "di:",
    **{ns: "dmn:" for ns in DMN_SCHEMAS},
}

FileKind = Literal["bpmn", "dmn", "json"]
_KINDS: dict[str, FileKind] = {".bpmn": "bpmn", ".dmn": "dmn", ".json": "json"}
_BAD_NAME = re.compile(r"[/\\\x00-\x1f\x7f]")
_MAX_NAME = 255


@dataclass
class XmlDoc:
    """One well-formed, DOCTYPE-free uploaded XML document."""

    name: str
    kind: Literal["bpmn", "dmn"]
    root: Any  # lxml root element (typed loosely: lxml-stubs lacks parts of the API used here)
    valid: bool = True  # passed the root, XSD and duplicate-id checks
    ids: dict[str, Any] = field(default_factory=dict)  # BPMN/DMN element id -> first element with it


def file_kind(name: str) -> FileKind | None:
    """The kind of an uploaded file by its (case-insensitive) extension, or None if unsupported."""
    lowered = name.lower()
    for suffix, kind in _KINDS.items():
        if lowered.endswith(suffix) and len(lowered) > len(suffix):
            return kind
    return None


def short_tag(tag: str) -> str:
    """``{ns}local`` -> ``prefix:local`` for the namespaces designers know."""
    return shorten(tag)


def shorten(text: str) -> str:
    """Replace ``{namespace}`` markers in lxml messages by short prefixes."""
    for ns, prefix in _SHORT_NS.items():
        text = text.replace("{" + ns + "}", prefix)
    return text


def is_model_element(element: Any) -> bool:
    """True for elements of the OMG namespaces (BPMN, BPMNDI, DMN...), whose ids are XML ids."""
    tag = element.tag
    return isinstance(tag, str) and tag.startswith("{") and tag[1:].startswith(_OMG_PREFIXES)


_BPMN_CONTAINERS = frozenset(
    f"{{{BPMN_NS}}}{name}"
    for name in (
        "definitions",
        "process",
        "subProcess",
        "transaction",
        "adHocSubProcess",
        "collaboration",
        "laneSet",
        "lane",
        "childLaneSet",
    )
)


def owner_id(element: Any) -> str | None:
    """Id of the element a designer sees for ``element``.

    In BPMN that is the nearest flow element, lane or root element at or above it (the timer event,
    not its timerEventDefinition); in DMN and diagrams the nearest element with an id.
    """
    fallback: str | None = None
    current = element
    while current is not None:
        if is_model_element(current) and current.get("id"):
            value = str(current.get("id"))
            if not str(current.tag).startswith("{" + BPMN_NS + "}"):
                return value
            parent = current.getparent()
            if parent is None or parent.tag in _BPMN_CONTAINERS:
                return value
            fallback = fallback or value
        current = current.getparent()
    return fallback


def line_of(element: Any) -> int | None:
    line = getattr(element, "sourceline", None)
    return line if isinstance(line, int) and line > 0 else None


def problem_at(code: str, message: str, file: str, element: Any, line: int | None = None) -> Problem:
    """A problem located at ``element`` (its owning model element's id, its line unless given)."""
    return Problem(
        code=code,
        message=message,
        file=file,
        line=line if line is not None else line_of(element),
        element_id=owner_id(element),
    )


# ---------------------------------------------------------------- names and sizes


def check_sizes(files: Mapping[str, bytes], max_file_bytes: int, max_total_bytes: int) -> None:
    """Raise TooLarge (code too_large) if any file or the whole upload exceeds its cap."""
    problems: list[Problem] = []
    total = 0
    for name, data in files.items():
        total += len(data)
        if len(data) > max_file_bytes:
            problems.append(
                Problem(
                    code="too_large",
                    message=f"{name} has {len(data)} bytes; the limit per file is {max_file_bytes}",
                    file=name,
                )
            )
    if total > max_total_bytes:
        problems.append(
            Problem(
                code="too_large",
                message=f"the upload has {total} bytes; the limit per upload is {max_total_bytes}",
            )
        )
    if problems:
        raise TooLarge("the upload is too large", problems=problems)


def check_name(name: str) -> Problem | None:
    """Refuse names that are not plain ``*.bpmn`` / ``*.dmn`` / ``*.json`` file names."""
    if not name or len(name) > _MAX_NAME or _BAD_NAME.search(name) or name.strip() != name:
        return Problem(
            code="bad_file_name",
            message=f"{name!r} is not a plain file name (no paths, control characters or padding)",
            file=name,
        )
    if file_kind(name) is None:
        return Problem(
            code="unsupported_file",
            message=f"{name}: only .bpmn, .dmn and .json files can be deployed",
            file=name,
        )
    return None


# ---------------------------------------------------------------- hardened parsing

_FORBIDDEN_MARKUP = (b"<!DOCTYPE", b"<!ENTITY")
_WIDE_ENCODINGS = ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")


def _forbidden_markup(data: bytes) -> tuple[str, int | None] | None:
    """Find DOCTYPE / ENTITY declarations in the raw bytes (also in UTF-16/32), before any parse."""
    upper = data.upper()
    for marker in _FORBIDDEN_MARKUP:
        index = upper.find(marker)
        if index >= 0:
            return marker.decode()[2:], data.count(b"\n", 0, index) + 1
        text = marker.decode()
        for encoding in _WIDE_ENCODINGS:
            if text.encode(encoding) in upper:
                return text[2:], None
    return None


def _hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        dtd_validation=False,
        attribute_defaults=False,
        remove_pis=True,
    )


def parse_xml(name: str, data: bytes, kind: Literal["bpmn", "dmn"]) -> tuple[XmlDoc | None, list[Problem]]:
    """Parse one uploaded XML file safely; a None document comes with the problems that refused it."""
    found = _forbidden_markup(data)
    if found is not None:
        what, line = found
        return None, [
            Problem(
                code="doctype_forbidden",
                message=f"{name}: {what} declarations are not allowed in uploaded models",
                file=name,
                line=line,
            )
        ]
    try:
        root: Any = etree.fromstring(data, _hardened_parser())
    except etree.XMLSyntaxError as error:
        line = error.lineno if isinstance(error.lineno, int) and error.lineno > 0 else None
        return None, [Problem(code="xml_syntax", message=f"{name}: {error.msg}", file=name, line=line)]
    if root is None:
        return None, [Problem(code="xml_syntax", message=f"{name}: no XML document", file=name)]
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        return None, [
            Problem(
                code="doctype_forbidden",
                message=f"{name}: DOCTYPE declarations are not allowed in uploaded models",
                file=name,
            )
        ]
    return XmlDoc(name=name, kind=kind, root=root), []


# ---------------------------------------------------------------- XSD validation

_validation_lock = threading.Lock()
_validators: dict[str, Any] = {}
_BPMN_KEY = "bpmn"


def _validator(key: str) -> Any:
    """Cached BpmnValidator (same construction as SpiffWorkflow's VALIDATOR); call under the lock."""
    if key not in _validators:
        if key == _BPMN_KEY:
            _validators[key] = BpmnValidator(imports={"spiffworkflow": SPIFF_XSD})
        else:
            _validators[key] = BpmnValidator(DMN_SCHEMAS[key])
    return _validators[key]


def _element_for(root: Any, path: str | None, line: int | None) -> Any:
    if path:
        namespaces = {prefix: uri for prefix, uri in (root.nsmap or {}).items() if prefix}
        try:
            found = root.getroottree().xpath(path, namespaces=namespaces)
        except etree.XPathError:
            found = None
        if isinstance(found, list) and found and isinstance(found[0], etree._Element):
            return found[0]
    if line is not None:
        for element in root.iter():
            if getattr(element, "sourceline", None) == line:
                return element
    return None


_ID_VALUE = re.compile(r"attribute '(?:id|sourceRef|targetRef)': '([^']*)' is not a valid value")


def _run_xsd(doc: XmlDoc, key: str) -> list[tuple[str, int | None, str | None]]:
    with _validation_lock:
        validator = _validator(key)
        validator.preprocess(doc.root)
        if validator.validator.validate(doc.root):
            return []
        return [(entry.message, entry.line, entry.path) for entry in validator.validator.error_log]


def validate_xsd(doc: XmlDoc, skip_values: set[str]) -> list[Problem]:
    """Validate against the BPMN 2.0 + spiffworkflow XSD (or the DMN XSD of the file's namespace).

    Reports every error libxml2 lists (it skips the rest of an element's content after an
    unexpected child). Errors about an id value in ``skip_values`` are left out: they are reported
    more precisely elsewhere (duplicate ids, dangling flow references).
    """
    root = doc.root
    qname = etree.QName(root)
    if doc.kind == "bpmn":
        if qname.namespace != BPMN_NS or qname.localname != "definitions":
            return [
                Problem(
                    code="wrong_document_type",
                    message=f"{doc.name}: the root element must be bpmn:definitions "
                    f"(namespace {BPMN_NS}), not {short_tag(str(root.tag))}",
                    file=doc.name,
                    line=line_of(root),
                )
            ]
        key = _BPMN_KEY
    else:
        namespace = qname.namespace or ""
        if qname.localname != "definitions" or namespace not in DMN_SCHEMAS:
            return [
                Problem(
                    code="wrong_document_type",
                    message=f"{doc.name}: the root element must be a DMN definitions element "
                    f"(DMN 1.3 namespace https://www.omg.org/spec/DMN/20191111/MODEL/), "
                    f"not {short_tag(str(root.tag))}",
                    file=doc.name,
                    line=line_of(root),
                )
            ]
        key = namespace
    try:
        errors = _run_xsd(doc, key)
    except etree.XMLSchemaParseError:
        # SpiffWorkflow 3.2.0 ships a DMN 1.2 schema that libxml2 cannot compile.
        return [
            Problem(
                code="wrong_document_type",
                message=f"{doc.name}: DMN namespace {key} cannot be validated; save the table as DMN 1.3",
                file=doc.name,
                line=line_of(root),
            )
        ]
    problems: list[Problem] = []
    for message, line, path in errors:
        value = _ID_VALUE.search(message)
        if value is not None and value.group(1) in skip_values:
            continue
        element = _element_for(root, path, line)
        problems.append(
            Problem(
                code="xsd_invalid",
                message=f"{doc.name}: {shorten(message)}",
                file=doc.name,
                line=line if line else line_of(element) if element is not None else None,
                element_id=owner_id(element) if element is not None else None,
            )
        )
    return problems


# ---------------------------------------------------------------- ids


def index_ids(doc: XmlDoc) -> list[Problem]:
    """Fill ``doc.ids`` and report ids used twice in one file (code duplicate_id)."""
    problems: list[Problem] = []
    for element in doc.root.iter():
        if not is_model_element(element):
            continue
        value = element.get("id")
        if value is None:
            continue
        first = doc.ids.get(value)
        if first is None:
            doc.ids[value] = element
            continue
        problems.append(
            Problem(
                code="duplicate_id",
                message=f"{doc.name}: id {value!r} of {short_tag(str(element.tag))} is already used by "
                f"{short_tag(str(first.tag))} on line {line_of(first)}",
                file=doc.name,
                line=line_of(element),
                element_id=value,
            )
        )
    return problems


def duplicates_across(
    docs: Iterable[XmlDoc], xpath: str, what: str, namespaces: Mapping[str, str] | None = None
) -> tuple[dict[str, tuple[XmlDoc, Any]], list[Problem]]:
    """Map ids of elements found by ``xpath`` over several files; report ids defined twice."""
    seen: dict[str, tuple[XmlDoc, Any]] = {}
    problems: list[Problem] = []
    for doc in docs:
        if namespaces is not None:
            ns = dict(namespaces)
        elif etree.QName(doc.root).namespace:
            ns = {"dmn": str(etree.QName(doc.root).namespace)}
        else:
            continue  # not a DMN document at all (reported as wrong_document_type)
        for element in doc.root.xpath(xpath, namespaces=ns):
            value = element.get("id")
            if not value:
                continue
            if value in seen:
                other_doc, other = seen[value]
                problems.append(
                    Problem(
                        code=f"duplicate_{what}_id",
                        message=f"{doc.name}: {what} id {value!r} is already defined in {other_doc.name} "
                        f"on line {line_of(other)}",
                        file=doc.name,
                        line=line_of(element),
                        element_id=value,
                    )
                )
                continue
            seen[value] = (doc, element)
    return seen, problems
