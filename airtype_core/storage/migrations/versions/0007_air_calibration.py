"""Air-writing calibration: each participant's own pinch thresholds.

Revision ID: 0007_air_calibration
Revises: 0003_insight
Create Date: 2026-12-04

One row per participant who calibrated the pinch on the Air-writing page: the
pinch ratio below which the pen goes down and above which it comes up.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_air_calibration"
down_revision: str | None = "0006_ink_size"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "air_calibrations",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("pinch_down", sa.Double(), nullable=False),
        sa.Column("pinch_up", sa.Double(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("pinch_down > 0 AND pinch_down < pinch_up", name="ck_air_calibrations_thresholds"),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participants.id"],
            name="fk_air_calibrations_participant_id_participants", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", name="pk_air_calibrations"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("air_calibrations")
