"""department console: assignment policies, internal notes, notification preferences and webhooks, an index
for the citizen's history on the case page

Revision ID: 01bc91a3fd16
Revises: 5c1e7a2b9d40
Create Date: 2026-11-22 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "01bc91a3fd16"
down_revision: str | None = "5c1e7a2b9d40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_account_author", ["channel_account_id", "author_handle"], unique=False)

    op.create_table(
        "department_assignment",
        sa.Column("department_id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column(
            "policy",
            sa.Enum("none", "round_robin", "least_loaded", name="assignmentpolicy", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("last_user_id", ID, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_department_assignment_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["last_user_id"], ["users.id"], name=op.f("fk_department_assignment_last_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_department_assignment_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("department_id", name=op.f("pk_department_assignment")),
    )
    with op.batch_alter_table("department_assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_department_assignment_org_id"), ["org_id"], unique=False)

    op.create_table(
        "case_notes",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("author_id", ID, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "mentions", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_case_notes_author_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_notes_case_id_cases")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_case_notes_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notes")),
    )
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.create_index("ix_case_notes_case_id", ["case_id", "id"], unique=False)

    op.create_table(
        "notification_preferences",
        sa.Column("user_id", ID, nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notification_preferences_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )

    op.create_table(
        "org_webhooks",
        sa.Column("org_id", ID, nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_org_webhooks_org_id_organisations")),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_org_webhooks")),
    )


def downgrade() -> None:
    op.drop_table("org_webhooks")
    op.drop_table("notification_preferences")
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_case_notes_case_id")
    op.drop_table("case_notes")
    with op.batch_alter_table("department_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_department_assignment_org_id"))
    op.drop_table("department_assignment")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_account_author")
