"""answers: standard-answer templates (표준답안)

Revision ID: 9a435e2273c3
Revises: 5c1e7a2b9d40
Create Date: 2026-11-22 04:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9a435e2273c3"
down_revision: str | None = "5c1e7a2b9d40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "answer_templates",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("category_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "required_elements",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_answer_templates_category_id_categories")
        ),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_answer_templates_created_by_id_users")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_answer_templates_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_templates")),
        sa.UniqueConstraint("org_id", "title", name="uq_answer_templates_org_title"),
    )
    with op.batch_alter_table("answer_templates", schema=None) as batch_op:
        batch_op.create_index("ix_answer_templates_org_active", ["org_id", "is_active"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("answer_templates", schema=None) as batch_op:
        batch_op.drop_index("ix_answer_templates_org_active")
    op.drop_table("answer_templates")
