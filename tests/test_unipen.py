"""The UNIPEN reader on fixtures written for these tests (tests/data/unipen/), and on the shared folder."""

from __future__ import annotations

import numpy as np
import pytest

from airtype_core.formats.unipen import UnipenFormatError, parse_delineation, read_unipen
from airtype_core.settings import PROJECT_ROOT

FIXTURES = PROJECT_ROOT / "tests" / "data" / "unipen"
SHARED = PROJECT_ROOT.parent / "shared" / "data" / "unipen-train"


@pytest.fixture(scope="module")
def demo():
    return read_unipen(FIXTURES)


def _by_source(data, name: str, line: int):
    (found,) = [c for c in data.characters if c.source == f"{FIXTURES / name}:{line}"]
    return found


def _xy(char) -> list[list[list[float]]]:
    return [s[:, :2].tolist() for s in char.ink.strokes]


def test_delineations_are_comma_lists_of_component_and_point_ranges():
    assert parse_delineation("3") == [(3, None, 3, None)]
    assert parse_delineation("4-5") == [(4, None, 5, None)]
    assert parse_delineation("2:1-2:25,4") == [(2, 1, 2, 25), (4, None, 4, None)]
    assert parse_delineation("165-165:42") == [(165, None, 165, 42)]
    for bad in ("", "9-", "a-b", "1:-2"):
        with pytest.raises(UnipenFormatError):
            parse_delineation(bad)


def test_includes_are_read_and_y_is_turned_to_screen_orientation(demo):
    seven = _by_source(demo, "data/1a/demo/w1.dat", 5)
    assert seven.label == "7"
    (stroke,) = seven.ink.strokes
    # written with the bar at y=100 (top, y up): on screen the bar has the smallest y
    assert stroke[0, 1] == stroke[:, 1].min() and stroke[-1, 1] == stroke[:, 1].max()
    assert _xy(seven) == [[[40, -100], [60, -100], [80, -100], [65, -50], [50, 0]]]


def test_files_in_screen_orientation_are_read_as_they_are():
    seven = _by_source(read_unipen(FIXTURES, y_axis="down"), "data/1a/demo/w1.dat", 5)
    assert _xy(seven)[0][0] == [40, 100]  # nothing flipped


def test_pen_up_streams_are_counted_and_left_out_of_the_ink(demo):
    # components: 0 down, 1 up (pen moving in the air), 2 down, (empty up: not counted), 3 down, 4, 5 down
    assert _by_source(demo, "data/1a/demo/w1.dat", 6).label == "L"
    assert _xy(_by_source(demo, "data/1a/demo/w1.dat", 6)) == [[[100, -100], [100, 0], [140, 0]]]
    four = _by_source(demo, "data/1a/demo/w1.dat", 9)  # "0-2": two pen-down strokes, not the pen-up between
    assert [len(s) for s in four.ink.strokes] == [3, 5]


def test_point_ranges_and_comma_lists(demo):
    v = _by_source(demo, "data/1a/demo/w1.dat", 8)  # 2:2-2:4, both ends included, from 0
    assert _xy(v) == [[[80, -100], [65, -50], [50, 0]]]
    b = _by_source(demo, "data/1a/demo/w1.dat", 10)  # "0,3"
    assert [len(s) for s in b.ink.strokes] == [3, 3]


def test_writer_ids_follow_the_components(demo):
    assert _by_source(demo, "data/1a/demo/w1.dat", 4).writer == "demo/w1"
    t = _by_source(demo, "data/1a/demo/w1.dat", 7)
    assert t.writer == "demo/w2" and len(t.ink.strokes) == 2
    assert _by_source(demo, "data/1c/demo/sets.dat", 9).writer == "demo/w3"


def test_component_count_restarts_with_each_file_and_set(demo):
    again = _by_source(demo, "data/1b/demo/again.dat", 3)  # component 0 of its own file
    assert again.label == "I" and _xy(again) == [[[10, -100], [10, -50], [10, 0]]]
    c = _by_source(demo, "data/1c/demo/sets.dat", 9)
    v = _by_source(demo, "data/1c/demo/sets.dat", 15)  # "0" in the second set is that set's first stroke
    assert _xy(c)[0][0] == [30, -100] and _xy(v)[0][0] == [0, -100]


def test_labels_outside_the_62_classes_are_skipped_and_counted(demo):
    assert demo.skipped_labels == {"?": 1, '"': 1}
    assert "hello" not in {c.label for c in demo.characters}  # WORD segments are not characters
    assert demo.sites() == ["bad", "demo"]


def test_bad_input_is_reported_with_file_and_line_and_good_characters_are_kept(demo):
    bad = str(FIXTURES / "data/1c/bad/bad.dat")
    found = {(p.kind, p.line) for p in demo.problems if p.file == bad}
    assert found == {
        ("latin-1", 2),
        ("missing-include", 3),
        ("unknown-keyword", 5),
        ("empty-component", 6),
        ("bad-point", 9),
        ("segment-out-of-range", 12),
        ("bad-segment", 13),
        ("bad-segment", 14),
        ("bad-segment", 15),
    }
    # the empty .PEN_DOWN is not counted: component 6 is the stroke after it
    assert _xy(_by_source(demo, "data/1c/bad/bad.dat", 11)) == [[[0, 0], [0, -10]]]
    assert _by_source(demo, "data/1c/bad/bad.dat", 16).label == "1"
    sets = str(FIXTURES / "data/1c/demo/sets.dat")
    assert {(p.kind, p.line) for p in demo.problems if p.file == sets} == {("segment-out-of-range", 16)}
    w1 = str(FIXTURES / "data/1a/demo/w1.dat")
    assert {(p.kind, p.line) for p in demo.problems if p.file == w1} == {("empty-character", 11)}
    assert all(str(p).startswith(p.file + ":") for p in demo.problems)


def test_sites_can_be_chosen_or_left_out():
    assert read_unipen(FIXTURES, sites=["bad"]).sites() == ["bad"]
    assert read_unipen(FIXTURES, exclude_sites=["bad"]).sites() == ["demo"]


@pytest.mark.slow  # real data, thousands of inks
@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared UNIPEN training folder is not on this machine")
def test_the_shared_training_folder_reads_as_51505_characters():
    data = read_unipen(SHARED)
    assert abs(len(data.characters) - 51_505) <= 0.005 * 51_505
    assert len(data.sites()) == 13
    labels = {c.label for c in data.characters}
    assert len(labels) == 62
    assert all("/" in c.writer for c in data.characters[:1000])
    # upright: a "7" starts with its bar, at the top of the ink on screen (y grows downward)
    sevens = [c for c in data.characters if c.label == "7"]
    starts_high = [np.mean(c.ink.strokes[0][:3, 1]) < np.mean(np.concatenate(c.ink.strokes)[:, 1]) for c in sevens]
    assert np.mean(starts_high) > 0.8
