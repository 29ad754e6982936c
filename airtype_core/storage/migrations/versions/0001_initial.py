"""The first schema: samples, training runs, model versions, participants.

Revision ID: 0001
Revises:
Create Date: 2024-11-21

Written out in full rather than imported from db_models, so that later model
changes cannot rewrite history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def _one_of(column: str, *values: str) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_participants"),
        sa.UniqueConstraint("name", name="uq_participants_name"),
    )
    op.create_table(
        "collection_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("planned_chars", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint(
            _one_of("status", "active", "paused", "finished", "abandoned"), name="ck_collection_sessions_status"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name="fk_collection_sessions_participant_id_participants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_collection_sessions"),
    )
    op.create_index("ix_collection_sessions_participant_id", "collection_sessions", ["participant_id"])

    op.create_table(
        "training_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("raw_ink", sa.JSON(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=True),
        sa.Column("predicted_char", sa.CHAR(1), nullable=True),
        sa.Column("predicted_confidence", sa.Double(), nullable=True),
        sa.Column("alternatives", sa.JSON(), nullable=True),
        sa.Column("actual_char", sa.CHAR(1), nullable=False),
        sa.Column("correction_type", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("inference_time_ms", sa.Double(), nullable=True),
        sa.Column("is_correct", sa.Boolean(), nullable=True),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("collection_session_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            _one_of("correction_type", "confirmed", "corrected", "manual", "prompted"),
            name="ck_training_samples_correction_type",
        ),
        sa.CheckConstraint(_one_of("source", "canvas", "air", "import"), name="ck_training_samples_source"),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name="fk_training_samples_participant_id_participants",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["collection_session_id"],
            ["collection_sessions.id"],
            name="fk_training_samples_collection_session_id_collection_sessions",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_training_samples"),
    )
    for column in (
        "actual_char",
        "correction_type",
        "model_version",
        "is_correct",
        "participant_id",
        "collection_session_id",
        "created_at",
    ):
        op.create_index(f"ix_training_samples_{column}", "training_samples", [column])

    op.create_table(
        "training_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.Column("device", sa.String(32), nullable=True),
        sa.Column("samples_used", sa.Integer(), nullable=True),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("parent_version", sa.String(64), nullable=True),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.Column("duration_s", sa.Double(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(_one_of("kind", "full", "finetune"), name="ck_training_sessions_kind"),
        sa.CheckConstraint(
            _one_of("status", "running", "completed", "failed", "cancelled"), name="ck_training_sessions_status"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_training_sessions"),
    )
    op.create_index("ix_training_sessions_status", "training_sessions", ["status"])

    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("parent_version", sa.String(64), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_model_versions"),
        sa.UniqueConstraint("version", name="uq_model_versions_version"),
    )


def downgrade() -> None:
    op.drop_table("model_versions")
    op.drop_index("ix_training_sessions_status", "training_sessions")
    op.drop_table("training_sessions")
    op.drop_table("training_samples")  # its indexes go with it
    op.drop_index("ix_collection_sessions_participant_id", "collection_sessions")
    op.drop_table("collection_sessions")
    op.drop_table("participants")
