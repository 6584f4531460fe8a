"""The words a case's data is read in: each variable's title, coded values' titles and format, taken from
the JSON Schema forms of the case's process version (start form, then its steps' forms in the order
the BPMN lists them, then message payload forms). The first form that names a variable gives its label.

A deployed process version never changes, so the labels are computed once per definition id and kept
(``labels_for``); the case page asks for them beside the case (``GET /process-instances/{id}/data-labels``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, select

from engine.definitions import DefinitionModel
from engine.persistence.tables import process_definitions
from engine.results import DataChoice, DataLabel


def labels_for(connection: Connection, definition_id: str) -> tuple[DataLabel, ...]:
    """The labels of a process version's variables (cached per definition id: a version never changes)."""
    cached = _CACHE.get(definition_id)
    if cached is None:
        document = connection.execute(
            select(process_definitions.c.model_json).where(process_definitions.c.id == definition_id)
        ).scalar_one()
        cached = form_labels(DefinitionModel.from_json(document))
        with _CACHE_LOCK:
            while len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))  # the oldest first: a dict keeps insertion order
            _CACHE[definition_id] = cached
    return cached


_CACHE_SIZE = 256
_CACHE: dict[str, tuple[DataLabel, ...]] = {}
_CACHE_LOCK = threading.Lock()


def form_labels(model: DefinitionModel) -> tuple[DataLabel, ...]:
    """Every variable a form of ``model`` titles, in form order; a variable keeps its first form's label."""
    labels: dict[str, DataLabel] = {}
    for schema in _forms_in_order(model):
        properties = schema.get("properties")
        if not isinstance(properties, Mapping):
            continue
        for name, field in properties.items():
            if name in labels or not isinstance(field, Mapping):
                continue
            label = _label(str(name), field)
            if label is not None:
                labels[name] = label
    return tuple(labels.values())


def _forms_in_order(model: DefinitionModel) -> Iterable[Mapping[str, Any]]:
    names: list[str] = []
    start = model.properties.get("startFormJsonSchemaFilename")
    if start:
        names.append(start)
    names += [task.form for task in model.user_tasks.values() if task.form]
    names += list(model.message_schemas.values())
    for name in dict.fromkeys(names):
        schema = model.forms.get(name)
        if isinstance(schema, Mapping):
            yield schema


def _label(name: str, field: Mapping[str, Any]) -> DataLabel | None:
    title = field.get("title")
    if not isinstance(title, str) or not title.strip():
        return None
    kind = field.get("type")
    text_format = field.get("format")
    return DataLabel(
        name=name,
        title=title.strip(),
        type=kind if isinstance(kind, str) else None,
        format=text_format if isinstance(text_format, str) else None,
        choices=_choices(field),
    )


def _choices(field: Mapping[str, Any]) -> tuple[DataChoice, ...]:
    """Coded values' titles: ``oneOf``/``anyOf`` lists of ``{"const": v, "title": t}``, or ``enum`` with
    ``enumNames`` (the older rjsf way); also inside ``items`` for a list of choices."""
    for source in (field, field.get("items")):
        if not isinstance(source, Mapping):
            continue
        for key in ("oneOf", "anyOf"):
            options = source.get(key)
            if isinstance(options, list):
                found = tuple(
                    DataChoice(value=option["const"], title=str(option["title"]))
                    for option in options
                    if isinstance(option, Mapping) and "const" in option and isinstance(option.get("title"), str)
                )
                if found:
                    return found
        values, names = source.get("enum"), source.get("enumNames")
        if isinstance(values, list) and isinstance(names, list) and len(values) == len(names):
            return tuple(DataChoice(value=v, title=str(n)) for v, n in zip(values, names, strict=True))
    return ()

