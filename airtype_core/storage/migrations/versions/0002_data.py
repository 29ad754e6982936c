"""Data management: an ink hash on samples (duplicates), an index for the least-confident order,
and the log of relabels and deletes (undo).

Revision ID: 0002_data
Revises: 0001
Create Date: 2026-11-29

The hash of the samples already stored is filled in here, in batches, with the
same recipe as `Ink.digest()` (written out: later code must not rewrite history).
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision: str = "0002_data"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def _digest(raw_ink: object) -> str:
    if isinstance(raw_ink, str):  # a driver that hands JSON back as text
        raw_ink = json.loads(raw_ink)
    return hashlib.sha256(json.dumps(raw_ink, separators=(",", ":")).encode()).hexdigest()[:32]


def upgrade() -> None:
    op.add_column("training_samples", sa.Column("ink_hash", sa.String(32), nullable=True))
    op.create_index("ix_training_samples_ink_hash", "training_samples", ["ink_hash"])
    op.create_index("ix_training_samples_predicted_confidence", "training_samples", ["predicted_confidence"])
    samples = sa.table("training_samples", sa.column("id", sa.Integer), sa.column("raw_ink", sa.JSON),
                       sa.column("ink_hash", sa.String))
    connection, last = op.get_bind(), 0
    while True:
        rows = connection.execute(
            sa.select(samples.c.id, samples.c.raw_ink).where(samples.c.id > last).order_by(samples.c.id).limit(1000)
        ).all()
        if not rows:
            break
        connection.execute(
            sa.update(samples).where(samples.c.id == sa.bindparam("key")).values(ink_hash=sa.bindparam("digest")),
            [{"key": key, "digest": _digest(ink)} for key, ink in rows],
        )
        last = rows[-1][0]

    op.create_table(
        "sample_edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("new_char", sa.CHAR(1), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("undone_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint("action IN ('relabel', 'delete')", name="ck_sample_edits_action"),
        sa.PrimaryKeyConstraint("id", name="pk_sample_edits"),
    )
    op.create_index("ix_sample_edits_created_at", "sample_edits", ["created_at"])
    op.create_table(
        "sample_edit_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edit_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("old", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["edit_id"], ["sample_edits.id"], name="fk_sample_edit_items_edit_id_sample_edits",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_sample_edit_items"),
    )
    op.create_index("ix_sample_edit_items_edit_id", "sample_edit_items", ["edit_id"])


def downgrade() -> None:
    op.drop_table("sample_edit_items")
    op.drop_table("sample_edits")
    op.drop_index("ix_training_samples_predicted_confidence", "training_samples")
    op.drop_index("ix_training_samples_ink_hash", "training_samples")
    with op.batch_alter_table("training_samples") as batch:
        batch.drop_column("ink_hash")
