"""Imports are total: no input makes one raise, the database holds exactly what was reported stored,
a killed import leaves no half-stored batch, and two imports of one file at once store it once."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, select, text

from airtype_core.bench.fuzz import MUTATIONS
from airtype_core.formats import READ_FORMATS, guess_format, reader
from airtype_core.formats.inkml import write_inkml
from airtype_core.formats.records import FormatError, InkRecord, Problem
from airtype_core.recognition.ink import Ink
from airtype_core.storage.store import Storage
from airtype_core.storage.tables import Participant, TrainingSample
from airtype_core.transfer.importer import import_file

ROOT = Path(__file__).resolve().parent.parent
FORMATS_DATA = ROOT / "tests" / "data" / "formats"


def _line(i: int, writer: str = "") -> str:
    label = "abcdefghijklmnopqrstuvwxyz"[i % 26]
    strokes = [[[i % 997, i // 997], [i % 997 + 5, i // 997 + 9], [i % 997 + 1, i // 997 + 20]]]
    return json.dumps({"label": label, "strokes": strokes, **({"writer": writer} if writer else {})})


def _count(url: str) -> tuple[int, int, int]:
    """(samples, distinct (ink, label), participants), read with a connection of its own."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    t = TrainingSample
    try:
        with engine.connect() as conn:
            rows = conn.scalar(select(func.count()).select_from(t))
            distinct = conn.scalar(
                select(func.count()).select_from(select(t.ink_hash, t.actual_char).distinct().subquery())
            )
            people = conn.scalar(select(func.count()).select_from(Participant))
    finally:
        engine.dispose()
    return rows, distinct, people


# --- two at once ------------------------------------------------------------------------------


def test_two_imports_of_one_file_at_once_store_it_once(db_url, tmp_path):
    path = tmp_path / "inks.jsonl"
    path.write_text("\n".join(_line(i, writer=f"w{i % 7}") for i in range(2500)) + "\n")
    Storage(db_url).close()  # the schema, before the race
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def run() -> None:
        storage = Storage(db_url)
        try:
            barrier.wait()
            reports.append(import_file(storage, path))
        except Exception as exc:  # noqa: BLE001 - the test reports any escape
            errors.append(exc)
        finally:
            storage.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sum(r.stored for r in reports) == 2500
    assert sum(r.duplicates for r in reports) == 2500
    assert [r.problems for r in reports] == [[], []]
    assert _count(db_url) == (2500, 2500, 7)
    created = sorted(name for r in reports for name in r.participants_created)
    assert created == [f"w{i}" for i in range(7)]  # each named once, by the import that made it


# --- killed halfway ---------------------------------------------------------------------------


def test_an_import_killed_halfway_leaves_whole_batches_and_a_second_import_completes_it(db_url, tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(_line(i, writer=f"w{i % 3}") for i in range(20_000)) + "\n")
    url = db_url
    env = dict(os.environ, AIRTYPE_DATABASE_URL=url, AIRTYPE_MODEL_DIR=str(tmp_path / "models"))
    command = [sys.executable, "-m", "airtype_core", "import", str(path)]
    Storage(url).close()
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    seen = {0}  # every count another connection saw while the import ran: whole batches only
    while max(seen) < 2000 and child.poll() is None and time.monotonic() < deadline:
        seen.add(_count(url)[0])
        time.sleep(0.02)
    time.sleep(0.3)  # into the next batch, not on a batch's edge
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    stored, distinct, _ = _count(url)
    assert 2000 <= stored < 20_000, "the kill came too late to test anything"
    assert all(count % 1000 == 0 for count in seen | {stored}), sorted(seen | {stored})
    assert distinct == stored
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert _count(url) == (20_000, 20_000, 3)
    assert f"stored {20_000 - stored} new" in again.stdout and f"{stored} already stored" in again.stdout


# --- the upgrade ------------------------------------------------------------------------------


def test_the_upgrade_keeps_samples_a_race_stored_twice_and_keys_the_oldest(db_url):
    from alembic import command
    from alembic.config import Config

    from airtype_core.storage.tables import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    insert = text(
        "INSERT INTO training_samples (raw_ink, actual_char, correction_type, source, created_at, ink_hash)"
        " VALUES ('[[[0, 0]]]', :char, 'manual', :source, :now, :hash)"
    )
    rows = [("a", "import", "h1"), ("a", "import", "h1"), ("b", "import", "h1"), ("a", "canvas", "h2")]
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003_insight")
        for char, source, digest in rows:
            conn.execute(insert, {"char": char, "source": source, "now": datetime.now(UTC), "hash": digest})
    engine.dispose()
    storage = Storage(db_url)  # upgrades to head
    try:
        with storage.session() as s:
            keys = s.execute(text("SELECT id, import_key FROM training_samples ORDER BY id")).all()
        assert [tuple(k) for k in keys] == [(1, "h1:a"), (2, None), (3, "h1:b"), (4, None)]
    finally:
        storage.close()


# --- fuzzing ----------------------------------------------------------------------------------


def _seed_files() -> dict[str, list[bytes]]:
    """The project's small test files of each format, as seeds to mutate."""
    seeds: dict[str, list[bytes]] = {fmt: [] for fmt in READ_FORMATS}
    for path in sorted(FORMATS_DATA.iterdir()):
        try:
            fmt = guess_format(path.name)
        except FormatError:
            continue
        if fmt in seeds:
            seeds[fmt].append(path.read_bytes())
    seeds["jsonl"].append(("\n".join(_line(i, "ana") for i in range(5)) + "\n").encode())
    seeds["unipen"].append(b'.PEN_DOWN\n0 0\n9 9\n.PEN_UP\n.SEGMENT CHARACTER 0 ? "a"\n')
    out = io.StringIO()
    write_inkml(
        [
            InkRecord(
                Ink.from_strokes([[[i, 0, 0.0], [i + 9, 9, 0.1]], [[i, 5], [i + 3, 8]]]),
                "ab"[i],
                "ana",
                predicted_char="a",
                confidence=0.5,
                model_version="v1",
                source="canvas",
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
            for i in range(2)
        ],
        out,
    )
    seeds["inkml"].append(out.getvalue().encode())
    return seeds


SEED_FILES = _seed_files()


_json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)
_FIELDS = (
    "label",
    "strokes",
    "writer",
    "predicted",
    "confidence",
    "alternatives",
    "model_version",
    "inference_ms",
    "correction_type",
    "source",
    "collection_session",
    "created_at",
)


@st.composite
def json_lines(draw) -> bytes:
    """Lines of a valid sample whose fields are each, now and then, any JSON value at all."""
    lines = []
    for i in range(draw(st.integers(1, 4))):
        record = json.loads(_line(i, "ana"))
        for name in draw(st.lists(st.sampled_from(_FIELDS), max_size=4)):
            record[name] = draw(_json_value | st.text(min_size=60, max_size=120))
        lines.append(json.dumps(record))  # NaN and Infinity come out as JSON's extensions, as Python writes them
    if draw(st.booleans()):
        lines.append("[" * draw(st.integers(500, 5000)))
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


@st.composite
def mutated(draw, fmt: str) -> bytes:
    """A seed file of `fmt` with bytes replaced, inserted, cut or duplicated, or plain random bytes."""
    if fmt == "jsonl" and draw(st.booleans()):
        return draw(json_lines())
    if draw(st.integers(0, 9)) == 0 or not SEED_FILES[fmt]:
        return draw(st.binary(max_size=400))
    data = bytearray(draw(st.sampled_from(SEED_FILES[fmt])))
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, max(0, len(data) - 1)))
        kind = draw(st.sampled_from(["replace", "insert", "cut", "repeat"]))
        chunk = draw(st.binary(min_size=1, max_size=12) | st.sampled_from(MUTATIONS))
        if kind == "replace":
            data[where : where + len(chunk)] = chunk
        elif kind == "insert":
            data[where:where] = chunk
        elif kind == "cut":
            del data[where : where + draw(st.integers(1, 40))]
        else:
            data[where:where] = data[where : where + draw(st.integers(1, 200))]
    return bytes(data)


@pytest.mark.parametrize("fmt", READ_FORMATS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_reader_reads_any_bytes_without_raising(fmt, data):
    content = data.draw(mutated(fmt))
    upload = io.BytesIO(content)
    upload.name = f"fuzz.{ {'jsonl': 'jsonl', 'inkml': 'inkml', 'uji': 'txt', 'unipen': 'dat'}[fmt] }"
    for item in reader(fmt)(upload):
        assert isinstance(item, (InkRecord, Problem))


@pytest.mark.parametrize("fmt", READ_FORMATS)
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_import_of_any_file_raises_nothing_and_stores_what_it_reports(storage, fmt, data):
    before = storage.query_samples(per_page=1).total
    content = data.draw(mutated(fmt))
    report = import_file(storage, io.BytesIO(content), fmt)
    assert report.error is None and report.crashed is None, (report.error, report.crashed)
    assert report.read == report.stored + report.duplicates + report.refused
    assert storage.query_samples(per_page=1).total - before == report.stored


@pytest.mark.parametrize("encoding", ["LTF-8", "rot13", "shift_jis", "utf-32", "idna", "punycode", "undefined"])
def test_an_inkml_file_that_declares_an_encoding_expat_cannot_use_is_a_problem(encoding):
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<ink xmlns="http://www.w3.org/2003/InkML">'
        '<traceGroup><annotation type="truth">a</annotation><trace>0 0, 9 9</trace></traceGroup></ink>\n'
    )
    items = list(reader("inkml")(io.BytesIO(text.encode())))
    assert len(items) == 1 and isinstance(items[0], Problem) and "encoding" in items[0].message, items
