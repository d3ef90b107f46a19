"""triage: routing rules, model versions, results, labels

Revision ID: 914944aa41f6
Revises: 0001
Create Date: 2026-11-22 01:48:23.225738
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "914944aa41f6"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "triage_models",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "retired", "rejected", name="modelstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("n_train", sa.Integer(), nullable=False),
        sa.Column(
            "evaluation", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_triage_models_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_models")),
        sa.UniqueConstraint("org_id", "version", name="uq_triage_models_org_version"),
    )
    with op.batch_alter_table("triage_models", schema=None) as batch_op:
        batch_op.create_index("ix_triage_models_org_status", ["org_id", "status"], unique=False)

    op.create_table(
        "routing_rules",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("keyword", "regex", "channel_account", "place", name="rulekind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("pattern", sa.Text(), nullable=True),
        sa.Column("channel_account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("category_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("target_org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("complaint_type", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_routing_rules_category_id_categories")
        ),
        sa.ForeignKeyConstraint(
            ["channel_account_id"],
            ["channel_accounts.id"],
            name=op.f("fk_routing_rules_channel_account_id_channel_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_routing_rules_department_id_departments")
        ),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_routing_rules_org_id_organisations")),
        sa.ForeignKeyConstraint(
            ["target_org_id"], ["organisations.id"], name=op.f("fk_routing_rules_target_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
    )
    with op.batch_alter_table("routing_rules", schema=None) as batch_op:
        batch_op.create_index("ix_routing_rules_org_priority", ["org_id", "priority"], unique=False)

    op.create_table(
        "triage_labels",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("relevant", sa.Boolean(), nullable=False),
        sa.Column("category_code", sa.String(length=64), nullable=True),
        sa.Column("department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("complaint_type", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_triage_labels_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_triage_labels_created_by_id_users")),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_triage_labels_department_id_departments")
        ),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_triage_labels_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_labels")),
        sa.UniqueConstraint("case_id", name=op.f("uq_triage_labels_case_id")),
    )
    with op.batch_alter_table("triage_labels", schema=None) as batch_op:
        batch_op.create_index("ix_triage_labels_org_created_at", ["org_id", "created_at"], unique=False)

    op.create_table(
        "triage_results",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("relevant", sa.Boolean(), nullable=False),
        sa.Column("relevance_probability", sa.Float(), nullable=False),
        sa.Column("complaint_type", sa.String(length=16), nullable=False),
        sa.Column("type_confidence", sa.Float(), nullable=False),
        sa.Column(
            "candidates", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("category_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("target_org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("rule_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("model_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("duplicate_of_case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("duplicate_kind", sa.String(length=16), nullable=True),
        sa.Column("duplicate_score", sa.Float(), nullable=True),
        sa.Column("auto_routed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_triage_results_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_triage_results_category_id_categories")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_triage_results_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_case_id"], ["cases.id"], name=op.f("fk_triage_results_duplicate_of_case_id_cases")
        ),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_triage_results_message_id_messages")),
        sa.ForeignKeyConstraint(
            ["model_id"], ["triage_models.id"], name=op.f("fk_triage_results_model_id_triage_models")
        ),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_triage_results_org_id_organisations")),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["routing_rules.id"], name=op.f("fk_triage_results_rule_id_routing_rules")
        ),
        sa.ForeignKeyConstraint(
            ["target_org_id"], ["organisations.id"], name=op.f("fk_triage_results_target_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_results")),
    )
    with op.batch_alter_table("triage_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_triage_results_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("triage_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triage_results_case_id"))

    op.drop_table("triage_results")
    with op.batch_alter_table("triage_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_triage_labels_org_created_at")

    op.drop_table("triage_labels")
    with op.batch_alter_table("routing_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_routing_rules_org_priority")

    op.drop_table("routing_rules")
    with op.batch_alter_table("triage_models", schema=None) as batch_op:
        batch_op.drop_index("ix_triage_models_org_status")

    op.drop_table("triage_models")
