"""The Stats page's covering index on training_samples.

Revision ID: 0002_insight
Revises: 0001
Create Date: 2026-11-29

Every column the Stats page groups or filters by, so that its GROUP BYs read the
index alone instead of rows that carry kilobytes of ink and features.
"""

from __future__ import annotations

from alembic import op

revision: str = "0002_insight"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = [
    "actual_char", "predicted_char", "is_correct", "predicted_confidence", "created_at",
    "model_version", "participant_id", "source", "correction_type",
]  # fmt: skip


def upgrade() -> None:
    op.create_index("ix_training_samples_stats", "training_samples", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_training_samples_stats", table_name="training_samples")
