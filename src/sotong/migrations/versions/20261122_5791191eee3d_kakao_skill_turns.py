"""kakao: how each skill request's receipt was delivered (skill response, callback or Event API)

Revision ID: 5791191eee3d
Revises: 5c1e7a2b9d40
Create Date: 2026-11-22 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5791191eee3d"
down_revision: str | None = "5c1e7a2b9d40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kakao_skill_turns",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("callback_url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["channel_accounts.id"], name=op.f("fk_kakao_skill_turns_account_id_channel_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kakao_skill_turns")),
        sa.UniqueConstraint("account_id", "external_id", name=op.f("uq_kakao_skill_turns_account_id_external_id")),
    )
    with op.batch_alter_table("kakao_skill_turns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kakao_skill_turns_external_id"), ["external_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("kakao_skill_turns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kakao_skill_turns_external_id"))
    op.drop_table("kakao_skill_turns")
