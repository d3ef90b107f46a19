"""channels: account health table, web form submissions (rate limit and repeated text)

Revision ID: 50f0faba5cae
Revises: 5c1e7a2b9d40
Create Date: 2026-11-22 04:20:00.000000

Channel account secrets become encrypted in `channel_accounts.config` without a schema change: rows written
before are read as they are and sealed on their next write or by `sotong channels rotate-credentials`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "50f0faba5cae"
down_revision: str | None = "5c1e7a2b9d40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_account_health",
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("last_poll_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_intake_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rate_limited_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_source", sa.String(length=16), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["channel_accounts.id"],
            name=op.f("fk_channel_account_health_account_id_channel_accounts"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_channel_account_health")),
    )
    op.create_table(
        "webform_submissions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_webform_submissions_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webform_submissions")),
    )
    with op.batch_alter_table("webform_submissions", schema=None) as batch_op:
        batch_op.create_index("ix_webform_submissions_address_at", ["address_hash", "at"], unique=False)
        batch_op.create_index("ix_webform_submissions_text_at", ["text_hash", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webform_submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_webform_submissions_text_at")
        batch_op.drop_index("ix_webform_submissions_address_at")
    op.drop_table("webform_submissions")
    op.drop_table("channel_account_health")
