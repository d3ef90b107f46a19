"""portal: search documents (FTS5 on SQLite, GIN tsvector on PostgreSQL), showcase, public-list index

Revision ID: 3f4a40837718
Revises: 5c1e7a2b9d40
Create Date: 2026-11-22 04:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sotong.search import schema as search_schema

revision: str = "3f4a40837718"
down_revision: str | None = "5c1e7a2b9d40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_PUBLIC_WHERE = "is_public IS true AND is_whistleblower IS false AND status != 'rejected'"
SQLITE_PUBLIC_WHERE = "is_public IS 1 AND is_whistleblower IS 0 AND status != 'rejected'"


def upgrade() -> None:
    op.create_table(
        "case_search_docs",
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_search_docs_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_search_docs")),
    )
    with op.batch_alter_table("case_search_docs", schema=None) as batch_op:
        batch_op.create_index("ix_case_search_docs_received", ["received_at", "case_id"], unique=False)
    op.create_table(
        "showcase_entries",
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("curated_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_showcase_entries_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["curated_by_id"], ["users.id"], name=op.f("fk_showcase_entries_curated_by_id_users")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_showcase_entries_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_showcase_entries")),
    )
    with op.batch_alter_table("showcase_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_showcase_entries_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_showcase_entries_org_id"), ["org_id"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_public_received",
            ["received_at", "id"],
            unique=False,
            postgresql_where=sa.text(PG_PUBLIC_WHERE),
            sqlite_where=sa.text(SQLITE_PUBLIC_WHERE),
        )
    dialect = op.get_bind().dialect.name
    statements = search_schema.POSTGRESQL_UPGRADE if dialect == "postgresql" else search_schema.SQLITE_UPGRADE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    statements = search_schema.POSTGRESQL_DOWNGRADE if dialect == "postgresql" else search_schema.SQLITE_DOWNGRADE
    for statement in statements:
        op.execute(statement)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_cases_public_received",
            postgresql_where=sa.text(PG_PUBLIC_WHERE),
            sqlite_where=sa.text(SQLITE_PUBLIC_WHERE),
        )
    with op.batch_alter_table("showcase_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_showcase_entries_org_id"))
        batch_op.drop_index(batch_op.f("ix_showcase_entries_created_at"))
    op.drop_table("showcase_entries")
    with op.batch_alter_table("case_search_docs", schema=None) as batch_op:
        batch_op.drop_index("ix_case_search_docs_received")
    op.drop_table("case_search_docs")
