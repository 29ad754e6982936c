"""The Stats page's covering indexes on training_samples; collection sessions keep their place.

Revision ID: 0003_insight
Revises: 0002_data
Create Date: 2026-11-29

Every column the Stats page groups or filters by, so that its GROUP BYs read the
index alone instead of rows that carry kilobytes of ink and features. A
collection session gets its position, the clock of its current prompt and the
options it was planned with; each answered or skipped prompt gets a row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003_insight"
down_revision: str | None = "0002_data"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = [
    "actual_char", "predicted_char", "is_correct", "predicted_confidence", "created_at",
    "model_version", "participant_id", "source", "correction_type",
]  # fmt: skip


VERSION_COLUMNS = ["model_version", "is_correct", "created_at", "participant_id", "source", "correction_type"]
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_index("ix_training_samples_stats", "training_samples", COLUMNS)
    op.create_index("ix_training_samples_versions", "training_samples", VERSION_COLUMNS)
    with op.batch_alter_table("collection_sessions") as batch:
        batch.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("prompt_shown_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("options", sa.JSON(), nullable=True))
    op.create_table(
        "collection_prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("char", sa.CHAR(1), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=True),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("duration_ms", sa.Double(), nullable=True),
        sa.Column("answered_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["collection_sessions.id"],
            name="fk_collection_prompts_session_id_collection_sessions", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["training_samples.id"],
            name="fk_collection_prompts_sample_id_training_samples", ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_collection_prompts"),
        sa.UniqueConstraint("session_id", "position", name="uq_collection_prompts_session_position"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("collection_prompts")
    with op.batch_alter_table("collection_sessions") as batch:
        batch.drop_column("options")
        batch.drop_column("prompt_shown_at")
        batch.drop_column("position")
    op.drop_index("ix_training_samples_versions", table_name="training_samples")
    op.drop_index("ix_training_samples_stats", table_name="training_samples")
