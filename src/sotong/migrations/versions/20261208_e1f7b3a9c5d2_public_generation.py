"""public_generation: one row bumped with every change of what the public may see, so every web process empties
its page, feed and open-data caches at once (not after their TTL)

Revision ID: e1f7b3a9c5d2
Revises: c4e8a2f6d1b9
Create Date: 2026-12-08 00:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e1f7b3a9c5d2"
down_revision: str | None = "c4e8a2f6d1b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # No row yet: the first publication action inserts it (an upsert), and a process reading none reads 0.
    op.create_table(
        "public_generation",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("value", BIG_ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_generation")),
    )


def downgrade() -> None:
    op.drop_table("public_generation")
