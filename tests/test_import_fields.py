"""One bad line never aborts an import: every free field is checked in the reader, on SQLite and PostgreSQL.

Each bad line becomes a problem with its line number; the good lines around it are stored;
with all-or-nothing, nothing is.
"""

from __future__ import annotations

import io
import json

import pytest

from airtype_core.formats.jsonl import read_records
from airtype_core.formats.records import Problem
from airtype_core.transfer.importer import import_file

STROKES = [[[0, 0, 0.0], [40, 0, 0.05], [12, 60, 0.1]]]


def _line(label: str = "a", dx: float = 0, **extra) -> str:
    strokes = [[[x + dx, y, t] for x, y, t in stroke] for stroke in STROKES]
    return json.dumps({"label": label, "strokes": strokes, **extra})


BAD_LINES = {
    "a list as model version": _line(dx=1, model_version=["x"]),
    "a 65-character model version": _line(dx=1, model_version="v" * 65),
    "a 101-character writer": _line(dx=1, writer="w" * 101),
    "a writer that is a list": _line(dx=1, writer=["ana"]),
    "a writer with a NUL character": _line(dx=1, writer="a\u0000b"),
    "a writer with a lone surrogate": '{"label": "a", "strokes": [[[1, 0], [9, 9]]], "writer": "\\ud800"}',
    "a 17-character source": _line(dx=1, source="s" * 17),
    "a number as created_at": _line(dx=1, created_at=12),
    "a created_at that leaves the calendar in UTC": _line(dx=1, created_at="9999-12-31T23:59:59-05:00"),
    "a label that is a list": _line(label=["a"], dx=1),  # type: ignore[arg-type]
    "alternatives with NaN": '{"label": "a", "strokes": [[[1, 0], [9, 9]]], "alternatives": [["a", NaN]]}',
    "alternatives naming no class": _line(dx=1, alternatives=[["ab", 0.5]]),
    "an infinite collection session": '{"label": "a", "strokes": [[[1, 0], [9, 9]]], "collection_session": 1e999}',
    "a correction type that is a list": _line(dx=1, correction_type=["manual"]),
    "a deeply nested line": "[" * 100_000,
    "deeply nested strokes": '{"label": "a", "strokes": ' + "[" * 50_000 + "]" * 50_000 + "}",
}


@pytest.mark.parametrize("what", list(BAD_LINES))
def test_a_bad_free_field_is_a_problem_of_its_line_and_the_rest_is_stored(storage, what):
    text = "\n".join([_line("a"), BAD_LINES[what], _line("b", dx=2, writer="ana", model_version="v1")]) + "\n"
    report = import_file(storage, io.BytesIO(text.encode("utf-8", "surrogatepass")), "jsonl")
    assert [p.where for p in report.problems] == ["line 2"], report.problems
    assert report.stored == 2 and report.error is None
    assert sorted(s.actual_char for s in storage.iter_samples()) == ["a", "b"]


@pytest.mark.parametrize("what", ["a list as model version", "a 65-character model version", "a deeply nested line"])
def test_all_or_nothing_stores_nothing_when_a_field_is_bad(storage, what):
    text = "\n".join([_line("a"), BAD_LINES[what], _line("b", dx=2)]) + "\n"
    report = import_file(storage, io.BytesIO(text.encode()), "jsonl", all_or_nothing=True)
    assert report.rolled_back and [p.where for p in report.problems] == ["line 2"]
    assert list(storage.iter_samples()) == []


def test_the_reader_says_what_is_wrong_with_the_field():
    text = "\n".join(BAD_LINES[w] for w in ("a 65-character model version", "a writer that is a list")) + "\n"
    problems = [item for item in read_records(io.BytesIO(text.encode())) if isinstance(item, Problem)]
    assert "model version" in problems[0].message and "64" in problems[0].message
    assert "writer" in problems[1].message and "text" in problems[1].message


def test_the_longest_allowed_values_are_stored(storage):
    text = _line(writer="w" * 100, model_version="v" * 64) + "\n"
    report = import_file(storage, io.BytesIO(text.encode()), "jsonl")
    assert report.stored == 1 and report.problems == []
    assert [p.name for p in storage.list_participants()] == ["w" * 100]
