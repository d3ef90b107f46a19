"""open311: API keys of applications that create service requests

Revision ID: b38e75e742c3
Revises: 5c1e7a2b9d40
Create Date: 2026-11-22 04:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b38e75e742c3"
down_revision: str | None = "5c1e7a2b9d40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "open311_api_keys",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_prefix", sa.String(length=12), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_open311_api_keys_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_open311_api_keys_key_hash")),
    )
    with op.batch_alter_table("open311_api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_open311_api_keys_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("open311_api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open311_api_keys_org_id"))
    op.drop_table("open311_api_keys")
