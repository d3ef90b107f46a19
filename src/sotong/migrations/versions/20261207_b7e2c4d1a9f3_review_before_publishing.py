"""cases: released_at, public_title, citizen_private (review before publishing); organisations: auto_release,
sign_answers; departments: phone (the signature's office number); the public partial indexes gain `released_at IS NOT NULL`

Upgrading releases every case the portal showed before this revision (public, not 공익신고, not hidden) as of
its reception, so an upgrade leaves a city's portal as it was; cases received from now on wait for release.

Revision ID: b7e2c4d1a9f3
Revises: e8b2d4c61a57
Create Date: 2026-12-07 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7e2c4d1a9f3"
down_revision: str | None = "e8b2d4c61a57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in sotong.portal.models (a migration keeps its own copy: the code may change later).
OLD_PG = "is_public IS true AND is_whistleblower IS false AND status != 'rejected'"
OLD_SQLITE = "is_public IS 1 AND is_whistleblower IS 0 AND status != 'rejected'"
NEW_PG = (
    "released_at IS NOT NULL AND is_public IS true AND citizen_private IS false "
    "AND is_whistleblower IS false AND status != 'rejected'"
)
NEW_SQLITE = (
    "released_at IS NOT NULL AND is_public IS 1 AND citizen_private IS 0 "
    "AND is_whistleblower IS 0 AND status != 'rejected'"
)
STATS_INCLUDE = [
    "org_id",
    "department_id",
    "category_id",
    "channel",
    "complaint_type",
    "status",
    "first_responded_at",
    "answered_at",
    "due_at",
    "latitude",
    "longitude",
]


def _indexes(pg: str, sqlite: str) -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_public_received",
            ["received_at", "id"],
            unique=False,
            postgresql_where=sa.text(pg),
            sqlite_where=sa.text(sqlite),
        )
        batch_op.create_index(
            "ix_cases_public_stats",
            ["received_at"],
            unique=False,
            postgresql_include=STATS_INCLUDE,
            postgresql_where=sa.text(pg),
            sqlite_where=sa.text(sqlite),
        )


def _drop_indexes() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_public_stats")
        batch_op.drop_index("ix_cases_public_received")


def upgrade() -> None:
    _drop_indexes()
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("released_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("public_title", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("citizen_private", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        # Off: every new case waits for a person until the organisation decides otherwise.
        batch_op.add_column(sa.Column("auto_release", sa.Boolean(), nullable=False, server_default=sa.false()))
        # 공무원 실명제: public answers are signed unless the organisation turns it off.
        batch_op.add_column(sa.Column("sign_answers", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=40), nullable=True))
    cases = sa.table(
        "cases",
        sa.column("released_at", sa.DateTime(timezone=True)),
        sa.column("received_at", sa.DateTime(timezone=True)),
        sa.column("is_public", sa.Boolean()),
        sa.column("is_whistleblower", sa.Boolean()),
        sa.column("status", sa.String()),
    )
    op.execute(
        cases.update()
        .where(cases.c.is_public.is_(True), cases.c.is_whistleblower.is_(False), cases.c.status != "rejected")
        .values(released_at=cases.c.received_at)
    )
    _indexes(NEW_PG, NEW_SQLITE)


def downgrade() -> None:
    _drop_indexes()
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_column("phone")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("sign_answers")
        batch_op.drop_column("auto_release")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("citizen_private")
        batch_op.drop_column("public_title")
        batch_op.drop_column("released_at")
    _indexes(OLD_PG, OLD_SQLITE)
