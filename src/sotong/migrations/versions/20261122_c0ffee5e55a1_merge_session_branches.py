"""merge: the branches of the console, portal, channels and Open311 work (developed side by side)

Revision ID: c0ffee5e55a1
Revises: 01bc91a3fd16, 26d043ceb471, 3f4a40837718, 50f0faba5cae, 5791191eee3d, 5db2b838a112, 9a435e2273c3, b38e75e742c3
Create Date: 2026-11-22 05:20:00.000000
"""

from collections.abc import Sequence

revision: str = "c0ffee5e55a1"
down_revision: str | Sequence[str] | None = (
    "01bc91a3fd16",
    "26d043ceb471",
    "3f4a40837718",
    "50f0faba5cae",
    "5791191eee3d",
    "5db2b838a112",
    "9a435e2273c3",
    "b38e75e742c3",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: this revision only joins the branches into one head."""


def downgrade() -> None:
    """Nothing to change."""
