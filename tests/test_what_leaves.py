"""What leaves the app: a CSV export a spreadsheet cannot run, an export written to a file (not kept in
memory), and an import report that keeps 1,000 problems and counts the rest."""

from __future__ import annotations

import csv
import io
import json

from airtype_core.formats.csvfile import write_csv
from airtype_core.formats.records import InkRecord
from airtype_core.recognition.ink import Ink
from airtype_core.transfer.exporter import export_to_file
from airtype_core.transfer.importer import import_file

FORMULAS = ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def _record(writer: str, version: str) -> InkRecord:
    return InkRecord(
        Ink.from_strokes([[[0, 0], [9, 9]]]),
        "a",
        writer,
        predicted_char="a",
        confidence=0.5,
        model_version=version,
        source="canvas",
    )


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_escaped():
    out = io.StringIO()
    write_csv([_record(f, f) for f in FORMULAS], out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    writers = [row[rows[0].index("writer")] for row in rows[1:]]
    versions = [row[rows[0].index("model_version")] for row in rows[1:]]
    assert writers == versions == ["'" + f for f in FORMULAS]
    for row in rows[1:]:
        assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in row), row


def test_csv_leaves_plain_text_and_numbers_alone():
    out = io.StringIO()
    write_csv([_record("ana-maria", "unipen-v1")], out)
    row = list(csv.reader(io.StringIO(out.getvalue())))[1]
    assert "ana-maria" in row and "unipen-v1" in row and "0.5" in row


def test_an_export_is_written_to_a_file_that_holds_every_sample(storage, tmp_path):
    lines = [json.dumps({"label": "a", "strokes": [[[i, 0], [i + 9, 9]]], "writer": "=cmd"}) for i in range(30)]
    import_file(storage, io.BytesIO(("\n".join(lines) + "\n").encode()), "jsonl")
    path, count = export_to_file(storage, None, "csv", folder=tmp_path)
    assert count == 30 and path.parent == tmp_path and path.suffix == ".csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert len(rows) == 31 and {row[rows[0].index("writer")] for row in rows[1:]} == {"'=cmd"}


def test_an_import_report_keeps_the_first_1000_problems_and_counts_the_rest(storage):
    text = "".join(f"not json {i}\n" for i in range(1500))
    report = import_file(storage, io.BytesIO(text.encode()), "jsonl")
    assert len(report.problems) == 1000 and report.problems[-1].where == "line 1000"
    assert report.problem_count == 1500
    assert "1500 skipped with problems" in report.summary()
