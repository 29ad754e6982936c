"""File formats: each reader streams good records and reports every bad one by line or element;
export then import gives the same samples (hypothesis)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airtype_core.formats import guess_format, reader
from airtype_core.formats.csvfile import COLUMNS, write_csv
from airtype_core.formats.inkml import write_inkml
from airtype_core.formats.jsonl import write_jsonl
from airtype_core.formats.records import FormatError, InkRecord, Problem
from airtype_core.formats.uji import write_uji, writer_of
from airtype_core.recognition.charset import CLASSES
from airtype_core.recognition.ink import Ink

DATA = Path(__file__).resolve().parent / "data"
SEVEN = [[[0, 0], [40, 0], [12, 60]], [[8, 30], [34, 30]]]


def _split(items):
    records = [i for i in items if isinstance(i, InkRecord)]
    problems = [i for i in items if isinstance(i, Problem)]
    return records, problems


def _read(fmt: str, data: bytes):
    return _split(list(reader(fmt)(io.BytesIO(data))))


def _same_points(a: Ink, b: Ink) -> bool:
    return len(a.strokes) == len(b.strokes) and all(
        np.array_equal(x, y, equal_nan=True) for x, y in zip(a.strokes, b.strokes)
    )


# --- JSON lines ------------------------------------------------------------------


def test_jsonl_reports_each_bad_line_with_its_number_and_keeps_the_good_ones():
    lines = [
        json.dumps({"label": "7", "strokes": SEVEN, "writer": "ana"}),
        '{"label": "b", "strokes": [[[0, 0], [10, NaN]]]}',
        json.dumps({"label": "é", "strokes": SEVEN}),
        json.dumps({"label": "c", "strokes": [[], []]}),
        "not json",
        json.dumps({"label": "Z", "strokes": SEVEN}),
        '{"label": "Q", "stro',  # cut off: no newline at the end
    ]
    records, problems = _read("jsonl", ("\n".join(lines)).encode())
    assert [r.label for r in records] == ["7", "Z"]
    assert [p.where for p in problems] == ["line 2", "line 3", "line 4", "line 5", "line 7"]
    assert "NaN" in problems[0].message and "62 classes" in problems[1].message
    assert "no points" in problems[2].message and "truncated" in problems[4].message


def test_jsonl_reads_utf8_with_bom_and_latin1():
    line = json.dumps({"label": "a", "strokes": SEVEN, "writer": "José"}, ensure_ascii=False)
    records, _ = _read("jsonl", b"\xef\xbb\xbf" + line.encode("utf-8"))
    assert records[0].writer == "José"
    records, problems = _read("jsonl", line.encode("latin-1"))
    assert records[0].writer == "José" and not problems


# --- InkML -------------------------------------------------------------------------


def test_inkml_refuses_an_entity_expansion_bomb():
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE ink [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<ink xmlns="http://www.w3.org/2003/InkML"><traceGroup><annotation type="truth">&d;</annotation>
<trace>0 0, 1 1</trace></traceGroup></ink>"""
    records, problems = _read("inkml", bomb)
    assert records == [] and len(problems) == 1 and "entities" in problems[0].message


def test_inkml_reports_bad_groups_by_element_and_a_truncated_file_by_line():
    text = """<ink xmlns="http://www.w3.org/2003/InkML">
<traceGroup xml:id="g1"><annotation type="truth">a</annotation><trace>0 0, 5 5, 9 1</trace></traceGroup>
<traceGroup xml:id="g2"><annotation type="truth">&#233;</annotation><trace>0 0, 5 5</trace></traceGroup>
<traceGroup xml:id="g3"><annotation type="truth">b</annotation><trace></trace></traceGroup>
<traceGroup xml:id="g4"><annotation type="truth">c</annotation><trace>0 0, x 5</trace></traceGroup>
<traceGroup xml:id="g5"><annotation type="truth">d</annotation><trace>0 0, 5"""
    records, problems = _read("inkml", text.encode())
    assert [r.label for r in records] == ["a"]
    assert [p.where for p in problems[:3]] == ["traceGroup 2 (g2)", "traceGroup 3 (g3)", "traceGroup 4 (g4)"]
    assert problems[3].where.startswith("line 6") and "truncated" in problems[3].message


def test_inkml_reads_a_latin1_file_that_does_not_say_so_and_one_that_does():
    body = (
        '<ink xmlns="http://www.w3.org/2003/InkML"><traceGroup><annotation type="truth">a</annotation>'
        '<annotation type="writer">Zoë</annotation><trace>0 0, 5 5</trace></traceGroup></ink>'
    )
    records, _ = _read("inkml", body.encode("latin-1"))
    assert records[0].writer == "Zoë"
    declared = '<?xml version="1.0" encoding="ISO-8859-1"?>\n' + body
    records, _ = _read("inkml", declared.encode("latin-1"))
    assert records[0].writer == "Zoë"


def test_inkml_reads_a_one_character_file_and_trace_views():
    single = b"""<ink xmlns="http://www.w3.org/2003/InkML"><annotation type="truth">K</annotation>
<trace>0 0, 0 30</trace><trace>15 0, 0 15, 15 30</trace></ink>"""
    records, _ = _read("inkml", single)
    assert records[0].label == "K" and len(records[0].ink.strokes) == 2
    views = b"""<ink xmlns="http://www.w3.org/2003/InkML"><trace xml:id="t1">0 0, 4 9</trace>
<trace xml:id="t2">3 3, 8 1</trace><traceGroup><annotation type="truth">x</annotation>
<traceView traceDataRef="#t1"/><traceView traceDataRef="#t2"/></traceGroup></ink>"""
    records, _ = _read("inkml", views)
    assert [r.label for r in records] == ["x"] and len(records[0].ink.strokes) == 2


def test_inkml_export_is_valid_inkml_with_one_trace_per_stroke():
    from xml.etree import ElementTree

    out = io.StringIO()
    write_inkml([InkRecord(Ink.from_strokes(SEVEN), "7", "ana", source="canvas", sample_id=3)], out)
    root = ElementTree.fromstring(out.getvalue())
    ns = {"i": "http://www.w3.org/2003/InkML"}
    group = root.find("i:traceGroup", ns)
    assert len(group.findall("i:trace", ns)) == 2
    notes = {a.get("type"): a.text for a in group.findall("i:annotation", ns)}
    assert notes["truth"] == "7" and notes["writer"] == "ana" and notes["source"] == "canvas"


# --- UJI Pen Characters v2 ------------------------------------------------------------


def test_uji_file_reads_labels_writers_and_reports_what_it_skips():
    records, problems = _split(list(reader("uji")(DATA / "formats" / "uji_small.txt")))
    assert [(r.label, r.writer, len(r.ink.strokes)) for r in records] == [
        ("a", "W01", 2),
        ("7", "W01", 1),
        ("K", "W02", 2),
    ]
    assert [p.where.split(" ")[1] for p in problems] == ["10", "17", "20"]
    assert "62 classes" in problems[0].message and "NaN" in problems[1].message
    assert "truncated" in problems[2].message


def test_uji_writer_is_the_id_without_set_and_repetition():
    assert writer_of("trn_UJI_W01-01") == "UJI_W01" and writer_of("tst_X-12") == "X"


# --- round trips (hypothesis) ------------------------------------------------------------

_coord = st.floats(-1e4, 1e4, allow_nan=False).map(lambda v: round(v, 2))
_time = st.floats(0, 1e5, allow_nan=False)
_stroke_xy = st.lists(st.tuples(_coord, _coord).map(list), min_size=1, max_size=12)
_stroke_xyt = st.lists(st.tuples(_coord, _coord, _time).map(list), min_size=1, max_size=12)
_writer = st.text(st.characters(codec="utf-8", exclude_categories=("C", "Z")), max_size=12)


@st.composite
def records(draw, times: bool = True):
    strokes = draw(st.lists(_stroke_xyt if times and draw(st.booleans()) else _stroke_xy, min_size=1, max_size=4))
    label = draw(st.sampled_from(CLASSES))
    predicted = draw(st.none() | st.sampled_from(CLASSES))
    created = draw(
        st.none() | st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
    )
    return InkRecord(
        Ink.from_strokes(strokes),
        label,
        draw(_writer),
        predicted_char=predicted,
        confidence=None if predicted is None else draw(st.floats(0, 1)),
        alternatives=() if predicted is None else ((predicted, 0.5), ("x", 0.25)),
        model_version=draw(st.none() | st.sampled_from(["hershey-v3", "ft-2"])),
        source=draw(st.sampled_from(["canvas", "air", "import"])),
        created_at=created,
    )


def _round_trip(write, fmt, items):
    out = io.StringIO()
    write(items, out)
    back, problems = _read(fmt, out.getvalue().encode("utf-8"))
    assert problems == []
    return back


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=5))
def test_jsonl_round_trip_is_lossless(items):
    for a, b in zip(items, _round_trip(write_jsonl, "jsonl", items), strict=True):
        assert _same_points(a.ink, b.ink) and a.ink.digest() == b.ink.digest()
        assert (
            a.label,
            a.writer,
            a.predicted_char,
            a.confidence,
            a.alternatives,
            a.model_version,
            a.source,
            a.created_at,
        ) == (
            b.label,
            b.writer,
            b.predicted_char,
            b.confidence,
            b.alternatives,
            b.model_version,
            b.source,
            b.created_at,
        )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=5))
def test_inkml_round_trip_keeps_points_times_label_and_writer(items):
    for a, b in zip(items, _round_trip(write_inkml, "inkml", items), strict=True):
        assert _same_points(a.ink, b.ink)
        assert (a.label, a.writer.strip(), a.predicted_char, a.confidence, a.created_at) == (
            b.label,
            b.writer,
            b.predicted_char,
            b.confidence,
            b.created_at,
        )


@settings(max_examples=40, deadline=None)
@given(st.lists(records(times=False), min_size=1, max_size=5))
def test_uji_round_trip_keeps_points_and_label(items):
    for a, b in zip(items, _round_trip(write_uji, "uji", items), strict=True):
        assert _same_points(a.ink, b.ink) and a.label == b.label


def test_csv_has_one_row_of_metadata_per_sample():
    out = io.StringIO()
    write_csv([InkRecord(Ink.from_strokes(SEVEN), "7", "ana", predicted_char="1", confidence=0.4, sample_id=9)], out)
    header, row = out.getvalue().splitlines()
    assert tuple(header.split(",")) == COLUMNS
    values = dict(zip(COLUMNS, row.split(",")))
    assert values["id"] == "9" and values["is_correct"] == "0" and values["points"] == "5"


def test_a_file_name_that_names_no_format_is_refused_clearly():
    assert guess_format("x.inkml") == "inkml" and guess_format("x.JSONL") == "jsonl"
    with pytest.raises(FormatError, match="cannot tell the format"):
        guess_format("notes.pdf")
