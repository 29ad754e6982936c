"""How long the free text of a stored sample may be, in characters: one source for two places.

`storage/tables.py` declares its columns with these lengths, and the file readers
(`formats/fields.py`) check every field of a record against them, so that a
value the database would refuse (PostgreSQL enforces lengths, SQLite does not)
is a problem of its line, reported before any database sees it.
"""

from __future__ import annotations

PARTICIPANT_NAME = 100  # participants.name: a file's `writer`
MODEL_VERSION = 64  # training_samples.model_version, model_versions.version
SOURCE = 16  # training_samples.source
CORRECTION_TYPE = 16  # training_samples.correction_type
