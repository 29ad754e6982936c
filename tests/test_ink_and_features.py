"""Ink readers and the feature pipeline: invariances, canvas paths, bad inputs."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airtype_core.formats.jsonl import read_jsonl
from airtype_core.recognition.features import FEATURE_NAMES, FeatureConfig, featurize
from airtype_core.recognition.ink import (
    EmptyInkError,
    Ink,
    InkError,
    InkFormatError,
    from_canvas,
)

SEVEN = [[[0, 0], [40, 0], [12, 60]], [[8, 30], [34, 30]]]


def test_features_have_the_documented_shape():
    x = featurize(Ink.from_strokes(SEVEN))
    assert x.shape == (50, len(FEATURE_NAMES)) == (50, 7)
    assert x.dtype == np.float32
    pen = x[:, FEATURE_NAMES.index("pen")]
    assert set(np.unique(pen)) == {0.0, 1.0}, "the jump between the two strokes is pen-up"


@pytest.mark.parametrize("shift, scale", [((1000, -250), 1.0), ((0, 0), 7.5), ((-3, 12), 0.01)])
def test_features_ignore_position_and_size(shift, scale):
    base = featurize(Ink.from_strokes(SEVEN))
    moved = [[[x * scale + shift[0], y * scale + shift[1]] for x, y in s] for s in SEVEN]
    np.testing.assert_allclose(featurize(Ink.from_strokes(moved)), base, atol=1e-4)


def test_aspect_ratio_is_kept():
    tall = featurize(Ink.from_strokes([[[0, 0], [0, 100]], [[0, 50], [10, 50]]]))
    x, y = tall[:, 0], tall[:, 1]
    assert np.ptp(y) == pytest.approx(1.0, abs=0.05)  # resampling may cut a corner vertex
    assert np.ptp(x) < 0.2, "a narrow glyph stays narrow"


def test_sequence_length_is_configurable():
    assert featurize(Ink.from_strokes(SEVEN), FeatureConfig(seq_len=32)).shape == (32, 7)
    assert FeatureConfig(32).signature != FeatureConfig(50).signature


def test_canvas_paths_are_flattened():
    canvas = {
        "objects": [
            {"type": "path", "path": [["M", 10, 10], ["Q", 50, 10, 50, 50], ["L", 50, 90]]},
            {"type": "rect"},  # non-path objects are ignored
            {"type": "path", "path": [["M", 0, 60], ["L", 100, 60]]},
        ]
    }
    ink = from_canvas(canvas)
    assert len(ink.strokes) == 2
    first = ink.strokes[0]
    np.testing.assert_allclose(first[0, :2], [10, 10])
    np.testing.assert_allclose(first[-1, :2], [50, 90])
    # the quadratic's midpoint (t = 0.5) lies on the curve, not on the control point
    assert any(np.allclose(p, [40, 20]) for p in first[:, :2])
    assert np.isnan(first[:, 2]).all(), "the canvas has no clock"


def test_canvas_strokes_from_fabric_7_are_read():
    """The 0.13 canvas names its free-draw objects "Path"."""
    ink = from_canvas({"objects": [{"type": "Path", "path": [["M", 0, 0], ["L", 30, 40]]}]})
    assert len(ink.strokes) == 1 and ink.num_points == 2


def test_a_click_on_the_canvas_is_a_dot_not_a_character():
    click = {"objects": [{"type": "Path", "path": [["M", 100, 100], ["L", 100.02, 100.01]]}]}
    with pytest.raises(InkError, match="dot"):
        from_canvas(click, min_size=12)
    assert from_canvas({"objects": [{"type": "Path", "path": [["M", 0, 0], ["L", 30, 40]]}]}, min_size=12)


def test_canvas_with_unknown_command_is_a_format_error():
    with pytest.raises(InkFormatError):
        from_canvas({"objects": [{"type": "path", "path": [["M", 0, 0], ["Z"]]}]})


def test_jsonl_reader_reports_bad_lines_and_keeps_the_rest(tmp_path):
    path = tmp_path / "inks.jsonl"
    good = {"label": "7", "strokes": SEVEN}
    path.write_text(
        "\n".join(
            [
                json.dumps(good),
                "{not json",
                json.dumps({"label": "ab", "strokes": SEVEN}),
                json.dumps({"label": "1"}),
                json.dumps(good),
            ]
        )
        + "\n"
    )
    errors: list[str] = []
    items = list(read_jsonl(str(path), errors))
    assert [i.label for i in items] == ["7", "7"]
    assert [e.split(":")[0] for e in errors] == ["line 2", "line 3", "line 4"]
    with pytest.raises(InkFormatError, match="line 2"):
        list(read_jsonl(str(path)))


@pytest.mark.parametrize(
    "strokes, error, says",
    [
        ([], EmptyInkError, "nothing was drawn"),
        ([[]], EmptyInkError, "nothing was drawn"),
        ([[[5, 5]]], InkError, "single dot"),
        ([[[5, 5], [5, 5], [5, 5]]], InkError, "single dot"),
        ([[[0, 0], [float("nan"), 1]]], InkError, "not numbers"),
        ([[[0, 0], [float("inf"), 1]]], InkError, "not numbers"),
        ([[[0, 0], [1e300, 1e300]]], InkError, "beyond"),
        ([[[0, 0, 0, 0]]], InkFormatError, r"\[x, y\] or \[x, y, t\]"),
        ([["a", "b"]], InkFormatError, r"lists of \[x, y\] points"),
    ],
)
def test_bad_inks_give_a_clear_typed_error(strokes, error, says):
    """Each refusal is typed and says what is wrong with this ink, in words a person acts on."""
    with pytest.raises(error, match=says):
        featurize(Ink.from_strokes(strokes))


def test_a_million_points_are_handled_quickly():
    t = np.linspace(0, 2 * np.pi, 1_000_000)
    ink = Ink.from_strokes([np.column_stack([np.cos(t), np.sin(t)])])
    start = time.perf_counter()
    x = featurize(ink)
    assert x.shape == (50, 7) and np.isfinite(x).all()
    assert time.perf_counter() - start < 30, "no hang (a generous bound, not a benchmark)"


coords = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
point = st.tuples(coords, coords)
inks = st.lists(st.lists(point, min_size=0, max_size=30), min_size=0, max_size=5)


@settings(max_examples=200, deadline=None)
@given(inks)
def test_any_ink_gives_finite_features_or_a_typed_error(strokes):
    try:
        x = featurize(Ink.from_strokes(strokes))
    except InkError:
        return
    assert x.shape == (50, 7)
    assert np.isfinite(x).all()
    assert (x[:, 0] >= -1e-6).all() and (x[:, 0] <= 1 + 1e-6).all()


@pytest.mark.parametrize("bad", [np.nan, np.inf, 1e300])
def test_an_ink_built_past_the_checks_with_bad_coordinates_is_refused_not_turned_into_nan(bad):
    stroke = np.array([[0.0, 0.0, np.nan], [10.0, 20.0, np.nan], [bad, 5.0, np.nan]])
    with pytest.raises(InkError):
        featurize(Ink((stroke,)))
