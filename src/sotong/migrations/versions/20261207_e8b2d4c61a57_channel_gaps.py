"""channels: channel_gaps, messages a platform would no longer give us (shown on the account's page)

Revision ID: e8b2d4c61a57
Revises: d5b1f3c8e303
Create Date: 2026-12-07 20:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e8b2d4c61a57"
down_revision: str | None = "d5b1f3c8e303"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "channel_gaps",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("account_id", BIG_ID, nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("before_id", sa.String(length=200), nullable=True),
        sa.Column("before_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["channel_accounts.id"], name=op.f("fk_channel_gaps_account_id_channel_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_gaps")),
    )
    with op.batch_alter_table("channel_gaps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channel_gaps_account_id"), ["account_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("channel_gaps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_gaps_account_id"))
    op.drop_table("channel_gaps")
