"""An imported sample has a key that is unique in the database: two imports of one file at once store it once.

Revision ID: 0004_import_unique
Revises: 0003_insight
Create Date: 2026-12-04

`import_key` is the ink's hash and the label the file gave it, set on imported
samples only (a sample drawn in the app keeps NULL, which a unique index lets
repeat). Importers insert with ON CONFLICT DO NOTHING, so the database itself,
not a check made before the insert, decides which of two racing imports stores
a sample. Rows stored twice by such a race before this revision are all kept
(an upgrade deletes nothing a user stored): the oldest of each gets the key,
the others none, and they stay visible on the Data page.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_import_unique"
down_revision: str | None = "0003_insight"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("training_samples", sa.Column("import_key", sa.String(40), nullable=True))
    op.execute(
        "UPDATE training_samples SET import_key = ink_hash || ':' || actual_char "
        "WHERE id IN (SELECT MIN(id) FROM training_samples WHERE source = 'import' AND ink_hash IS NOT NULL "
        "GROUP BY ink_hash, actual_char)"
    )
    op.create_index("ix_training_samples_import_key", "training_samples", ["import_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_training_samples_import_key", table_name="training_samples")
    with op.batch_alter_table("training_samples") as batch:
        batch.drop_column("import_key")
