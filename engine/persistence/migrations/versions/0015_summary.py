"""summary: the summary's totals per start month, pre-aggregated from the ledger

``ledger_month_cells`` (the counts), ``ledger_month_days`` (closed cases per handling day, for exact
nearest-rank percentiles) and ``ledger_month_closures`` (closed cases per closure month), keyed by
(start month, process, department, category) and kept in step with ``ledger_cases`` by every command
(engine/ledger_totals.py), so the summary no longer scans the whole ledger. Filled here from the
ledger already projected. The three covering indexes of the whole-ledger scans give way to one led by
``started_at``, for the scans of the partial months at a window's edges.

Revision ID: 0015_summary
Revises: 0014_handled
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_summary"
down_revision = "0014_handled"
branch_labels = None
depends_on = None

TABLES = ("ledger_month_cells", "ledger_month_days", "ledger_month_closures")
FIGURE_INDEXES = ("ix_ledger_cases_figures", "ix_ledger_cases_closed_days", "ix_ledger_cases_closed_month")
# covers the scans of a window's partial months and the recount below
STARTED_FIGURES = [
    "started_at", "process_key", "department_code", "category", "start_month", "end_month", "accepted", "closed",
    "state", "ended_how", "on_time", "on_time_original", "satisfaction", "handling_days",
]


# each primary key leads with the summary's GROUP BY; on SQLite the table is that key's b-tree
def _key() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("start_month", sa.String(7), nullable=False),
        sa.Column("process_key", sa.String(255), nullable=False),
        sa.Column("department_key", sa.String(65), nullable=False),
        sa.Column("category_key", sa.String(256), nullable=False),
    ]


def _counts(*names: str) -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column(name, sa.Integer(), nullable=False, server_default="0") for name in names]



def upgrade() -> None:
    op.create_table(
        "ledger_month_cells",
        *_key(),
        *_counts("received", "accepted", "closed", "open", "cancelled", "terminated", "closed_on_time",
                 "closed_on_time_original", "closed_no_limit", "rated", "satisfaction_sum"),
        sa.PrimaryKeyConstraint("department_key", "category_key", "start_month", "process_key",
                                name="pk_ledger_month_cells"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ledger_month_days",
        *_key(),
        sa.Column("handling_days", sa.Integer(), nullable=False),
        *_counts("closed"),
        sa.PrimaryKeyConstraint("department_key", "category_key", "handling_days", "start_month", "process_key",
                                name="pk_ledger_month_days"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ledger_month_closures",
        *_key(),
        sa.Column("end_month", sa.String(7), nullable=False),
        *_counts("closed", "closed_on_time"),
        sa.PrimaryKeyConstraint("end_month", "start_month", "process_key", "department_key", "category_key",
                                name="pk_ledger_month_closures"),
        sqlite_with_rowid=False,
    )
    for name in FIGURE_INDEXES:  # the whole-ledger scans they covered are gone
        op.drop_index(name, table_name="ledger_cases")
    op.create_index("ix_ledger_cases_started_figures", "ledger_cases", STARTED_FIGURES)
    from engine.ledger_totals import recount  # reads only ledger_cases columns that 0010 made

    recount(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_ledger_cases_started_figures", table_name="ledger_cases")
    op.create_index("ix_ledger_cases_figures", "ledger_cases", [
        "department_code", "category", "start_month", "accepted", "closed", "state", "ended_how", "on_time",
        "on_time_original", "satisfaction",
    ])
    op.create_index(
        "ix_ledger_cases_closed_days", "ledger_cases", ["closed", "department_code", "category", "handling_days"]
    )
    op.create_index("ix_ledger_cases_closed_month", "ledger_cases", ["closed", "end_month", "on_time"])
    for name in reversed(TABLES):
        op.drop_table(name)
