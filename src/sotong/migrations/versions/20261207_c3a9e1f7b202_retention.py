"""retention: organisations' retention periods, the log of purge runs, cases.anonymised_at

Revision ID: c3a9e1f7b202
Revises: b7e2c4a9d101
Create Date: 2026-12-07 19:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c3a9e1f7b202"
down_revision: str | None = "b7e2c4a9d101"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "retention_policies",
        sa.Column("org_id", BIG_ID, nullable=False),
        sa.Column("login_attempt_days", sa.Integer(), nullable=False),
        sa.Column("webform_submission_days", sa.Integer(), nullable=False),
        sa.Column("inbound_event_days", sa.Integer(), nullable=False),
        sa.Column("closed_case_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_retention_policies_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_retention_policies")),
    )
    op.create_table(
        "retention_runs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("slot", sa.String(length=20), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("counts", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_runs")),
        sa.UniqueConstraint("slot", name=op.f("uq_retention_runs_slot")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("anonymised_at")
    op.drop_table("retention_runs")
    op.drop_table("retention_policies")
