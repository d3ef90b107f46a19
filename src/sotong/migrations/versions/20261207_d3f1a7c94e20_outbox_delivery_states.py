"""outbox: send_started_at (a send that may have reached a platform), error_code, resolution; statuses unknown
and resolved need no change (stored as text)

Revision ID: d3f1a7c94e20
Revises: 5e1d0a7c3b21
Create Date: 2026-12-07 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d3f1a7c94e20"
down_revision: str | None = "5e1d0a7c3b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("error_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("resolution", sa.String(length=16), nullable=True))
        # A case page lists its deliveries; staff look for what waits for them (failed, unknown) per organisation.
        batch_op.create_index("ix_outbox_org_attention", ["org_id", "id"], unique=False,
                              postgresql_where=sa.text("status IN ('failed', 'unknown')"),
                              sqlite_where=sa.text("status IN ('failed', 'unknown')"))  # fmt: skip


def downgrade() -> None:
    # The earlier code knows neither status: an unknown delivery reads as failed (still shown to staff), one a
    # person settled as sent (never sent again).
    op.execute("UPDATE outbox SET status = 'failed' WHERE status = 'unknown'")
    op.execute("UPDATE outbox SET status = 'sent' WHERE status = 'resolved'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_org_attention")
        batch_op.drop_column("resolution")
        batch_op.drop_column("error_code")
        batch_op.drop_column("send_started_at")
