"""The engine's fixed vocabularies, public so entry points (API schemas, CLI) can offer them."""

from __future__ import annotations

CASE_STATES = ("running", "completed", "cancelled", "error")
TASK_STATES = ("open", "claimed", "completed", "cancelled")
DUE_STATUSES = ("on_time", "due_soon", "overdue")
# "created_at" is accepted for cases too, meaning started_at
CASE_SORT_FIELDS = frozenset(
    {"started_at", "created_at", "ended_at", "number", "state", "process_key", "business_key", "due_at"}
)
TASK_SORT_FIELDS = frozenset({"created_at", "due_at", "name", "state", "activity_id", "ended_at"})
OPEN_TASK_STATES = ("open", "claimed")  # "open tasks" everywhere means these two
