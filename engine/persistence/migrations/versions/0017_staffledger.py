"""staffledger: the staff ledger's branches answered by their indexes at 111,100 cases

``GET /ledger`` for a staff member counts and pages each visibility branch on its own
(engine/services/ledger_list.py). Two of them read more rows than they return:

- the applicant branch: almost no ledger row has an applicant, so once statistics exist
  (``ANALYZE``) SQLite judged ``(applicant_user_id, started_at)`` useless (one value, NULL, for
  every row) and scanned all 111,100 rows to count a staff member's own applications. The index
  is now partial (``WHERE applicant_user_id IS NOT NULL``): it holds only the rows with an
  applicant, and ``applicant_user_id = ?`` implies the condition on both databases;
- the owning-department branch filtered by lead department (the page of 50 of issue 11, sorted by
  due date): ``(owner_department_code, department_code, due_at)`` counts it from the index alone
  and reads its first page in order.

Revision ID: 0017_staffledger
Revises: 0016_caselist
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_staffledger"
down_revision = "0016_caselist"
branch_labels = None
depends_on = None

HAS_APPLICANT = sa.text("applicant_user_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_ledger_cases_applicant_started", table_name="ledger_cases")
    op.create_index(
        "ix_ledger_cases_applicant_started", "ledger_cases", ["applicant_user_id", "started_at"],
        sqlite_where=HAS_APPLICANT, postgresql_where=HAS_APPLICANT,
    )
    op.create_index(
        "ix_ledger_cases_owner_department_due", "ledger_cases", ["owner_department_code", "department_code", "due_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_cases_owner_department_due", table_name="ledger_cases")
    op.drop_index("ix_ledger_cases_applicant_started", table_name="ledger_cases")
    op.create_index("ix_ledger_cases_applicant_started", "ledger_cases", ["applicant_user_id", "started_at"])
