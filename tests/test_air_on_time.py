"""Air writing with hands as hard as real ones: the pen goes down when the pinch closes, and a
loose pinch that flickers open for a moment does not break the stroke.

Real hands seen by MediaPipe change pose at once as a pinch closes (the index tip
leaves its own last joint, the other fingers move too), and a loose pinch's gap
hovers near the thresholds, now and then seen wide open for a frame or three.
"""

from __future__ import annotations

import numpy as np
import pytest

from airtype_core.air.gestures import INDEX_TIP, PenGesture
from airtype_core.air.hand_tracking import AirWriter, HandFrame, replay
from airtype_core.air.synthetic_hands import (
    DEMO_STROKES,
    PINCH_GAP,
    synthetic_hand,
    synthetic_writing,
)

W, H = 640, 480
FPS = 30.0
HARD = {"pose_jump": 0.6, "pinch_s": 1 / FPS, "jitter_px": 2.0}  # the pose changes from one frame to the next
LOOSE = {"loose_gap": 0.24, "flickers": 0.12, "jitter_px": 2.0}


def starts(char: str, **hand) -> list[float]:
    """Pixels from each written stroke's first point to the intended start of that stroke."""
    [ink] = replay(synthetic_writing(DEMO_STROKES[char], **hand))
    intended = [np.asarray(p[0]) * (W, H) for p in DEMO_STROKES[char]]
    assert len(ink.strokes) == len(intended)
    return [float(np.linalg.norm(s[0, :2] - p)) for s, p in zip(ink.strokes, intended)]


@pytest.mark.parametrize("char", ["L", "7", "T"])
@pytest.mark.parametrize("seed", [0, 1])
def test_the_stroke_starts_where_the_pinch_closed_when_the_pose_changes_at_once(char, seed):
    assert max(starts(char, seed=seed, **HARD)) < 10


def test_the_stroke_starts_on_time_with_a_slower_pinch_and_a_small_hand():
    assert max(starts("T", pose_jump=0.5, pinch_s=2 / FPS, palm=0.1, jitter_px=1.5)) < 10


@pytest.mark.parametrize("char", ["7", "T"])
@pytest.mark.parametrize("seed", range(4))
def test_a_loose_flickering_pinch_keeps_every_stroke_whole(char, seed):
    [ink] = replay(synthetic_writing(DEMO_STROKES[char], seed=seed, **LOOSE))
    paths = [np.asarray(p) * (W, H) for p in DEMO_STROKES[char]]
    assert len(ink.strokes) == len(paths)
    for stroke, path in zip(ink.strokes, paths):
        assert np.linalg.norm(stroke[-1, :2] - path[-1]) < 15  # the end of the stroke is not lost


def test_a_pinch_closing_at_the_threshold_goes_down_despite_one_frame_seen_above_it():
    gesture = PenGesture(down_below=0.30, up_above=0.45, frames=2, lift_hold_s=0.1)
    downs = [gesture.update(r, k / FPS) for k, r in enumerate([1.2, 0.27, 0.33, 0.26, 0.31, 0.25])]
    assert downs.index(True) == 3  # two of the last three frames below 0.30: down, not waiting for two in a row
    assert not PenGesture(0.30, 0.45, 2).update(0.2)  # and one frame alone is still no pinch


def _pinched_line(up_frames: int) -> list[HandFrame]:
    """A firm pinch moving right, seen wide open for `up_frames` frames in the middle of the line."""
    frames = []
    for k in range(40):
        gap = 0.8 if 20 <= k < 20 + up_frames else PINCH_GAP
        hand = synthetic_hand(gap) * 0.15 * H / np.array([W, H, W])
        frames.append(HandFrame(k / FPS, hand + (0.25 + 0.01 * k, 0.5, 0.0)))
    return frames


def test_an_up_flicker_shorter_than_100_ms_does_not_lift_the_pen():
    for up_frames in (1, 2, 3):  # 3 frames: from the first to the next pinched one is 100 ms
        [ink] = replay(_pinched_line(up_frames))
        assert len(ink.strokes) == 1, up_frames


def test_a_release_longer_than_the_hold_lifts_the_pen():
    [ink] = replay(_pinched_line(6))
    assert len(ink.strokes) == 2


@pytest.mark.parametrize("count", [1, 3])
def test_a_glitch_mid_stroke_of_a_hard_hand_neither_lifts_the_pen_nor_draws_a_spike(count):
    frames = synthetic_writing(DEMO_STROKES["7"], pose="ok", **HARD)
    writer, down = AirWriter(None, (W, H)), []
    for k, frame in enumerate(frames):
        writer.update(frame)
        down += [k] if writer.pen_down else []
    middle = down[len(down) // 2]
    for k in range(middle, middle + count):
        landmarks = frames[k].landmarks.copy()
        landmarks[INDEX_TIP] = landmarks[12]  # on the middle fingertip
        frames[k] = HandFrame(frames[k].t, landmarks)
    [ink] = replay(frames)
    [stroke] = ink.strokes
    path = np.asarray(DEMO_STROKES["7"][0]) * (W, H)
    a, b = path[:-1], path[1:]
    for point in stroke[:, :2]:
        s = np.clip(np.sum((point - a) * (b - a), axis=1) / np.sum((b - a) ** 2, axis=1), 0, 1)
        assert np.min(np.linalg.norm(point - (a + s[:, None] * (b - a)), axis=1)) < 10
