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
    phone: str | None = None
    email: str | None = None
    notify_via: str | None = None  # sms | email | dingtalk: how a delivery bridge reaches them


@dataclass(frozen=True)
class ApplicantView:
    """A company's user, as staff see it when opening a case for the company (no contact details)."""

    id: str
    username: str
    display_name: str
    company: CompanyView | None


@dataclass(frozen=True)
class TokenView:
    id: str
    user_id: str
    name: str | None
    created_at: datetime
    revoked_at: datetime | None
    secret: str | None = None  # only present right after creation
    expires_at: datetime | None = None  # None: never
    last_used_at: datetime | None = None  # to the hour
    prefix: str | None = None  # the 8 characters after ``wt_`` (None for tokens older than prefixes)
    state: str = "active"  # active | expired | revoked


@dataclass(frozen=True)
class DeployedProcess:
    id: str
    key: str
    version: int
    name: str | None
    created: bool


@dataclass(frozen=True)
class DeployedDecision:
    """A DMN decision of an upload: its version, and whether this deployment made it."""

    key: str
    version: int
    file: str
    created: bool


@dataclass(frozen=True)
class DeploymentResult:
    id: str | None
    created: bool
    processes: tuple[DeployedProcess, ...]
    decisions: tuple[DeployedDecision, ...] = ()


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
    running_cases: int = 0  # cases of this version not yet completed or cancelled (running or in error)
    deployed_by: Any = None  # deployment_views.DeployerView of who deployed it, when known
    start_form: dict[str, Any] | None = None  # the JSON Schema of ``startFormJsonSchemaFilename``
    needs_applicant: bool = False  # it has ``applicantOnly`` steps: staff name the applicant when starting


@dataclass(frozen=True)
class TaskSummary:
    id: str
    name: str | None
    activity_id: str
    department: str | None
    assignee: str | None
    state: str
    due_at: datetime | None
    instance_id: str
    case_number: str
    business_key: str | None
    process_key: str
    process_name: str | None
    created_at: datetime
    due_status: str | None = None
    kind: str = "user"


@dataclass(frozen=True)
class SentBackView:
    """Why and by whom a step was sent back (退回) to be done again."""

    reason: str
    by: str | None
    by_username: str
    at: datetime
    from_activity_id: str | None


@dataclass(frozen=True)
class TaskView:
    id: str
    name: str | None
    activity_id: str
    instance_id: str
    case_number: str
    process_key: str
    process_name: str | None
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
    sent_back: SentBackView | None = None
    send_back_to: str | None = None  # the earlier step a supervisor may send this one back to (sendBackTo)


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
    process_name: str | None = None
    current_steps: tuple[Any, ...] = ()  # engine.case_progress.CaseStep: where the case stands, for every reader


@dataclass(frozen=True)
class CompletionResult:
    task: TaskView
    case_state: str
    open_tasks: tuple[TaskSummary, ...]
    rendered: bool = False
    """The task view is final as built in the transaction: its step has no instructions template and
    the actor reads all data, so there is nothing to render or hide after the commit."""


@dataclass(frozen=True)
class MessageResult:
    delivered_to: tuple[str, ...]


@dataclass(frozen=True)
class TimerRun:
    fired: int
    instances: tuple[str, ...] = field(default_factory=tuple)
    failed: tuple[str, ...] = field(default_factory=tuple)  # cases whose timers could not fire (put off)


@dataclass(frozen=True)
class AuditEventView:
    """One audit event with its chain fields (``actor`` is the actor's user name, as ``actor_name``)."""

    id: int
    at: datetime
    actor: str
    actor_user_id: str | None
    acting_for: str | None
    action: str
    instance_id: str | None
    task_id: str | None
    details: dict[str, Any] | None
    chain: str = ""
    seq: int = 0
    actor_roles: str = ""
    actor_departments: str = ""
    request_id: str | None = None
    prev_mac: str | None = None
    key_id: str = ""
    mac: str = ""
    actor_display_name: str | None = None  # the user's name as shown today (read beside the event, not chained)

    @property
    def actor_name(self) -> str:
        return self.actor


@dataclass(frozen=True)
class ChainVerification:
    """One chain checked: ``first_broken`` names the first event that fails (seq, event id, reason)."""

    chain: str
    valid: bool
    events: int
    first_broken: dict[str, Any] | None = None


@dataclass(frozen=True)
class AuditVerification:
    """Every chain checked, and the last digest."""

    valid: bool
    chains: int
    events: int
    broken: tuple[ChainVerification, ...]
    digest: dict[str, Any] | None


@dataclass(frozen=True)
class Page:
    """A slice of a list plus the total, for pagination headers; ``capped``: the list holds more than
    ``total`` rows, which is the cap its count stopped at (see ``engine.paging.capped_count``)."""

    items: tuple[Any, ...]
    total: int
    capped: bool = False


@dataclass(frozen=True)
class InboxCounts:
    """How many tasks the actor's inbox holds per status (``capped``: a count stopped at the list cap,
    so that number means "at least")."""

    all: int
    open: int
    mine: int
    due_soon: int
    overdue: int
    capped: bool = False


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
    recipient: RecipientView | None = None
    channel: str | None = None  # the recipient's notify_via: sms | email | dingtalk (None: not set)
    read_at: datetime | None = None  # when the recipient marked it read (None: unread)


@dataclass(frozen=True)
class RecipientView:
    """Whom a notification is for, as a delivery bridge needs it."""

    id: str
    username: str
    display_name: str
    phone: str | None
    email: str | None


@dataclass(frozen=True)
class CalendarDayView:
    day: date
    working: bool
    note: str


@dataclass(frozen=True)
class ElementState:
    """One BPMN element of a case as its diagram marks it: ``completed``, ``active`` or ``overdue``."""

    element_id: str
    state: str
    department: str | None = None  # an open step's department (the first of several openings)
    due_at: datetime | None = None  # the earliest deadline of its open steps
    due_status: str | None = None


@dataclass(frozen=True)
class CaseProgress:
    """Where a case stands, element by element, and the departments that took part."""

    instance_id: str
    definition_id: str
    state: str
    elements: tuple[ElementState, ...]
    departments: tuple[str, ...]  # the owning department first, then every task department
    may_repair: bool = False  # the reader may fix the case's data, retry and cancel it (engine.access)


@dataclass(frozen=True)
class WaitingMessageView:
    """A message a case waits for: its correlation values, the payload's schema, and whether the reader may send it."""

    name: str
    correlation: dict[str, Any]
    payload_schema: dict[str, Any]
    schema_declared: bool  # the process declares the payload's schema (payloadJsonSchemaFilename)
    may_send: bool


@dataclass(frozen=True)
class DataChoice:
    """A coded value of a form field and the words its form gives it."""

    value: Any
    title: str


@dataclass(frozen=True)
class DataLabel:
    """How a case variable reads: its form's title, type, format (``date``…) and coded values' titles."""

    name: str
    title: str
    type: str | None
    format: str | None
    choices: tuple[DataChoice, ...] = ()
