"""cases: chat conversations (a citizen's bubbles gathered into one case) and messages.conversation_id

Revision ID: c4a7e2f91b30
Revises: a1d5e55e0002
Create Date: 2026-12-07 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4a7e2f91b30"
down_revision: str | None = "a1d5e55e0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
GATHERING = sa.text("status = 'gathering'")


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("org_id", BIG_ID, nullable=False),
        sa.Column("channel_account_id", BIG_ID, nullable=False),
        sa.Column("author_handle", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum("gathering", "opened", name="conversationstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("case_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_conversations_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["channel_account_id"],
            ["channel_accounts.id"],
            name=op.f("fk_conversations_channel_account_id_channel_accounts"),
        ),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_conversations_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            "uq_conversations_gathering",
            ["channel_account_id", "author_handle"],
            unique=True,
            postgresql_where=GATHERING,
            sqlite_where=GATHERING,
        )
        batch_op.create_index(
            "ix_conversations_closes_at",
            ["closes_at"],
            unique=False,
            postgresql_where=GATHERING,
            sqlite_where=GATHERING,
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation_id", BIG_ID, nullable=True))
        batch_op.create_index(batch_op.f("ix_messages_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_messages_conversation_id_conversations"), "conversations", ["conversation_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_messages_conversation_id_conversations"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_messages_conversation_id"))
        batch_op.drop_column("conversation_id")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_closes_at", postgresql_where=GATHERING, sqlite_where=GATHERING)
        batch_op.drop_index("uq_conversations_gathering", postgresql_where=GATHERING, sqlite_where=GATHERING)
    op.drop_table("conversations")
