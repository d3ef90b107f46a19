"""cases: partial indexes of open cases for the department queue; a department's cases and the cases of a status
by arrival

Revision ID: 7e4d1c0a9b52
Revises: c0ffee5e55a1
Create Date: 2026-11-22 07:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7e4d1c0a9b52"
down_revision: str | None = "c0ffee5e55a1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in cases/models.py at this revision (a migration never imports the models: they move on).
OPEN = "status IN ('assigned', 'in_progress', 'on_hold', 'received', 'reopened', 'transferred', 'triaged')"
UNASSIGNED = f"officer_id IS NULL AND {OPEN}"
PARTIAL = [
    ("ix_cases_dept_open_due", ["org_id", "department_id", "due_at", "id"], OPEN),
    ("ix_cases_dept_unassigned_due", ["org_id", "department_id", "due_at", "id"], UNASSIGNED),
    ("ix_cases_officer_open_due", ["officer_id", "due_at", "id"], OPEN),
]


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name, columns, where in PARTIAL:
            batch_op.create_index(
                name, columns, unique=False, postgresql_where=sa.text(where), sqlite_where=sa.text(where)
            )
        batch_op.create_index(
            "ix_cases_org_department_received", ["org_id", "department_id", "received_at"], unique=False
        )
        batch_op.create_index("ix_cases_org_status_received", ["org_id", "status", "received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_org_status_received")
        batch_op.drop_index("ix_cases_org_department_received")
        for name, _columns, where in reversed(PARTIAL):
            batch_op.drop_index(name, postgresql_where=sa.text(where), sqlite_where=sa.text(where))
