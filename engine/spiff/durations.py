"""ISO 8601 durations, parsed the way SpiffWorkflow's timers parse them (one parser for both)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition


@dataclass(frozen=True)
class Duration:
    """A parsed ISO 8601 duration such as ``P5D`` or ``PT4H``."""

    text: str
    parts: tuple[tuple[str, int | float], ...]

    @property
    def whole_days(self) -> int | None:
        """N for a pure ``PnD`` (or ``PnW``) duration, else None."""
        parts = dict(self.parts)
        if set(parts) - {"days", "weeks"} or not parts:
            return None
        days = parts.get("days", 0) + 7 * parts.get("weeks", 0)
        return int(days) if float(days).is_integer() else None

    @property
    def approximate_days(self) -> float:
        """Its length in days (a year 365.25, a month 30.44): for bounds checks, never overflows."""
        parts = dict(self.parts)
        return float(
            parts.get("years", 0) * 365.25 + parts.get("months", 0) * 30.44 + parts.get("weeks", 0) * 7
            + parts.get("days", 0) + parts.get("hours", 0) / 24 + parts.get("minutes", 0) / 1440
            + parts.get("seconds", 0) / 86400
        )

    def after(self, start: datetime) -> datetime:
        parsed: dict[str, Any] = dict(self.parts)
        end: datetime = start + TimerEventDefinition.get_timedelta_from_start(parsed, start)
        return end


def parse_duration(text: str) -> Duration:
    """Parse ``text``; ValueError when it is not an ISO 8601 duration."""
    cleaned = (text or "").strip()
    if not cleaned.upper().startswith("P") or len(cleaned) < 3:
        raise ValueError(f"'{text}' is not an ISO 8601 duration such as P5D or PT4H")
    try:
        parsed = TimerEventDefinition.parse_iso_duration(cleaned)
    except Exception as exc:
        raise ValueError(f"'{text}' is not an ISO 8601 duration such as P5D or PT4H") from exc
    if not parsed:
        raise ValueError(f"'{text}' is not an ISO 8601 duration such as P5D or PT4H")
    return Duration(cleaned.upper(), tuple(sorted(parsed.items())))
