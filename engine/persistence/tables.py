"""The database schema as SQLAlchemy Core tables; Alembic migrations are generated from it.

Core tables, not ORM classes: the hot path builds few statements and returns plain rows, and the
services turn rows into frozen result dataclasses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal,
    text,
)
from sqlalchemy.types import TypeDecorator

from engine.vocabulary import OPEN_TASK_STATES

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

UUID_LEN = 36


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would otherwise drop the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(name: str, nullable: bool = False) -> Column[datetime]:
    return Column(name, UtcDateTime(), nullable=nullable)


# --- identity ---------------------------------------------------------------------------------

departments = Table(
    "departments",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_en", String(200)),
    _ts("created_at"),
)

companies = Table(
    "companies",
    metadata,
    Column("id", String(UUID_LEN), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("credit_code", String(64), unique=True),
    _ts("created_at"),
)

users = Table(
    "users",
    metadata,
    Column("id", String(UUID_LEN), primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(300)),
    Column("active", Boolean, nullable=False, default=True),
    Column("company_id", String(UUID_LEN), ForeignKey("companies.id")),
    _ts("created_at"),
    Column("phone", String(32)),  # where a delivery bridge reaches the user
    Column("email", String(254)),
    Column("notify_via", String(16)),  # sms | email | dingtalk
    # bumped by every change to the user (roles, departments, company, active): cached actors
    # of older versions are rebuilt, in every worker, on their next request
    Column("auth_version", Integer, nullable=False, default=0, server_default="0"),
)

user_departments = Table(
    "user_departments",
    metadata,
    Column("user_id", String(UUID_LEN), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("department_code", String(64), ForeignKey("departments.code"), nullable=False),
    PrimaryKeyConstraint("user_id", "department_code"),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", String(UUID_LEN), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(32), nullable=False),
    PrimaryKeyConstraint("user_id", "role"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(UUID_LEN), primary_key=True),
    Column("user_id", String(UUID_LEN), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("name", String(100)),
    _ts("created_at"),
    _ts("revoked_at", nullable=True),
    _ts("expires_at", nullable=True),  # None: never (command-line and demo tokens)
    _ts("last_used_at", nullable=True),  # to the hour, written at most once an hour
    Column("prefix", String(8)),  # the 8 characters after ``wt_``; None for tokens from before
    Index("ix_api_tokens_user", "user_id"),
)

# --- web sessions (engine/services/sessions.py) ---------------------------------------------------

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", String(UUID_LEN), primary_key=True),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("user_id", String(UUID_LEN), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    _ts("created_at"),
    _ts("last_seen_at"),
    _ts("ended_at", nullable=True),
)

sign_in_throttle = Table(
    "sign_in_throttle",
    metadata,
    Column("username", String(100), primary_key=True),
    Column("failures", Integer, nullable=False),
    _ts("window_started_at"),
    _ts("locked_until", nullable=True),
)

# --- repository -------------------------------------------------------------------------------

deployments = Table(
    "deployments",
    metadata,
    Column("id", String(UUID_LEN), primary_key=True),
    Column("deployed_by", String(UUID_LEN)),
    _ts("created_at"),
)

deployment_files = Table(
    "deployment_files",
    metadata,
    Column("deployment_id", String(UUID_LEN), ForeignKey("deployments.id"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("content", LargeBinary, nullable=False),
    PrimaryKeyConstraint("deployment_id", "name"),
)

# Every deployed version of a DMN decision: its file is in deployment_files. A process deployed later
# without the table binds the newest version; process versions keep the table they were built with.
decision_versions = Table(
    "decision_versions",
    metadata,
    Column("decision_key", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    Column("deployment_id", String(UUID_LEN), ForeignKey("deployments.id"), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("content_hash", String(64), nullable=False),
    _ts("created_at"),
    PrimaryKeyConstraint("decision_key", "version"),
)


def _state_version_columns() -> list[Column[Any]]:
    """Which SpiffWorkflow serializer version and Wutong row layout wrote a stored case or spec.

    The server defaults are what every row stored before these columns existed was written with
    (SpiffWorkflow 3.2.0, layout 1); new rows name engine.spiff.state_versions' values.
    """
    return [
        Column("serializer_version", String(16), nullable=False, server_default="1.5"),
        Column("layout_version", Integer, nullable=False, server_default="1"),
    ]


process_definitions = Table(
    "process_definitions",
    metadata,
    Column("id", String(UUID_LEN), primary_key=True),
    Column("key", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", String(255)),
    Column("deployment_id", String(UUID_LEN), ForeignKey("deployments.id"), nullable=False),
    Column("source_file", String(255), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("spec_json", Text, nullable=False),
    Column("model_json", Text, nullable=False),
    *_state_version_columns(),
    _ts("created_at"),
    UniqueConstraint("key", "version"),
)

# --- runtime ----------------------------------------------------------------------------------

process_instances = Table(
    "process_instances",
    metadata,
    Column("id", String(UUID_LEN), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("definition_id", String(UUID_LEN), ForeignKey("process_definitions.id"), nullable=False),
    Column("process_key", String(255), nullable=False),
    Column("business_key", String(255)),
    Column("state", String(16), nullable=False),
    Column("owner_user_id", String(UUID_LEN)),
    Column("department_code", String(64), ForeignKey("departments.code")),
    Column("applicant_user_id", String(UUID_LEN), ForeignKey("users.id")),
    Column("variables_json", Text, nullable=False),
    Column("completed_activities_json", Text, nullable=False),
    Column("active_activities_json", Text, nullable=False),
    Column("row_version", Integer, nullable=False),
    *_state_version_columns(),
    _ts("started_at"),
    _ts("ended_at", nullable=True),
    Column("ended_how", String(16)),  # completed | terminated | cancelled (None while it runs)
    _ts("due_at", nullable=True),
    _ts("original_due_at", nullable=True),
    Index("ix_process_instances_key_state", "process_key", "state"),
    Index("ix_process_instances_business_key", "process_key", "business_key"),
    # the case list pages each visibility branch by its own index, newest first (0016_caselist)
    Index("ix_process_instances_department_started", "department_code", "started_at"),
    # partial: most cases have no applicant, and a full index's statistics would say "every row"
    Index(
        "ix_process_instances_applicant_started",
        "applicant_user_id",
        "started_at",
        sqlite_where=text("applicant_user_id IS NOT NULL"),
        postgresql_where=text("applicant_user_id IS NOT NULL"),
    ),
    Index("ix_process_instances_started_at", "started_at"),
    Index("ix_process_instances_ended_at", "ended_at"),
    Index("ix_process_instances_due_at", "due_at"),
    # one live case per business key and process; finished cases free the key
    Index(
        "uq_process_instances_live_business_key",
        "process_key",
        "business_key",
        unique=True,
        sqlite_where=text("state IN ('running', 'error') AND business_key IS NOT NULL"),
        postgresql_where=text("state IN ('running', 'error') AND business_key IS NOT NULL"),
    ),
)

case_state_rows = Table(
    "case_state_rows",
    metadata,
    Column("instance_id", String(UUID_LEN), ForeignKey("process_instances.id"), nullable=False),
    Column("row_key", String(128), nullable=False),
    Column("owner", String(UUID_LEN), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("digest", String(32), nullable=False),
    Column("content", Text, nullable=False),
    PrimaryKeyConstraint("instance_id", "row_key"),
)

case_numbers = Table(
    "case_numbers",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("last_value", Integer, nullable=False),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", String(UUID_LEN), primary_key=True),  # this opening's own id (the API's task id)
    Column("instance_id", String(UUID_LEN), ForeignKey("process_instances.id"), nullable=False),
    Column("spiff_task_id", String(UUID_LEN)),  # the workflow task it opened for (None: escalation tasks)
    Column("activity_id", String(255), nullable=False),
    Column("name", String(255)),
    Column("lane", String(255)),
    Column("department_code", String(64)),
    Column("assignee_user_id", String(UUID_LEN)),
    Column("state", String(16), nullable=False),
    Column("form_name", String(255)),
    Column("data_json", Text),  # the task's data when it opened
    Column("submitted_json", Text),  # what the completing user submitted
    Column("completed_by", String(UUID_LEN)),
    Column("acting_for", String(UUID_LEN)),
    Column("kind", String(16), nullable=False, server_default="user"),  # user | escalation
    _ts("created_at"),
    _ts("due_at", nullable=True),
    _ts("original_due_at", nullable=True),
    _ts("escalated_at", nullable=True),
    _ts("ended_at", nullable=True),
    Index("ix_tasks_department_state_due", "department_code", "state", "due_at"),
    Index("ix_tasks_department_state_kind_due", "department_code", "state", "kind", "due_at"),  # inbox (0018)
    Index("ix_tasks_state_due_at", "state", "due_at"),
    Index("ix_tasks_assignee_state_due", "assignee_user_id", "state", "due_at"),
    Index("ix_tasks_instance_state", "instance_id", "state"),  # a case's open tasks (0019)
    Index("ix_tasks_spiff_task_id", "spiff_task_id"),
    Index("ix_tasks_department_instance", "department_code", "instance_id"),  # cases a department worked on
    Index("ix_tasks_completed_by_instance", "completed_by", "instance_id"),  # cases a person handled (ledger)
)

# ``tasks.state IN ('open', 'claimed')`` with a bound value per state. ``in_()`` over a Python list makes
# an "expanding" parameter that SQLAlchemy renders into the SQL again at every execution (30-50 us each,
# about twenty times per case); the SQL the database gets is the same.
TASK_IS_OPEN = tasks.c.state.in_([literal(state) for state in OPEN_TASK_STATES])

timers = Table(
    "timers",
    metadata,
    Column("instance_id", String(UUID_LEN), ForeignKey("process_instances.id"), nullable=False),
    Column("task_id", String(UUID_LEN), nullable=False),
    Column("activity_id", String(255), nullable=False),
    _ts("due_at"),
    PrimaryKeyConstraint("instance_id", "task_id"),
    Index("ix_timers_due_at", "due_at"),
)

message_subscriptions = Table(
    "message_subscriptions",
    metadata,
    Column("instance_id", String(UUID_LEN), ForeignKey("process_instances.id"), nullable=False),
    Column("task_id", String(UUID_LEN), nullable=False),
    Column("message_name", String(255), nullable=False),
    Column("correlations_json", Text, nullable=False),
    PrimaryKeyConstraint("instance_id", "task_id"),
    Index("ix_message_subscriptions_name", "message_name"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(UUID_LEN), primary_key=True),
    Column("instance_id", String(UUID_LEN), ForeignKey("process_instances.id"), nullable=False),
    Column("task_id", String(UUID_LEN)),
    Column("element_id", String(255)),
    Column("code", String(64), nullable=False),
    Column("message", Text, nullable=False),
    Column("line", Integer),
    Column("data_json", Text),
    _ts("created_at"),
    _ts("resolved_at", nullable=True),
    Index("ix_incidents_instance", "instance_id"),
)

# --- history ----------------------------------------------------------------------------------

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    # the chain: a case's id (or "system"), the place in it, the predecessor's MAC and this event's MAC
    Column("chain", String(UUID_LEN), nullable=False),
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    _ts("at"),
    Column("actor_user_id", String(UUID_LEN)),
    Column("actor_name", String(100), nullable=False),
    Column("actor_roles", String(200), nullable=False, server_default=""),  # sorted, comma-separated
    Column("actor_departments", Text, nullable=False, server_default=""),  # sorted, comma-separated
    Column("acting_for", String(UUID_LEN)),
    Column("action", String(64), nullable=False),
    Column("instance_id", String(UUID_LEN)),
    Column("task_id", String(UUID_LEN)),  # the task instance
    Column("request_id", String(64)),
    Column("details", JSON),
    Column("prev_mac", String(64)),
    Column("key_id", String(64), nullable=False),
    Column("mac", String(64), nullable=False),
    UniqueConstraint("chain", "seq"),
    Index("ix_audit_events_instance", "instance_id"),
    Index("ix_audit_events_at", "at"),
    Index("ix_audit_events_action", "action"),
    Index("ix_audit_events_actor", "actor_user_id"),
)

audit_chain_heads = Table(
    "audit_chain_heads",  # one row per chain: locked by every append, so a chain never forks
    metadata,
    Column("chain", String(UUID_LEN), primary_key=True),
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("mac", String(64)),
)

# --- time: calendar, escalations, notifications ------------------------------------------------

calendar_overrides = Table(
    "calendar_overrides",
    metadata,
    Column("day", Date, primary_key=True),
    Column("working", Boolean, nullable=False),
    Column("note", String(200), nullable=False),
    _ts("created_at"),
)

escalations = Table(
    "escalations",
    metadata,
    Column("id", String(UUID_LEN), primary_key=True),
    Column("task_id", String(UUID_LEN), ForeignKey("tasks.id"), nullable=False),  # again after an extension
    Column("instance_id", String(UUID_LEN), ForeignKey("process_instances.id"), nullable=False),
    Column("department_code", String(64)),
    _ts("due_at"),
    _ts("overdue_since"),
    Column("escalation_task_id", String(UUID_LEN)),
    _ts("created_at"),
    Index("ix_escalations_department", "department_code"),
    Index("ix_escalations_task", "task_id"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", String(UUID_LEN), primary_key=True),
    Column("recipient_user_id", String(UUID_LEN), ForeignKey("users.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("instance_id", String(UUID_LEN)),
    Column("task_id", String(UUID_LEN)),
    Column("text", Text, nullable=False),
    _ts("created_at"),
    _ts("sent_at", nullable=True),  # when a delivery bridge sent it
    _ts("read_at", nullable=True),  # when its recipient marked it read (migration 0012_supervision)
    Index("ix_notifications_recipient", "recipient_user_id", "created_at"),
    Index("ix_notifications_unsent", "sent_at"),
    Index("ix_notifications_unread", "recipient_user_id", "read_at"),
)

# --- the ledger and its figures (engine/ledger.py, engine/services/reports.py) -----------------------

ledger_cases = Table(
    "ledger_cases",
    metadata,
    Column("instance_id", String(UUID_LEN), ForeignKey("process_instances.id"), primary_key=True),
    Column("number", String(32), nullable=False),
    Column("business_key", String(255)),
    Column("process_key", String(255), nullable=False),
    Column("department_code", String(64)),  # the lead department, else the owning one
    Column("owner_department_code", String(64)),
    Column("applicant_user_id", String(UUID_LEN)),
    Column("company", String(255)),
    Column("credit_code", String(255)),
    Column("category", String(255)),
    Column("outcome", String(255)),
    Column("state", String(16), nullable=False),
    Column("ended_how", String(16)),  # completed | terminated | cancelled; null while open
    Column("accepted", Boolean, nullable=False),
    Column("closed", Boolean, nullable=False),
    Column("satisfaction", Integer),
    _ts("started_at"),
    _ts("ended_at", nullable=True),
    Column("start_month", String(7), nullable=False),  # local YYYY-MM
    Column("end_month", String(7)),
    _ts("due_at", nullable=True),
    _ts("original_due_at", nullable=True),
    Column("handling_days", Integer),  # working days from the local start date to the local end date
    Column("on_time", Boolean),  # closed by the due time in force; null: not closed or no limit
    Column("on_time_original", Boolean),  # closed by the original due time
    Column("current_steps", Text, nullable=False, server_default=""),  # open steps' names, "; "-separated
    Column("current_departments", Text, nullable=False, server_default=""),  # ",a,b," for LIKE '%,a,%'
    Column("extra_json", Text, nullable=False, server_default="{}"),  # the process's own ledger columns
    Index("ix_ledger_cases_department_due", "department_code", "due_at"),
    Index("ix_ledger_cases_started", "started_at"),
    Index("ix_ledger_cases_ended", "ended_at"),
    Index("ix_ledger_cases_process_started", "process_key", "started_at"),
    Index("ix_ledger_cases_category", "category"),
    Index("ix_ledger_cases_company", "company"),
    Index("ix_ledger_cases_state_due", "state", "due_at"),
    # the staff ledger's visibility branches (engine/services/ledger_list.py); the applicant's is
    # partial: most cases have no applicant, and a full index's statistics said "useless" (0017)
    Index(
        "ix_ledger_cases_applicant_started", "applicant_user_id", "started_at",
        sqlite_where=text("applicant_user_id IS NOT NULL"), postgresql_where=text("applicant_user_id IS NOT NULL"),
    ),
    Index("ix_ledger_cases_owner_started", "owner_department_code", "started_at"),
    # an owning department's rows filtered by lead department: counted from the index, paged by due date
    Index("ix_ledger_cases_owner_department_due", "owner_department_code", "department_code", "due_at"),
    # covers the summary's scans of the partial months at a window's edges (engine/services/reports.py;
    # whole months come from the ledger_month_* totals) and the recount of those totals
    Index(
        "ix_ledger_cases_started_figures", "started_at", "process_key", "department_code", "category", "start_month",
        "end_month", "accepted", "closed", "state", "ended_how", "on_time", "on_time_original", "satisfaction",
        "handling_days",
    ),
)

def _month_key() -> list[Column[Any]]:
    """The key the summary groups and filters on (engine/ledger_totals.py): a null department or
    category is "", a value "=" + value."""
    return [
        Column("start_month", String(7), nullable=False),
        Column("process_key", String(255), nullable=False),
        Column("department_key", String(65), nullable=False),
        Column("category_key", String(256), nullable=False),
    ]


def _counts(*names: str) -> list[Column[int]]:
    return [Column(name, Integer, nullable=False, server_default="0") for name in names]


# The summary's totals per start month, kept in step with ledger_cases (engine/ledger_totals.py). Each
# primary key leads with the summary's GROUP BY, and on SQLite the table is that key's b-tree (WITHOUT
# ROWID), so the grouped reads are one ordered scan with no temporary b-tree.
ledger_month_cells = Table(
    "ledger_month_cells",
    metadata,
    *_month_key(),
    *_counts("received", "accepted", "closed", "open", "cancelled", "terminated", "closed_on_time",
             "closed_on_time_original", "closed_no_limit", "rated", "satisfaction_sum"),
    PrimaryKeyConstraint("department_key", "category_key", "start_month", "process_key"),
    sqlite_with_rowid=False,
)

ledger_month_days = Table(
    "ledger_month_days",
    metadata,
    *_month_key(),
    Column("handling_days", Integer, nullable=False),
    *_counts("closed"),
    PrimaryKeyConstraint("department_key", "category_key", "handling_days", "start_month", "process_key"),
    sqlite_with_rowid=False,
)

ledger_month_closures = Table(
    "ledger_month_closures",
    metadata,
    *_month_key(),
    Column("end_month", String(7), nullable=False),
    *_counts("closed", "closed_on_time"),
    PrimaryKeyConstraint("end_month", "start_month", "process_key", "department_key", "category_key"),
    sqlite_with_rowid=False,
)

points_rules = Table(
    "points_rules",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
    _ts("updated_at"),
    Column("updated_by", String(100)),
)
