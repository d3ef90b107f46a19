"""cases: hold_until, the day work on a case on hold (보류) is expected to resume

Revision ID: 5e1d0a7c3b21
Revises: a7c3e9d21f04
Create Date: 2026-12-07 16:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1d0a7c3b21"
down_revision: str | None = "a7c3e9d21f04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hold_until", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("hold_until")
