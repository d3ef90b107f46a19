"""portal statistics: a partial covering index of public cases by received time

Revision ID: 26d043ceb471
Revises: 5c1e7a2b9d40
Create Date: 2026-11-22 04:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "26d043ceb471"
down_revision: str | None = "5c1e7a2b9d40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in sotong.portal.models / sotong.portal.stats (a migration keeps its own copy: the code may change later).
PG_PUBLIC_WHERE = "is_public IS true AND is_whistleblower IS false AND status != 'rejected'"
SQLITE_PUBLIC_WHERE = "is_public IS 1 AND is_whistleblower IS 0 AND status != 'rejected'"
INCLUDE = [
    "org_id",
    "department_id",
    "category_id",
    "channel",
    "complaint_type",
    "status",
    "first_responded_at",
    "answered_at",
    "due_at",
    "latitude",
    "longitude",
]


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_public_stats",
            ["received_at"],
            unique=False,
            postgresql_include=INCLUDE,
            postgresql_where=sa.text(PG_PUBLIC_WHERE),
            sqlite_where=sa.text(SQLITE_PUBLIC_WHERE),
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_cases_public_stats",
            postgresql_where=sa.text(PG_PUBLIC_WHERE),
            sqlite_where=sa.text(SQLITE_PUBLIC_WHERE),
        )
