"""What a process tells the ledger (问题办理台账): its ``ledger.<attribute>`` properties, parsed and checked.

A process property ``ledger.<attribute>`` (attribute in lowerCamelCase) names the top-level case
variable that holds that ledger column. The core attributes below are real, indexed columns of the
ledger table; any other well-formed attribute is an extra column kept beside them (shown and exported,
not filtered). Deploy refuses a malformed attribute or variable name, naming the process element.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.errors import Problem, ProblemList

PREFIX = "ledger."
# attribute -> ledger column of the core set (every shipped process maps these)
CORE_ATTRIBUTES: dict[str, str] = {
    "company": "company",
    "creditCode": "credit_code",
    "category": "category",
    "leadDepartment": "lead_department",
    "accepted": "accepted",
    "closed": "closed",
    "outcome": "outcome",
    "satisfaction": "satisfaction",
}
_ATTRIBUTE = re.compile(r"[a-z][A-Za-z0-9]{0,63}")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
TEXT_LIMIT = 255  # ledger text cells are cut to this length (the columns are String(255))


@dataclass(frozen=True)
class LedgerSpec:
    """attribute -> case variable, for one process version."""

    variables: dict[str, str]

    @classmethod
    def from_properties(cls, properties: Mapping[str, str]) -> LedgerSpec:
        found = {
            name[len(PREFIX) :]: value.strip()
            for name, value in properties.items()
            if name.startswith(PREFIX) and _ATTRIBUTE.fullmatch(name[len(PREFIX) :]) and _is_variable(value.strip())
        }
        return cls(found)

    @property
    def extras(self) -> dict[str, str]:
        return {a: v for a, v in self.variables.items() if a not in CORE_ATTRIBUTES}

    def read(self, attribute: str, variables: Mapping[str, Any]) -> Any:
        """The attribute's value in the case's data; None when the process maps no variable or it is unset."""
        name = self.variables.get(attribute)
        return variables.get(name) if name is not None else None


def _is_variable(value: str) -> bool:
    return bool(_VARIABLE.fullmatch(value)) and not keyword.iskeyword(value)


def check_properties(properties: Mapping[str, str], problems: ProblemList, *, file: str, element_id: str) -> None:
    """Deploy check: every ``ledger.*`` property has a lowerCamelCase attribute and names a variable."""
    for name, value in sorted(properties.items()):
        if not name.startswith(PREFIX):
            continue
        attribute = name[len(PREFIX) :]
        if not _ATTRIBUTE.fullmatch(attribute):
            message = f"'{name}': the ledger attribute must be lowerCamelCase letters and digits (e.g. ledger.category)"
        elif not _is_variable(value.strip()):
            message = f"'{name}' must name a top-level case variable (letters, digits, _), not {value!r}"
        else:
            continue
        problems.add(Problem("invalid_ledger_property", message, file=file, element_id=element_id))


def text_cell(value: Any) -> str | None:
    """A ledger text column: strings and numbers as text (cut to ``TEXT_LIMIT``), anything else unknown."""
    if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value)[:TEXT_LIMIT]


def satisfaction_cell(value: Any) -> int | None:
    """A 1–5 rating, else unknown."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int | float) and 1 <= value <= 5 and float(value).is_integer():
        return int(value)
    return None
