"""What the engine keeps about a deployed process version besides its spec: lanes, tasks, forms."""

from __future__ import annotations

import json
import keyword
from dataclasses import asdict, dataclass, field
from typing import Any

APPLICANT_LANE = "applicant"


@dataclass(frozen=True)
class UserTaskModel:
    activity_id: str
    name: str | None
    lane: str | None
    department: str | None  # resolved from the lane at deploy time; None: applicant lane or no lane
    properties: dict[str, str]
    instructions: str | None
    form: str | None  # file name of the JSON Schema

    @property
    def applicant_only(self) -> bool:
        """``applicantOnly``: the company itself must complete this step (e.g. its rating); staff may not."""
        return self.properties.get("applicantOnly", "").strip().lower() == "true"


@dataclass(frozen=True)
class DefinitionModel:
    """A process version's routing and forms, stored as JSON beside the spec."""

    key: str
    name: str | None
    properties: dict[str, str]
    lanes: dict[str, str | None]  # lane name -> department code, or None for the applicant lane
    lane_ids: dict[str, str | None]  # lane id -> department code (for display)
    user_tasks: dict[str, UserTaskModel]
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)
    message_schemas: dict[str, str] = field(default_factory=dict)  # message name -> form file name

    def to_json(self) -> str:
        # No sort_keys: a form's properties keep the order their author wrote, which is the order
        # the pages render its fields in (a JSON object's key order is all the schema gives them).
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, document: str) -> DefinitionModel:
        loaded = json.loads(document)
        loaded["user_tasks"] = {k: UserTaskModel(**v) for k, v in loaded["user_tasks"].items()}
        return cls(**loaded)

    def form_for(self, activity_id: str) -> dict[str, Any] | None:
        task = self.user_tasks.get(activity_id)
        if task is None or task.form is None:
            return None
        return self.forms.get(task.form)

    @property
    def start_form(self) -> dict[str, Any] | None:
        """The JSON Schema a case's start ``variables`` must match (``startFormJsonSchemaFilename``)."""
        form = self.properties.get("startFormJsonSchemaFilename")
        return self.forms.get(form) if form else None

    def message_schema(self, name: str) -> dict[str, Any] | None:
        """The JSON Schema a payload of message ``name`` must match (``payloadJsonSchemaFilename``)."""
        form = self.message_schemas.get(name)
        return self.forms.get(form) if form is not None else None

    @property
    def needs_applicant(self) -> bool:
        """A process with an ``applicantOnly`` step cannot run without an applicant user."""
        return any(task.applicant_only for task in self.user_tasks.values())

    @property
    def startable_by(self) -> tuple[str, ...]:
        raw = self.properties.get("startableBy", "")
        return tuple(code.strip() for code in raw.split(",") if code.strip())

    @property
    def startable_by_applicant(self) -> bool:
        return self.properties.get("startableByApplicant", "").strip().lower() in {"true", "yes", "1"}

    @property
    def applicant_variables(self) -> tuple[str, ...] | None:
        """``applicantVariables``: the case variables the applicant sees; None when the process does not
        declare them (then the applicant's own fields and the applicant-lane forms' fields are shown)."""
        raw = self.properties.get("applicantVariables")
        return None if raw is None else parse_names(raw)

    def form_fields(self, *, lane: str | None = None) -> frozenset[str]:
        """The top-level field names of the user tasks' forms (only those of ``lane``'s tasks, if given)."""
        names: set[str] = set()
        for task in self.user_tasks.values():
            if lane is not None and task.lane != lane:
                continue
            properties = (self.form_for(task.activity_id) or {}).get("properties")
            if isinstance(properties, dict):
                names.update(str(name) for name in properties)
        return frozenset(names)


def parse_names(raw: str) -> tuple[str, ...]:
    """A comma-separated list of names, stripped, empty entries left out."""
    return tuple(name.strip() for name in raw.split(",") if name.strip())


def bad_variable_names(raw: str) -> list[str]:
    """The entries of a comma-separated list of variable names that are no Python identifier."""
    return [name for name in parse_names(raw) if not name.isidentifier() or keyword.iskeyword(name)]
