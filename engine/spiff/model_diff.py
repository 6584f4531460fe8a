"""What changed in one process between two BPMN files: elements added, removed and changed, by id.

The designer sees this before deploying a new version. An element is compared with what it holds
itself (its attributes, text and the children without an id of their own: extension properties,
conditions, scripts, lane members); an element with an id inside it (a task in a sub-process) is
compared on its own, so a change is reported where it was made. The diagram (BPMNDI) is layout only
and is not compared: moving a shape changes nothing a case runs.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.spiff.parsing_xml import NS, parse_xml


@dataclass(frozen=True)
class ElementChange:
    id: str
    type: str  # the BPMN element's local name: userTask, sequenceFlow, lane...
    name: str | None


@dataclass(frozen=True)
class ModelChanges:
    added: tuple[ElementChange, ...]
    removed: tuple[ElementChange, ...]
    changed: tuple[ElementChange, ...]


def _elements(content: bytes, process_key: str) -> dict[str, Any]:
    """Every element with an id at or under the process ``process_key``, by id (empty when unreadable)."""
    doc, _problems = parse_xml("model.bpmn", content, "bpmn")
    if doc is None:
        return {}
    found = doc.root.xpath("./bpmn:process[@id=$key]", namespaces=NS, key=process_key)
    if not found:
        return {}
    return {str(e.get("id")): e for e in found[0].iter() if isinstance(e.tag, str) and e.get("id")}


def _own_content(element: Any) -> bytes:
    """The element without its descendants that have ids of their own, canonicalised."""
    clone = copy.deepcopy(element)
    for child in list(clone.iterdescendants()):
        if isinstance(child.tag, str) and child.get("id") and child.getparent() is not None:
            child.getparent().remove(child)
    for node in clone.iter():
        if isinstance(node.tag, str):
            if node.text is not None:
                node.text = node.text.strip() or None
            node.tail = None
    return bytes(etree.tostring(clone, method="c14n"))


def _change(element: Any) -> ElementChange:
    return ElementChange(str(element.get("id")), etree.QName(element).localname, element.get("name"))


def diff(old: bytes, new: bytes, process_key: str) -> ModelChanges:
    """The elements of process ``process_key`` added, removed and changed from ``old`` to ``new``."""
    before, after = _elements(old, process_key), _elements(new, process_key)
    added = tuple(_change(after[i]) for i in after if i not in before)
    removed = tuple(_change(before[i]) for i in before if i not in after)
    changed = tuple(
        _change(after[i])
        for i in after
        if i in before and _own_content(before[i]) != _own_content(after[i])
    )
    return ModelChanges(added, removed, changed)


__all__ = ["ElementChange", "ModelChanges", "diff"]
