"""UNIPEN `.INCLUDE` reads only inside the folder being imported; an upload follows none.

A problem message never quotes a line of a file the user did not give.
"""

from __future__ import annotations

import io
import os

import pytest

from airtype_core.formats.records import InkRecord, Problem
from airtype_core.formats.unipen_records import read_records

SECRET = "TOP-SECRET-LINE not a point"
PEN = ".PEN_DOWN\n0 0\n10 10\n20 0\n.PEN_UP\n"
CHARACTER = '.SEGMENT CHARACTER 0 ? "a"\n'


@pytest.fixture
def outside(tmp_path):
    """A file outside the imported folder, whose lines would make problems (and so be quoted) if read."""
    path = tmp_path / "private.txt"
    path.write_text(f".PEN_DOWN\n{SECRET}\n{SECRET}\n")
    return path


def _folder(tmp_path, include: str):
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "x.dat").write_text(f".INCLUDE {include}\n{PEN}{CHARACTER}")
    return folder


def _split(items):
    records = [i for i in items if isinstance(i, InkRecord)]
    problems = [i for i in items if isinstance(i, Problem)]
    return records, problems


def _quotes_secret(problems) -> bool:
    return any("TOP-SECRET" in str(p) for p in problems)


def test_an_absolute_include_is_refused_and_not_read(tmp_path, outside):
    records, problems = _split(list(read_records(_folder(tmp_path, str(outside)))))
    assert len(records) == 1  # the file's own character is still read
    assert not _quotes_secret(problems)
    assert any("refused" in p.message and "folder being imported" in p.message for p in problems), problems


def test_a_dotdot_include_is_refused_and_not_read(tmp_path, outside):
    records, problems = _split(list(read_records(_folder(tmp_path, "../private.txt"))))
    assert len(records) == 1
    assert not _quotes_secret(problems)
    assert any("refused" in p.message and "folder being imported" in p.message for p in problems), problems


def test_a_symlink_inside_the_folder_that_points_outside_is_refused(tmp_path, outside):
    folder = _folder(tmp_path, "pen.txt")
    os.symlink(outside, folder / "pen.txt")
    records, problems = _split(list(read_records(folder)))
    assert len(records) == 1
    assert not _quotes_secret(problems)
    assert any("refused" in p.message and "folder being imported" in p.message for p in problems), problems


def test_an_include_inside_the_folder_is_still_read(tmp_path):
    folder = tmp_path / "set"
    (folder / "include").mkdir(parents=True)
    (folder / "include" / "pen.txt").write_text(PEN)
    (folder / "x.dat").write_text(f".INCLUDE pen.txt\n{CHARACTER}")
    records, problems = _split(list(read_records(folder)))
    assert [r.label for r in records] == ["a"] and problems == []


def test_an_uploaded_file_follows_no_include_and_says_so(tmp_path, outside):
    folder = tmp_path / "beside"
    folder.mkdir()
    (folder / "pen.txt").write_text(PEN)  # even a harmless relative name is not followed from an upload
    upload = io.BytesIO(f".INCLUDE {outside}\n.INCLUDE pen.txt\n{CHARACTER}".encode())
    upload.name = "x.dat"
    records, problems = _split(list(read_records(upload)))
    assert records == []
    assert not _quotes_secret(problems)
    assert sum("not followed" in p.message for p in problems) == 2, problems
