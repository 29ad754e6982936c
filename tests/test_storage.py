"""Storage: every answer is kept, on SQLite and PostgreSQL, and trouble is explained."""

from __future__ import annotations

import logging
import multiprocessing
import re
import socket
import sqlite3
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event, inspect, text

from airtype_core.recognition.charset import LabelError
from airtype_core.recognition.ink import Ink
from airtype_core.storage.records import (
    DatabaseLockedError,
    DatabaseUnavailableError,
    InvalidInputError,
    NewSample,
    NotFoundError,
    SampleFilter,
)
from airtype_core.storage.store import INTERRUPTED, Storage
from airtype_core.storage.tables import Base, upgrade_database

TABLES = {"participants", "collection_sessions", "training_samples", "training_sessions", "model_versions"}
INK = Ink.from_strokes([[[0, 0, 0.0], [10, 20, 0.05], [20, 0, 0.1]], [[5, 10], [15, 10]]])


def sample(char: str = "a", predicted: str | None = None, correction: str | None = None, **extra) -> NewSample:
    if correction is None:
        correction = "manual" if predicted is None else ("confirmed" if predicted == char else "corrected")
    extra.setdefault("ink", INK)
    return NewSample(actual_char=char, correction_type=correction, predicted_char=predicted, **extra)


def count(storage: Storage) -> int:
    return storage.query_samples(per_page=1).total


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'airtype.db'}"  # `data/` does not exist yet


# --- schema and migrations -------------------------------------------------------


def _migration_head() -> str:
    from alembic.script import ScriptDirectory

    from airtype_core.storage.tables import MIGRATIONS_DIR

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def test_schema_created_on_first_start(db_url):
    storage = Storage(db_url)
    engine = create_engine(db_url)
    try:
        assert TABLES <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert version == [_migration_head()]
    finally:
        engine.dispose()
        storage.close()


def test_sqlite_file_and_its_directory_are_created(sqlite_url, tmp_path):
    Storage(sqlite_url).close()
    assert (tmp_path / "data" / "airtype.db").is_file()


def test_migrations_are_idempotent(db_url):
    first = Storage(db_url)
    first.save_sample(sample("b"))
    first.close()
    second = Storage(db_url)  # upgrade head again: a no-op that keeps the data
    upgrade_database(second.database.engine)
    assert count(second) == 1
    with second.session() as s:
        assert s.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    second.close()


def test_migrations_match_the_models(storage):
    """A model change without a migration would be caught here."""
    with storage.database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_sqlite_uses_wal_busy_timeout_and_foreign_keys(sqlite_url):
    storage = Storage(sqlite_url)
    with storage.session() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
    with pytest.raises(Exception, match="FOREIGN KEY"):
        storage.save_sample(sample(participant_id=999))
    storage.close()


def test_migrations_leave_app_logging_alone(sqlite_url):
    app_logger = logging.getLogger("airtype.app")
    handlers = list(logging.getLogger().handlers)
    Storage(sqlite_url).close()
    assert not app_logger.disabled
    assert logging.getLogger().handlers == handlers


# --- samples -------------------------------------------------------------------


def test_confirmed_sample_is_stored_with_all_columns(storage):
    person = storage.add_participant("Ada")
    session = storage.start_collection_session(person.id, ["a", "b"])
    features = np.linspace(-1, 1, 350).reshape(50, 7)
    before = datetime.now(UTC)
    sample_id = storage.save_sample(
        NewSample(
            ink=INK,
            actual_char="a",
            correction_type="confirmed",
            source="air",
            predicted_char="a",
            confidence=0.91,
            alternatives=(("a", 0.91), ("d", 0.05), ("o", 0.02)),
            model_version="v3",
            inference_ms=12.5,
            features=features,
            participant_id=person.id,
            collection_session_id=session.id,
        )
    )
    got = storage.get_sample(sample_id)
    assert (got.actual_char, got.predicted_char, got.correction_type, got.source) == ("a", "a", "confirmed", "air")
    assert got.is_correct is True
    assert got.confidence == pytest.approx(0.91)
    assert got.alternatives == (("a", 0.91), ("d", 0.05), ("o", 0.02))
    assert (got.model_version, got.inference_ms) == ("v3", 12.5)
    assert (got.participant_id, got.collection_session_id) == (person.id, session.id)
    assert got.ink.to_lists() == INK.to_lists()  # t kept where the source had it
    assert np.isnan(got.ink.strokes[1][:, 2]).all()
    np.testing.assert_allclose(got.features, features, atol=1e-4)
    assert got.created_at.tzinfo is not None and before - timedelta(seconds=1) <= got.created_at
    assert got.created_at <= datetime.now(UTC) + timedelta(seconds=1)
    assert storage.get_collection_session(session.id).samples_done == 1


def test_correction_is_stored_as_corrected(storage):
    class Prediction:  # the shape of predictor.Prediction
        char, confidence, alternatives, inference_ms, model_version = "o", 0.6, (("o", 0.6), ("0", 0.3)), 3.0, "v1"

    corrected = storage.get_sample(storage.save_sample(NewSample.from_prediction(INK, Prediction(), "0")))
    assert (corrected.correction_type, corrected.is_correct, corrected.predicted_char) == ("corrected", False, "o")
    assert corrected.model_version == "v1"
    confirmed = storage.get_sample(storage.save_sample(NewSample.from_prediction(INK, Prediction(), "o")))
    assert (confirmed.correction_type, confirmed.is_correct) == ("confirmed", True)
    manual = storage.get_sample(storage.save_sample(sample("Q")))
    assert (manual.correction_type, manual.is_correct, manual.alternatives) == ("manual", None, ())


@pytest.mark.parametrize("label", ["?", "ab", "", None, "é"])
def test_label_outside_62_is_refused_and_nothing_stored(storage, label):
    with pytest.raises(LabelError, match="0-9, A-Z, a-z"):
        storage.save_sample(sample(label))
    with pytest.raises(LabelError):  # one bad sample in a batch: none of the batch is stored
        storage.save_samples([sample("a"), sample(label), sample("b")])
    assert count(storage) == 0


@pytest.mark.parametrize(
    "bad, says",
    [
        (dict(correction="guessed"), "correction type 'guessed' is not one of"),
        (dict(source="scanner"), "source 'scanner' is not one of"),
        (dict(predicted="b", correction="confirmed"), "'b' is not 'a'"),  # confirmed, but the model said b
        (dict(correction="corrected"), "needs the model's prediction"),  # corrected, but there was no prediction
        (dict(predicted="a", confidence=float("nan")), "confidence must be a number between 0.0 and 1.0, not nan"),
        (dict(predicted="a", confidence=1.5), "confidence must be a number between 0.0 and 1.0, not 1.5"),
        (dict(features=[[0.0, float("inf")]]), "features contain NaN or infinity"),
        (dict(ink=Ink(())), "the ink has no points"),
    ],
)
def test_inconsistent_sample_is_refused_with_a_reason(storage, bad, says):
    args = dict(char="a", **bad)
    new = sample(args.pop("char"), args.pop("predicted", None), args.pop("correction", None), **args)
    with pytest.raises(InvalidInputError, match=re.escape(says)):
        storage.save_sample(new)
    assert count(storage) == 0


def test_filters_and_pagination(storage):
    ada, bob = storage.add_participant("ada"), storage.add_participant("bob")
    t0, dt = datetime(2024, 5, 1, 12, 0, tzinfo=UTC), timedelta(hours=1)
    rows = [  # (label, predicted, confidence, participant, source, model, hours after t0)
        ("a", "a", 0.9, ada.id, "canvas", "v1", 0),
        ("a", "o", 0.4, ada.id, "canvas", "v1", 1),
        ("b", "b", 0.8, bob.id, "air", "v2", 2),
        ("c", None, None, bob.id, "import", None, 3),
        ("C", "c", 0.3, None, "canvas", "v2", 4),
    ]
    ids = storage.save_samples(
        [
            sample(c, p, confidence=conf, participant_id=who, source=src, model_version=m, created_at=t0 + dt * h)
            for c, p, conf, who, src, m, h in rows
        ]
    )

    def found(**kw) -> set[int]:
        return {r.id for r in storage.query_samples(SampleFilter(**kw), per_page=100).items}

    assert found() == set(ids)
    assert found(chars=["a", "C"]) == {ids[0], ids[1], ids[4]}
    assert found(misclassified_only=True) == {ids[1], ids[4]}
    assert found(min_confidence=0.5) == {ids[0], ids[2]}
    assert found(min_confidence=0.35, max_confidence=0.85) == {ids[1], ids[2]}
    assert found(correction_types=["manual"]) == {ids[3]}
    assert found(start=t0 + timedelta(hours=1), end=t0 + timedelta(hours=3)) == {ids[1], ids[2]}
    assert found(start=datetime(2024, 5, 1, 15, 0)) == {ids[3], ids[4]}  # naive means UTC
    assert found(participant_id=bob.id) == {ids[2], ids[3]}
    assert found(source="air") == {ids[2]}
    assert found(model_version="v2", predicted_chars=["c"]) == {ids[4]}

    first = storage.query_samples(page=1, per_page=2)
    assert (first.total, first.pages, first.page) == (5, 3, 1)
    assert [r.id for r in first.items] == [ids[4], ids[3]]  # newest first
    last = storage.query_samples(page=99, per_page=2)  # clamped to the last page
    assert (last.page, [r.id for r in last.items]) == (3, [ids[0]])
    empty = storage.query_samples(SampleFilter(chars=["z"]))
    assert (empty.total, empty.pages, empty.items) == (0, 1, ())
    assert [r.id for r in storage.iter_samples(batch_size=2)] == ids  # oldest first, in batches


def test_relabel_and_delete(storage):
    wrong, right, manual = storage.save_samples([sample("o", "o"), sample("a", "d"), sample("x")])
    assert storage.relabel([wrong, right, manual], "d") == 3
    relabeled = {i: storage.get_sample(i) for i in (wrong, right, manual)}
    assert (relabeled[wrong].actual_char, relabeled[wrong].correction_type, relabeled[wrong].is_correct) == (
        "d",
        "corrected",
        False,
    )
    assert (relabeled[right].correction_type, relabeled[right].is_correct) == ("confirmed", True)
    assert (relabeled[manual].correction_type, relabeled[manual].is_correct) == ("manual", None)
    with pytest.raises(LabelError):
        storage.relabel([wrong], "#")
    assert storage.get_sample(wrong).actual_char == "d"

    assert storage.delete([wrong, manual, 12345]) == 2
    assert [r.id for r in storage.query_samples().items] == [right]
    with pytest.raises(NotFoundError):
        storage.get_sample(wrong)


def test_counts_are_aggregated_in_sql(storage):
    storage.save_samples(
        [sample("a", "a", confidence=0.9)] * 3
        + [sample("a", "o", confidence=0.5), sample("b", "b", confidence=0.7), sample("Z")]
    )
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        by_char = storage.count_by_char()
        accuracy = {row.char: row for row in storage.accuracy_by_char()}
        confusion = storage.confusion_counts()
    finally:
        event.remove(Engine, "before_cursor_execute", record)

    assert by_char == {"Z": 1, "a": 4, "b": 1}
    assert list(by_char) == ["Z", "a", "b"]  # the charset's order: digits, upper, lower
    assert set(accuracy) == {"a", "b"}  # Z had no prediction
    assert (accuracy["a"].total, accuracy["a"].correct, accuracy["a"].accuracy) == (4, 3, 0.75)
    assert accuracy["a"].avg_confidence == pytest.approx(0.8)
    assert confusion == {("a", "a"): 3, ("a", "o"): 1, ("b", "b"): 1}
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(queries) == 3 and all("GROUP BY" in q for q in queries)
    assert storage.count_by_char(SampleFilter(misclassified_only=True)) == {"a": 1}


def test_training_samples_are_inks_with_labels(storage):
    storage.save_samples([sample("k"), sample("7", "1"), sample("k", "k")])
    pairs = storage.training_samples(SampleFilter(chars=["k"]))
    assert [label for _, label in pairs] == ["k", "k"]
    assert all(ink.to_lists() == INK.to_lists() for ink, _ in pairs)


def test_participants_are_unique_by_name(storage):
    ada = storage.add_participant("  Ada ")
    assert ada.name == "Ada"
    assert storage.add_participant("Ada").id == ada.id
    storage.add_participant("Bob")
    assert [p.name for p in storage.list_participants()] == ["Ada", "Bob"]
    with pytest.raises(InvalidInputError, match="needs a name"):
        storage.add_participant("   ")


def test_collection_session_progress(storage):
    person = storage.add_participant("Cy")
    session = storage.start_collection_session(person.id, ["a", "b", "c"])
    assert (session.status, session.planned_chars, session.samples_done) == ("active", ("a", "b", "c"), 0)
    storage.save_sample(sample("a", correction="prompted", participant_id=person.id, collection_session_id=session.id))
    assert storage.set_collection_session_status(session.id, "paused").samples_done == 1
    finished = storage.set_collection_session_status(session.id, "finished")
    assert finished.status == "finished" and finished.finished_at is not None
    assert [s.id for s in storage.list_collection_sessions(person.id)] == [session.id]
    with pytest.raises(NotFoundError):
        storage.start_collection_session(999, ["a"])


# --- training runs and model versions ------------------------------------------


def test_training_session_is_recorded_from_start_to_finish(storage):
    run = storage.start_training_session("finetune", {"epochs": 5}, device="cpu", parent_version="v1")
    storage.update_training_session(run, history=[{"epoch": 1, "loss": 2.0}], samples_used=120)
    done = storage.finish_training_session(run, "completed", {"val_acc": 0.8}, model_version="v2")
    assert (done.status, done.metrics, done.model_version) == ("completed", {"val_acc": 0.8}, "v2")
    assert done.samples_used == 120
    assert done.history == [{"epoch": 1, "loss": 2.0}] and done.params == {"epochs": 5}
    assert done.duration_s is not None and done.duration_s >= 0 and done.finished_at >= done.started_at
    with pytest.raises(TypeError):
        storage.update_training_session(run, colour="red")
    with pytest.raises(InvalidInputError):
        storage.start_training_session("partial", {})


def test_interrupted_training_sessions_marked_failed(storage):
    finished = storage.start_training_session("full", {})
    storage.finish_training_session(finished, "completed", {"val_acc": 0.9})
    crashed = storage.start_training_session("finetune", {})
    elsewhere = storage.start_training_session("finetune", {})  # another app's live run
    assert storage.mark_interrupted_sessions([crashed, finished]) == 1
    runs = {r.id: r for r in storage.list_training_sessions()}
    assert (runs[crashed].status, runs[crashed].error) == ("failed", INTERRUPTED)
    assert runs[crashed].finished_at is not None
    assert runs[finished].status == "completed"
    assert runs[elsewhere].status == "running"
    assert storage.mark_interrupted_sessions([crashed]) == 0
    assert [r.id for r in storage.list_training_sessions()] == [elsewhere, crashed, finished]  # newest first


def test_model_versions_activate_and_roll_back(storage):
    storage.record_model_version("v1", "/models/v1", None, {"val_acc": 0.8})
    storage.record_model_version("v2", "/models/v2", "v1", {"val_acc": 0.85})
    assert storage.active_model_version() is None
    storage.set_active_model_version("v2")
    storage.set_active_model_version("v1")  # rollback
    assert [(v.version, v.is_active) for v in storage.list_model_versions()] == [("v2", False), ("v1", True)]
    assert storage.active_model_version().parent_version is None
    with pytest.raises(NotFoundError):
        storage.set_active_model_version("v9")
    assert storage.active_model_version().version == "v1"


# --- concurrency and failures ----------------------------------------------------


def _write_200(url: str, start, label: str) -> None:
    start.wait(10)
    storage = Storage(url)  # both processes migrate the fresh file at the same time
    for _ in range(200):
        storage.save_sample(sample(label))
    storage.close()


def test_two_writers_lose_nothing(sqlite_url):
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    writers = [ctx.Process(target=_write_200, args=(sqlite_url, start, c)) for c in "xy"]
    for writer in writers:
        writer.start()
    start.set()
    for writer in writers:
        writer.join(60)
    assert [w.exitcode for w in writers] == [0, 0]
    storage = Storage(sqlite_url)
    assert storage.count_by_char() == {"x": 200, "y": 200}
    storage.close()


def test_locked_database_gives_clear_error(sqlite_url, tmp_path):
    storage = Storage(sqlite_url, busy_timeout_s=0.2)
    other = sqlite3.connect(tmp_path / "data" / "airtype.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseLockedError, match="your sample was not stored; try again"):
            storage.save_sample(sample("a"))
        assert count(storage) == 0  # readers still work under WAL
    finally:
        other.execute("ROLLBACK")
        other.close()
    storage.save_sample(sample("a"))
    assert count(storage) == 1
    storage.close()


def test_deleted_database_file_gives_clear_error_and_recovers(sqlite_url, tmp_path):
    path = tmp_path / "data" / "airtype.db"
    storage = Storage(sqlite_url)
    storage.save_sample(sample("a"))
    path.unlink()
    with pytest.raises(DatabaseUnavailableError, match="new, empty database.*your sample was not stored"):
        storage.save_sample(sample("b"))
    assert path.is_file()
    storage.save_sample(sample("c"))
    assert storage.count_by_char() == {"c": 1}
    storage.close()
    assert Storage(sqlite_url).count_by_char() == {"c": 1}  # really in the new file


def test_unreachable_postgres_gives_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    with pytest.raises(DatabaseUnavailableError, match="cannot be reached") as info:
        Storage(f"postgresql+psycopg://airtype:secret@127.0.0.1:{port}/airtype")
    assert "secret" not in str(info.value)


def test_postgres_server_going_away_gives_clear_error(postgres_server):
    url = postgres_server.create_database()
    storage = Storage(url)
    storage.save_sample(sample("a"))
    postgres_server.drop_database(url)  # terminates our pooled connection too
    with pytest.raises(DatabaseUnavailableError, match="your sample was not stored"):
        storage.save_sample(sample("b"))
    storage.close()


def test_default_url_comes_from_settings(monkeypatch, sqlite_url):
    monkeypatch.setenv("AIRTYPE_DATABASE_URL", sqlite_url)
    storage = Storage()
    assert str(storage.url) == sqlite_url
    storage.close()
