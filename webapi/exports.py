"""History exports: CSV and JSON with every chain field, and reading them back for offline checks.

CSV: one row per event, columns ``EXPORT_FIELDS``; ``at`` in UTC with microseconds, ``details``
as JSON text, an empty cell is null (except the actor's name, roles and departments, which are
text). A cell that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a
carriage return) or that starts with ``'`` gets one ``'`` in front; reading strips it again, so
the export verifies exactly.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from engine.audit_chain import AuditKeyring, ChainReport, format_at, verify_chain
from engine.results import AuditEventView

EXPORT_FIELDS = (
    "id", "chain", "seq", "at", "actor_user_id", "actor_name", "actor_roles", "actor_departments", "acting_for",
    "action", "instance_id", "task_id", "request_id", "details", "prev_mac", "key_id", "mac",
)
TEXT_FIELDS = frozenset({"actor_name", "actor_roles", "actor_departments"})  # "" stays "" (never null)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


class ExportError(ValueError):
    """A file that is not a Wutong history export."""


def escape_cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def unescape_cell(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS) else text


def _cell(name: str, event: AuditEventView) -> str:
    value: Any = event.actor_name if name == "actor_name" else getattr(event, name)
    if value is None:
        return ""
    if name == "at":
        return format_at(value)
    if name == "details":
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return escape_cell(str(value))


def to_csv(events: Iterable[AuditEventView]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_FIELDS)
    for event in events:
        writer.writerow([_cell(name, event) for name in EXPORT_FIELDS])
    return out.getvalue()


def read_export(data: bytes) -> list[dict[str, Any]]:
    """The events of a JSON (an array of events, as the API returns them) or CSV export."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportError("not UTF-8 text") from exc
    if text.lstrip().startswith(("[", "{")):
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise ExportError(f"not valid JSON: {exc}") from exc
        items = parsed.get("events") if isinstance(parsed, dict) else parsed
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise ExportError("a JSON export is an array of events")
        return [_normalised(item) for item in items]
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and set(EXPORT_FIELDS) - set(rows[0]):
        raise ExportError("the CSV lacks the columns " + ", ".join(sorted(set(EXPORT_FIELDS) - set(rows[0]))))
    return [_normalised(_from_csv(row)) for row in rows]


def _from_csv(row: Mapping[str, str]) -> dict[str, Any]:
    event: dict[str, Any] = {}
    for name in EXPORT_FIELDS:
        text = unescape_cell(row.get(name) or "")
        if name == "details":
            event[name] = json.loads(text) if text else None
        else:
            event[name] = text if text or name in TEXT_FIELDS else None
    return event


def _normalised(event: dict[str, Any]) -> dict[str, Any]:
    try:
        at = event["at"]
        event["at"] = format_at(datetime.fromisoformat(at)) if isinstance(at, str) else at
        event["seq"] = int(event["seq"])
        event["actor_name"] = event.get("actor_name") or event.get("actor") or ""
        for name in ("chain", "action", "key_id", "mac"):
            if not isinstance(event.get(name), str):
                raise ExportError(f"an event has no {name}")
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ExportError):
            raise
        raise ExportError(f"an event cannot be read: {exc}") from exc
    return event


def verify_export(keyring: AuditKeyring, events: Sequence[Mapping[str, Any]], *, partial: bool) -> list[ChainReport]:
    """Check each chain in an export; without ``partial`` every chain must be complete from seq 1."""
    chains: dict[str, list[Mapping[str, Any]]] = {}
    for event in events:
        chains.setdefault(str(event["chain"]), []).append(event)
    return [
        verify_chain(keyring, chain, sorted(items, key=lambda e: int(e["seq"])), partial=partial)
        for chain, items in sorted(chains.items())
    ]
