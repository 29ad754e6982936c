"""Import and export through storage, on SQLite and PostgreSQL: duplicates stored once, all-or-nothing,
nothing stored is ever lost; relabel and delete are logged and undone; keyset paging."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_formats import records

from airtype_core.formats.jsonl import read_records
from airtype_core.recognition.ink import Ink
from airtype_core.storage.records import NewSample, SampleFilter
from airtype_core.storage.store import Storage
from airtype_core.transfer.exporter import export_samples
from airtype_core.transfer.importer import import_file, preview

SEVEN = [[[0, 0, 0.0], [40, 0, 0.05], [12, 60, 0.1]], [[8, 30, 0.3], [34, 30, 0.35]]]


def _line(label: str, dx: float = 0, writer: str = "ana", **extra) -> str:
    strokes = [[[x + dx, y, *t] for x, y, *t in stroke] for stroke in SEVEN]
    return json.dumps({"label": label, "strokes": strokes, "writer": writer, **extra})


def _file(tmp_path, lines: list[str], name: str = "inks.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _mine(storage) -> NewSample:
    return NewSample(ink=Ink.from_strokes([[[1, 1], [9, 9], [1, 9]]]), actual_char="q", correction_type="manual")


def test_import_stores_good_records_as_import_with_a_participant_per_writer(storage, tmp_path):
    path = _file(
        tmp_path, [_line("7"), _line("A", 1, "bo"), '{"label": "b", "strokes": [[[0, NaN]]]}', _line("a", 2, "ana")]
    )
    report = import_file(storage, path)
    assert (report.read, report.stored, report.duplicates) == (3, 3, 0)
    assert [str(p) for p in report.problems] == [
        "line 3: the ink has coordinates that are not numbers (NaN or infinity)"
    ]
    names = {p.id: p.name for p in storage.list_participants()}
    stored = list(storage.iter_samples())
    assert [(s.actual_char, s.source, names[s.participant_id]) for s in stored] == [
        ("7", "import", "ana"),
        ("A", "import", "bo"),
        ("a", "import", "ana"),
    ]


def test_the_same_ink_and_label_is_stored_once_and_reimport_stores_nothing_new(storage, tmp_path):
    path = _file(tmp_path, [_line("7"), _line("7"), _line("1")])  # same points: 7 twice, and once as 1
    first = import_file(storage, path)
    assert (first.stored, first.duplicates) == (2, 1)
    again = import_file(storage, path)
    assert (again.stored, again.duplicates) == (0, 3)
    assert "Nothing new" in again.summary()
    assert storage.query_samples(per_page=1).total == 2


def test_all_or_nothing_stores_nothing_when_one_record_is_bad_and_keeps_what_was_there(storage, tmp_path):
    before = storage.save_sample(_mine(storage))
    path = _file(tmp_path, [_line("7"), _line("8", 1), '{"label": "x", "str'])
    report = import_file(storage, path, all_or_nothing=True)
    assert report.rolled_back and "nothing was stored" in report.summary()
    assert [s.id for s in storage.iter_samples()] == [before]
    assert storage.list_participants() == []  # the writers' participants went with the rollback
    good = _file(tmp_path, [_line("7"), _line("8", 1)], "good.jsonl")
    assert import_file(storage, good, all_or_nothing=True).stored == 2


def test_dry_run_counts_what_would_be_stored_and_stores_nothing(storage, tmp_path):
    path = _file(tmp_path, [_line("7"), _line("7"), _line("8", 3)])
    report = import_file(storage, path, dry_run=True)
    assert (report.stored, report.duplicates) == (2, 1) and "would store 2" in report.summary()
    assert storage.query_samples(per_page=1).total == 0


def test_export_then_import_gives_the_same_samples(storage, tmp_path, db_url):
    created = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    path = _file(
        tmp_path,
        [
            _line(
                "7",
                predicted="1",
                confidence=0.25,
                alternatives=[["1", 0.25], ["7", 0.2]],
                model_version="v1",
                correction_type="corrected",
                created_at=created.isoformat(),
            ),
            _line("k", 5, "bo"),
        ],
    )
    import_file(storage, path)
    out = io.StringIO()
    assert export_samples(storage, None, "jsonl", out) == 2
    exported = [r for r in read_records(io.BytesIO(out.getvalue().encode()))]
    first = exported[0]
    assert (
        first.label,
        first.predicted_char,
        first.confidence,
        first.model_version,
        first.correction_type,
        first.created_at,
        first.writer,
    ) == ("7", "1", 0.25, "v1", "corrected", created, "ana")
    assert first.alternatives == (("1", 0.25), ("7", 0.2))
    back = tmp_path / "back.jsonl"
    back.write_text(out.getvalue())
    report = import_file(storage, back)
    assert (report.stored, report.duplicates) == (0, 2)  # the very same points and labels


def test_export_follows_the_filter_and_writes_inkml_and_csv(storage, tmp_path):
    import_file(
        storage,
        _file(tmp_path, [_line("7", predicted="1", confidence=0.3), _line("8", 2, predicted="8", confidence=0.9)]),
    )
    wrong = SampleFilter(misclassified_only=True)
    out = io.StringIO()
    assert export_samples(storage, wrong, "inkml", out) == 1
    assert out.getvalue().count("<traceGroup") == 1 and '<annotation type="truth">7</annotation>' in out.getvalue()
    out = io.StringIO()
    assert export_samples(storage, None, "csv", out) == 2 and len(out.getvalue().splitlines()) == 3


def test_import_of_a_uji_and_a_unipen_file(storage):
    from pathlib import Path

    data = Path(__file__).resolve().parent / "data"
    assert import_file(storage, data / "formats" / "uji_small.txt").stored == 3
    unipen = import_file(storage, data / "unipen", "unipen")
    assert unipen.stored > 0 and unipen.problems
    assert {p.name for p in storage.list_participants()} >= {"W01", "W02"}


def test_import_with_predict_stores_the_models_answer(storage, tmp_path):
    from airtype_core.recognition.predictor import Predictor

    report = import_file(storage, _file(tmp_path, [_line("7"), _line("L", 4)]), predictor=Predictor())
    assert report.predicted == 2
    for sample in storage.iter_samples():
        assert sample.predicted_char is not None and len(sample.alternatives) == 5
        assert sample.correction_type == ("confirmed" if sample.predicted_char == sample.actual_char else "corrected")
    measured = storage.accuracy_by_char(SampleFilter(source="import"))  # what the Stats page reads
    assert sum(row.total for row in measured) == 2


def test_preview_shows_the_first_records_and_problems(tmp_path):
    records, problems, more = preview(_file(tmp_path, ["nope"] + [_line("7", i) for i in range(5)]), count=3)
    assert len(records) == 3 and str(problems[0]).startswith("line 1") and more


# --- relabel, delete, undo ------------------------------------------------------------


def _store(storage, *labels: str) -> list[int]:
    return storage.save_samples(
        [
            NewSample(
                ink=Ink.from_strokes([[[i, 0], [i + 5, 9]]]),
                actual_char=c,
                correction_type="corrected",
                predicted_char="x",
            )
            for i, c in enumerate(labels)
        ]
    )


def test_relabel_is_logged_with_the_old_value_and_undone(storage):
    ids = _store(storage, "a", "b")
    assert storage.relabel(ids, "x") == 2
    edit = storage.list_edits()[0]
    assert (edit.action, edit.new_char, edit.count) == ("relabel", "x", 2)
    assert [old["actual_char"] for _, old in storage.edit_old_values(edit.id)] == ["a", "b"]
    assert storage.get_sample(ids[0]).correction_type == "confirmed"
    assert storage.undo_edit(edit.id) == 2
    back = storage.get_sample(ids[0])
    assert (back.actual_char, back.correction_type, back.is_correct) == ("a", "corrected", False)
    assert storage.list_edits()[0].undone_at is not None
    with pytest.raises(Exception, match="already undone"):
        storage.undo_edit(edit.id)


def test_delete_is_logged_and_undo_brings_the_samples_back_whole(storage):
    ids = _store(storage, "a", "b", "c")
    before = storage.get_sample(ids[1])
    assert storage.delete(ids[:2]) == 2
    assert storage.query_samples(per_page=1).total == 1
    edit = storage.list_edits()[0]
    assert storage.undo_edit(edit.id) == 2
    again = storage.get_sample(ids[1])
    assert (again.actual_char, again.created_at, again.ink.to_lists(), again.predicted_char) == (
        before.actual_char,
        before.created_at,
        before.ink.to_lists(),
        before.predicted_char,
    )


def test_undo_of_a_delete_survives_its_participant_being_gone(storage):
    ana = storage.add_participant("ana")
    [key] = storage.save_samples(
        [
            NewSample(
                ink=Ink.from_strokes([[[0, 0], [5, 9]]]),
                actual_char="a",
                correction_type="manual",
                participant_id=ana.id,
            )
        ]
    )
    storage.delete([key])
    with storage.session(write=True) as s:
        from airtype_core.storage.tables import Participant

        s.delete(s.get(Participant, ana.id))
    assert storage.undo_edit(storage.list_edits()[0].id) == 1
    assert storage.get_sample(key).participant_id is None


@pytest.mark.parametrize("order", ["newest", "oldest", "least confident"])
def test_keyset_pages_walk_every_sample_once_in_order(storage, order):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    storage.save_samples(
        [  # ties on created_at and on confidence, and one without a prediction
            NewSample(
                ink=Ink.from_strokes([[[i, 0], [i + 5, 9]]]),
                actual_char="a",
                correction_type="manual" if i == 22 else "corrected",
                predicted_char=None if i == 22 else "b",
                confidence=None if i == 22 else (i % 7) / 10,
                created_at=start + timedelta(minutes=i // 2),
            )
            for i in range(23)
        ]
    )
    seen, key = [], None
    while True:
        page = storage.page_samples(after=key, per_page=5, order=order)
        assert page.total == (22 if order == "least confident" else 23)
        seen += [s.id for s in page.items]
        key = page.next_key
        if key is None:
            break
    expected = 22 if order == "least confident" else 23
    assert len(seen) == expected == len(set(seen))
    samples = [storage.get_sample(i) for i in seen]
    if order == "least confident":
        values = [(s.confidence, s.id) for s in samples]
        assert values == sorted(values)
    else:
        times = [s.created_at for s in samples]
        assert times == sorted(times, reverse=order == "newest")


# --- the migration, and the round trip through the database ---------------------------------


def test_migration_fills_in_the_ink_hash_of_samples_stored_before_it(db_url):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from airtype_core.storage.tables import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    ink = Ink.from_strokes(SEVEN)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(
            text(
                "INSERT INTO training_samples (raw_ink, actual_char, correction_type, source, created_at)"
                " VALUES (:ink, '7', 'manual', 'canvas', :now)"
            ),
            {"ink": json.dumps(ink.to_lists()), "now": datetime.now(UTC)},
        )
    engine.dispose()
    storage = Storage(db_url)
    try:
        assert storage.get_sample(1).actual_char == "7"
        with storage.session() as s:
            assert s.scalar(text("SELECT ink_hash FROM training_samples")) == ink.digest()
        path_lines = [json.dumps({"label": "7", "strokes": ink.to_lists()})]
        report = import_file(storage, io.BytesIO(("\n".join(path_lines) + "\n").encode()), "jsonl")
        assert (report.stored, report.duplicates) == (0, 1)  # the old sample is known
    finally:
        storage.close()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=6))
def test_import_then_export_gives_the_same_samples(items):
    from airtype_core.formats.jsonl import write_jsonl

    storage = Storage("sqlite://")
    try:
        text_in = io.StringIO()
        write_jsonl(items, text_in)
        report = import_file(storage, io.BytesIO(text_in.getvalue().encode()), "jsonl")
        unique = {(r.ink.digest(), r.label) for r in items}
        assert report.stored == len(unique) and report.problems == []
        out = io.StringIO()
        export_samples(storage, None, "jsonl", out)
        back = list(read_records(io.BytesIO(out.getvalue().encode())))
        first_of = {}
        for r in items:
            first_of.setdefault((r.ink.digest(), r.label), r)
        for b in back:
            a = first_of[(b.ink.digest(), b.label)]
            assert a.ink.to_lists() == b.ink.to_lists()
            assert (a.writer.strip()[:100], a.predicted_char, a.confidence, a.alternatives, a.model_version) == (
                b.writer,
                b.predicted_char,
                b.confidence,
                b.alternatives,
                b.model_version,
            )
            if a.created_at is not None:
                assert a.created_at == b.created_at
    finally:
        storage.close()
