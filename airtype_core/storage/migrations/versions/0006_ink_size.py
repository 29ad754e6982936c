"""The ink's size within its writing area, and where a participant's memory starts.

Revision ID: 0006_ink_size
Revises: 0003_insight
Create Date: 2026-12-04

The features scale every ink to a unit box, so a writer's `o` and `O` look alike
to the model; the canvas and the camera frame know how large the ink was drawn.
Each sample keeps its height and width as fractions of the writing area (NULL
when there was none, as for imported files). A participant's memory (their
stored answers, which change their next prediction) can be reset without
deleting anything: only samples after `memory_after_id` count.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_ink_size"
down_revision: str | None = "0004_import_unique"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("training_samples") as batch:
        batch.add_column(sa.Column("ink_height", sa.Double(), nullable=True))
        batch.add_column(sa.Column("ink_width", sa.Double(), nullable=True))
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("memory_after_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("memory_after_id")
    with op.batch_alter_table("training_samples") as batch:
        batch.drop_column("ink_width")
        batch.drop_column("ink_height")
