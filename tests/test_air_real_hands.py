"""Air writing on generated hands that behave like real ones.

Real hands, seen by MediaPipe, do three things the still synthetic hand never did:
the index tip jumps toward the thumb as a pinch closes (and away as it opens);
landmark 8 lands on another finger for a few frames; and people release a pinch
with a C-shaped hand. Each test below writes with such a hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from airtype_core.air.gestures import INDEX_TIP, is_open_hand, to_pixels
from airtype_core.air.hand_tracking import AirConfig, AirWriter, HandFrame, replay
from airtype_core.air.synthetic_hands import (
    DEMO_STROKES,
    HOVER_GAP,
    TIP_SHIFT,
    synthetic_hand,
    synthetic_writing,
)

W, H = 640, 480


def run(frames, config=None):
    writer = AirWriter(config, (W, H))
    return [e for f in frames if (e := writer.update(f)) is not None]


def distance_to_path(points: np.ndarray, path: np.ndarray) -> np.ndarray:
    """Pixels from each (N, 2) point to the polyline `path` (M, 2)."""
    best = np.full(len(points), np.inf)
    for a, b in zip(path[:-1], path[1:]):
        ab = b - a
        s = np.clip(((points - a) @ ab) / max(ab @ ab, 1e-12), 0.0, 1.0)
        best = np.minimum(best, np.linalg.norm(points - (a + s[:, None] * ab), axis=1))
    return best


def stroke_ends_off_path(char: str, **kwargs) -> list[float]:
    """For each stroke written of `char`: the farthest of its first and last 4 points from the intended stroke."""
    [ink] = replay(synthetic_writing(DEMO_STROKES[char], **kwargs))
    paths = [np.asarray(p) * (W, H) for p in DEMO_STROKES[char]]
    assert len(ink.strokes) == len(paths)
    return [
        float(distance_to_path(np.concatenate([s[:4, :2], s[-4:, :2]]), path).max())
        for s, path in zip(ink.strokes, paths)
    ]


def glitch(frames: list[HandFrame], start: int, count: int, finger: int = 12) -> list[HandFrame]:
    """MediaPipe's mistake: landmark 8 on another fingertip (12 middle, 16 ring) for `count` frames."""
    out = list(frames)
    for k in range(start, start + count):
        landmarks = out[k].landmarks.copy()
        landmarks[INDEX_TIP] = landmarks[finger]
        out[k] = HandFrame(out[k].t, landmarks)
    return out


def writing_frames(frames: list[HandFrame]) -> list[int]:
    """Indices of the frames in which the generated hand is pinched (the pen should be down)."""
    writer = AirWriter(None, (W, H))
    down = []
    for k, frame in enumerate(frames):
        writer.update(frame)
        if writer.pen_down:
            down.append(k)
    return down


# --- 1. a stroke starts and ends where the fingertip wrote, not where it was ---------------


@pytest.mark.parametrize("char", ["L", "7", "T"])
@pytest.mark.parametrize("shift", [0.45, 0.6])  # 32 and 43 px: the real tails were 27-43 px
def test_no_hook_where_the_pinch_closes_or_opens(char, shift):
    assert max(stroke_ends_off_path(char, tip_shift=shift)) < 4


def test_no_hook_with_a_slow_pinch_or_a_big_hand():
    assert max(stroke_ends_off_path("T", tip_shift=0.5, pinch_s=0.2)) < 6  # the tip still moving past the threshold
    assert max(stroke_ends_off_path("L", tip_shift=0.5, palm=0.3)) < 4


def test_stroke_starts_on_the_first_pinched_frame_at_the_fingertip():
    frames = synthetic_writing(DEMO_STROKES["L"], tip_shift=0.6, jitter_px=1.0, seed=2)
    [ink] = replay(frames)
    start = np.asarray(DEMO_STROKES["L"][0][0]) * (W, H)
    assert np.linalg.norm(ink.strokes[0][0, :2] - start) < 5


# --- 2. a misplaced landmark does not cut a character ---------------------------------------


@pytest.mark.parametrize("count", [1, 2, 3, 4])
@pytest.mark.parametrize("finger", [12, 16])
def test_a_fingertip_on_the_wrong_finger_neither_lifts_the_pen_nor_ends_the_character(count, finger):
    frames = synthetic_writing(DEMO_STROKES["7"], pose="ok")  # a loose "OK" pinch, three fingers out
    down = writing_frames(frames)
    frames = glitch(frames, down[len(down) // 2], count, finger)

    [event] = run(frames)
    assert event.ended_by == "pause"
    [stroke] = event.ink.strokes  # not split, and none of the wrong finger in it
    assert distance_to_path(stroke[:, :2], np.asarray(DEMO_STROKES["7"][0]) * (W, H)).max() < 8


def test_an_open_hand_still_ends_the_character_at_once():
    frames = synthetic_writing(DEMO_STROKES["L"], pose="ok", end="open", tail_s=1.0)
    [event] = run(frames, AirConfig(pause_s=3.0))
    assert event.ended_by == "open hand" and event.ink is not None
    assert event.t - event.ink.strokes[-1][-1, 2] < 0.3


def test_a_pause_still_ends_the_character_in_time_when_glitches_come_during_it():
    frames = synthetic_writing(DEMO_STROKES["L"], pose="ok", tail_s=1.5)
    last_pinched = writing_frames(frames)[-1]
    frames = glitch(frames, last_pinched + 8, 3)
    [event] = run(frames, AirConfig(pause_s=0.8))
    assert event.ended_by == "pause"
    assert 0.8 <= event.t - event.ink.strokes[-1][-1, 2] <= 0.8 + 4 / 30


@pytest.mark.parametrize("seed", range(4))
def test_glitches_on_two_percent_of_frames_cut_no_character(seed):
    for k, char in enumerate("L7T"):
        frames = synthetic_writing(DEMO_STROKES[char], pose="ok", glitches=0.02, jitter_px=1.0, seed=10 * seed + k)
        events = run(frames)
        assert [e.ended_by for e in events] == ["pause"], (char, seed)
        assert len(events[0].ink.strokes) == len(DEMO_STROKES[char])


# --- 3. a C-shaped hand between strokes is not an open hand ---------------------------------


def test_a_c_shaped_hand_is_not_an_open_hand_but_an_open_hand_is():
    c_hand = to_pixels(synthetic_hand(HOVER_GAP, pose="c", shift=TIP_SHIFT) * 0.15 * H / (W, H, W) + 0.5, (W, H))
    open_hand = to_pixels(synthetic_hand(None) * 0.15 * H / (W, H, W) + 0.5, (W, H))
    assert not is_open_hand(c_hand, pinch_up=0.45)
    assert is_open_hand(open_hand, pinch_up=0.45)


@pytest.mark.parametrize("lift_s", [0.25, 0.6])
def test_releasing_the_pen_with_a_c_shaped_hand_never_ends_a_multi_stroke_character(lift_s):
    frames = synthetic_writing(DEMO_STROKES["T"], release="c", lift_s=lift_s)
    [event] = run(frames, AirConfig(pause_s=1.0))
    assert event.ended_by == "pause" and len(event.ink.strokes) == 2


# --- hands of any size and distance ------------------------------------------------------


@pytest.mark.parametrize("palm", [0.08, 0.15, 0.3])  # far away or small, arm's length, close or big
def test_the_same_character_from_hands_of_every_size(palm):
    [ink] = replay(synthetic_writing(DEMO_STROKES["T"], palm=palm, jitter_px=1.0, seed=4))
    x0, y0, x1, y1 = ink.bounds()
    assert len(ink.strokes) == 2
    assert abs((x1 - x0) - 0.28 * W) < 12 and abs((y1 - y0) - 0.42 * H) < 12
