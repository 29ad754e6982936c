"""The database itself: its tables as typed SQLAlchemy 2.0 ORM classes, the
engine that reaches it, and the Alembic upgrade that builds the schema.

Only `storage.py` (and read-only query modules such as stats, through
`Storage.session()`) should touch these classes; everything else receives the
frozen dataclasses that `storage.py` returns. The schema is created and changed
by the migrations in `migrations/versions/` only: a change to a table here needs
a new migration there (`test_migrations_match_the_models` tells when).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    CHAR,
    JSON,
    CheckConstraint,
    DateTime,
    Dialect,
    Double,
    Engine,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import URL
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import StaticPool

from .. import limits

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_MIGRATION_LOCK = 0x41495254  # any constant: serializes concurrent `upgrade head` on one server

CORRECTION_TYPES = ("confirmed", "corrected", "manual", "prompted")
SOURCES = ("canvas", "air", "import")
TRAINING_KINDS = ("full", "finetune")
TRAINING_STATUSES = ("running", "completed", "failed", "cancelled")
COLLECTION_STATUSES = ("active", "paused", "finished", "abandoned")
EDIT_ACTIONS = ("relabel", "delete")
STATS_COLUMNS = (
    "actual_char", "predicted_char", "is_correct", "predicted_confidence", "created_at",
    "model_version", "participant_id", "source", "correction_type",
)  # fmt: skip
VERSION_STATS_COLUMNS = ("model_version", "is_correct", "created_at", "participant_id", "source", "correction_type")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored in UTC and always come back timezone-aware.

    SQLite has no time zone type: it stores naive UTC. A naive datetime given
    by a caller is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime(), float: Double(), dict[str, Any]: JSON(), list[Any]: JSON()}


class Participant(Base):
    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(limits.PARTICIPANT_NAME), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Their memory (stored answers that change their next prediction) counts only samples after this id
    memory_after_id: Mapped[int | None]


class CollectionSession(Base):
    """A participant's data-collection run: the app prompts `planned_chars`."""

    __tablename__ = "collection_sessions"
    __table_args__ = (CheckConstraint(_one_of("status", COLLECTION_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    planned_chars: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # Where the participant is: the next prompt is planned_chars[position]; the
    # prompts before it each have a CollectionPrompt. Kept here, not in a browser
    # tab, so a session survives a restart and resumes from any tab.
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    prompt_shown_at: Mapped[datetime | None]  # the current prompt's clock: set when shown or resumed
    options: Mapped[dict[str, Any] | None]  # how the plan was made: target set, repetitions, seed


class CollectionPrompt(Base):
    """One prompt of a collection session that was answered (a sample) or skipped."""

    __tablename__ = "collection_prompts"
    __table_args__ = (UniqueConstraint("session_id", "position", name="uq_collection_prompts_session_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("collection_sessions.id", ondelete="CASCADE"))
    position: Mapped[int]
    char: Mapped[str] = mapped_column(CHAR(1))
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("training_samples.id", ondelete="SET NULL"))
    skipped: Mapped[bool] = mapped_column(default=False)
    duration_ms: Mapped[float | None]  # prompt shown (or resumed) -> answered
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingSample(Base):
    """One answer: the ink, what the model said, and what the user says it is."""

    __tablename__ = "training_samples"
    __table_args__ = (
        CheckConstraint(_one_of("correction_type", CORRECTION_TYPES), name="correction_type"),
        CheckConstraint(_one_of("source", SOURCES), name="source"),
        # Every column the Stats page reads, so that its GROUP BYs scan this index and
        # never the rows themselves, whose ink and features are kilobytes of JSON;
        # in GROUP BY order (written, read as), so the largest GROUP BY needs no sort.
        Index("ix_training_samples_stats", *STATS_COLUMNS),
        # The same for the accuracy per model version, in its GROUP BY order: no sort.
        Index("ix_training_samples_versions", *VERSION_STATS_COLUMNS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    raw_ink: Mapped[list[Any]]  # Ink.to_lists(): [[[x, y(, t)], ...], ...]
    features: Mapped[list[Any] | None]  # (seq_len, 7) model input, when the caller kept it
    predicted_char: Mapped[str | None] = mapped_column(CHAR(1))
    predicted_confidence: Mapped[float | None] = mapped_column(index=True)  # the Data page's least-confident order
    alternatives: Mapped[list[Any] | None]  # [[char, prob], ...], best first
    actual_char: Mapped[str] = mapped_column(CHAR(1), index=True)
    correction_type: Mapped[str] = mapped_column(String(limits.CORRECTION_TYPE), index=True)
    source: Mapped[str] = mapped_column(String(limits.SOURCE), default="canvas")
    model_version: Mapped[str | None] = mapped_column(String(limits.MODEL_VERSION), index=True)
    inference_time_ms: Mapped[float | None]
    is_correct: Mapped[bool | None] = mapped_column(index=True)  # NULL: there was no prediction
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"), index=True)
    collection_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("collection_sessions.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Ink.digest() of raw_ink: the same points and label twice is one sample (imports check it)
    ink_hash: Mapped[str | None] = mapped_column(String(32), index=True)
    # "ink_hash:label" of an imported sample (NULL for the others): the unique index that makes two
    # imports of one file at once store it once; it keeps the label of the file when the sample is relabeled
    import_key: Mapped[str | None] = mapped_column(String(40), index=True, unique=True)
    # The ink's height and width as fractions of the writing area (canvas, camera frame); NULL: none known
    ink_height: Mapped[float | None]
    ink_width: Mapped[float | None]


class SampleEdit(Base):
    """One relabel or delete a user did (on one sample or many), kept so that it can be undone."""

    __tablename__ = "sample_edits"
    __table_args__ = (CheckConstraint(_one_of("action", EDIT_ACTIONS), name="action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(16))
    new_char: Mapped[str | None] = mapped_column(CHAR(1))  # the label given, for a relabel
    count: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    undone_at: Mapped[datetime | None]


class SampleEditItem(Base):
    """A sample's values before an edit: the label fields for a relabel, the whole row for a delete."""

    __tablename__ = "sample_edit_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    edit_id: Mapped[int] = mapped_column(ForeignKey("sample_edits.id", ondelete="CASCADE"), index=True)
    sample_id: Mapped[int]  # no foreign key: a deleted sample's id is kept here on purpose
    old: Mapped[dict[str, Any]]


class TrainingSession(Base):
    """One training run, full or fine-tuning, from start to its end (or crash)."""

    __tablename__ = "training_sessions"
    __table_args__ = (
        CheckConstraint(_one_of("kind", TRAINING_KINDS), name="kind"),
        CheckConstraint(_one_of("status", TRAINING_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    history: Mapped[list[Any]]  # one dict per finished epoch
    metrics: Mapped[dict[str, Any] | None]
    device: Mapped[str | None] = mapped_column(String(32))
    samples_used: Mapped[int | None]
    model_version: Mapped[str | None] = mapped_column(String(64))  # the version it produced
    parent_version: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    duration_s: Mapped[float | None]
    error: Mapped[str | None] = mapped_column(Text)


class ModelVersion(Base):
    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(Text)
    parent_version: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    metrics: Mapped[dict[str, Any] | None]
    is_active: Mapped[bool] = mapped_column(default=False)


class AirCalibration(Base):
    """A participant's pinch fitted to their hand and camera: the pen thresholds air writing uses for them."""

    __tablename__ = "air_calibrations"
    __table_args__ = (CheckConstraint("pinch_down > 0 AND pinch_down < pinch_up", name="thresholds"),)

    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True)
    pinch_down: Mapped[float]
    pinch_up: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- the engine, and the migrations that build the schema --------------------


def sqlite_file(url: URL) -> Path | None:
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).resolve()


def make_engine(url: URL, busy_timeout_s: float = 5.0) -> Engine:
    """An engine tuned for AirType: WAL + busy timeout + foreign keys on SQLite."""
    backend = url.get_backend_name()
    if backend != "sqlite":
        if url.drivername == "postgresql":  # bare URLs mean psycopg2, which we do not ship
            url = url.set(drivername="postgresql+psycopg")
        connect_args = {"connect_timeout": 5} if url.get_driver_name() in ("psycopg", "psycopg2") else {}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)

    path = sqlite_file(url)
    if path is None:  # in memory: one connection shared by every thread
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": busy_timeout_s})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
        cursor.execute("PRAGMA synchronous = NORMAL")  # safe with WAL, much faster commits
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer takes the write lock up front, so it waits for busy_timeout
        # instead of failing when it upgrades from a read (SQLITE_BUSY_SNAPSHOT).
        write = connection.get_execution_options().get("airtype_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def upgrade_database(engine: Engine) -> None:
    """Alembic `upgrade head`, in one transaction that excludes other starters."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    with engine.execution_options(airtype_write=True).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
