"""Frozen dataclasses the services return: plain values, never ORM rows or SpiffWorkflow objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class DepartmentView:
    code: str
    name: str
    name_en: str | None


@dataclass(frozen=True)
class CompanyView:
    id: str
    name: str
    credit_code: str | None


@dataclass(frozen=True)
class UserView:
    id: str
    username: str
    display_name: str
    active: bool
    roles: tuple[str, ...]
    departments: tuple[str, ...]
    company: CompanyView | None


@dataclass(frozen=True)
class TokenView:
    id: str
    user_id: str
    name: str | None
    created_at: datetime
    revoked_at: datetime | None
    secret: str | None = None  # only present right after creation


@dataclass(frozen=True)
class DeployedProcess:
    id: str
    key: str
    version: int
    name: str | None
    created: bool


@dataclass(frozen=True)
class DeploymentResult:
    id: str | None
    created: bool
    processes: tuple[DeployedProcess, ...]


@dataclass(frozen=True)
class DefinitionView:
    id: str
    key: str
    version: int
    name: str | None
    deployment_id: str
    source_file: str
    created_at: datetime
    properties: dict[str, str]
    lanes: dict[str, str | None]  # lane id -> department code (None for the applicant lane)


@dataclass(frozen=True)
class TaskSummary:
    id: str
    name: str | None
    activity_id: str
    department: str | None
    assignee: str | None
    state: str
    due_at: datetime | None
    due_status: str | None = None
    kind: str = "user"


@dataclass(frozen=True)
class TaskView:
    id: str
    name: str | None
    activity_id: str
    instance_id: str
    process_key: str
    business_key: str | None
    department: str | None
    assignee: str | None
    state: str
    created_at: datetime
    due_at: datetime | None
    ended_at: datetime | None
    completed_by: str | None
    acting_for: str | None
    instructions: str | None
    form: dict[str, Any] | None
    data: dict[str, Any]
    due_status: str | None = None
    original_due_at: datetime | None = None
    deadline_warning: str | None = None
    kind: str = "user"


@dataclass(frozen=True)
class IncidentView:
    id: str
    instance_id: str
    task_id: str | None
    element_id: str | None
    code: str
    message: str
    line: int | None
    data: dict[str, Any] | None
    created_at: datetime
    resolved_at: datetime | None
    blocking: bool = True  # False: recorded for the designer (e.g. template_failed); the case runs on


@dataclass(frozen=True)
class InstanceView:
    id: str
    number: str
    key: str
    version: int
    definition_id: str
    business_key: str | None
    owner_user_id: str | None
    owner_username: str | None
    department: str | None
    applicant_id: str | None
    state: str
    variables: dict[str, Any]
    open_tasks: tuple[TaskSummary, ...]
    completed_activities: tuple[str, ...]
    active_activities: tuple[str, ...]
    incidents: tuple[IncidentView, ...]
    started_at: datetime
    ended_at: datetime | None
    row_version: int
    due_at: datetime | None = None
    due_status: str | None = None
    original_due_at: datetime | None = None


@dataclass(frozen=True)
class CompletionResult:
    task: TaskView
    case_state: str
    open_tasks: tuple[TaskSummary, ...]


@dataclass(frozen=True)
class MessageResult:
    delivered_to: tuple[str, ...]


@dataclass(frozen=True)
class TimerRun:
    fired: int
    instances: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class AuditEventView:
    id: int
    at: datetime
    actor: str
    actor_user_id: str | None
    acting_for: str | None
    action: str
    instance_id: str | None
    task_id: str | None
    details: dict[str, Any] | None


@dataclass(frozen=True)
class Page:
    """A slice of a list plus the total, for pagination headers."""

    items: tuple[Any, ...]
    total: int


@dataclass(frozen=True)
class EscalationView:
    id: str
    task_id: str
    instance_id: str
    department: str | None
    due_at: datetime
    overdue_since: datetime
    escalation_task_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class NotificationView:
    id: str
    kind: str
    instance_id: str | None
    task_id: str | None
    text: str
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class CalendarDayView:
    day: date
    working: bool
    note: str
