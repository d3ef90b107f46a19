"""categories: the standard category each one stands for; organisations: what chatter is answered with

Revision ID: 5a7e1b2c3d40
Revises: d3f1a7c94e20
Create Date: 2026-12-07 16:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5a7e1b2c3d40"
down_revision: str | None = "d3f1a7c94e20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("standard_code", sa.String(length=64), nullable=True))
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        # Existing organisations keep being answered as before the setting existed: politely.
        batch_op.add_column(
            sa.Column("chatter_reply", sa.String(length=16), nullable=False, server_default="acknowledge")
        )


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("chatter_reply")
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_column("standard_code")
