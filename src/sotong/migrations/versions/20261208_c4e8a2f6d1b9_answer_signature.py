"""answers: signature (공무원 실명제: the answering officer's name, department and department phone, kept apart from the
masked public copy so the masker never reads it)

Revision ID: c4e8a2f6d1b9
Revises: b7e2c4d1a9f3
Create Date: 2026-12-08 00:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4e8a2f6d1b9"
down_revision: str | None = "b7e2c4d1a9f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no backfill: answers given before the upgrade were never signed, and who wrote them then (the
    # department's phone at the time) is not known for certain.
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signature", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_column("signature")
