"""Values as history events carry them: JSON-ready and capped in size.

Events keep the values a command changed (submitted data, a variable's old and new value, a
message's payload) so each round of a case can be read back. One value larger than
``MAX_EVENT_VALUE_BYTES`` (64 KiB serialized, the same cap as one string in a request body, see
docs/security.md) is replaced by a marker with its size and SHA-256, so an event never grows
without bound and the history still shows that (and what) changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

MAX_EVENT_VALUE_BYTES = 64 * 1024
_MISSING = object()


def capped(value: Any, limit: int = MAX_EVENT_VALUE_BYTES) -> Any:
    """``value`` as JSON-ready data, or ``{"truncated": true, "bytes": n, "sha256": ...}`` when too large."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    size = len(text.encode("utf-8"))
    if size <= limit:
        loaded: Any = json.loads(text)
        return loaded
    return {"truncated": True, "bytes": size, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}


def capped_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """Each field of ``values`` capped on its own."""
    return {str(name): capped(value) for name, value in values.items()}


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each field whose value differs: ``{name: {"old": ..., "new": ...}}`` (absent is null, with
    ``"unset": true`` when the field went away), values capped."""
    changed: dict[str, dict[str, Any]] = {}
    for name in sorted(set(before) | set(after), key=str):
        old, new = before.get(name, _MISSING), after.get(name, _MISSING)
        if old == new:
            continue
        entry = {
            "old": None if old is _MISSING else capped(old),
            "new": None if new is _MISSING else capped(new),
        }
        if new is _MISSING:
            entry["unset"] = True
        changed[str(name)] = entry
    return changed
