"""Air writing, checked on generated landmark sequences (and once on the real MediaPipe model).

The recording in tests/data/air_recording.json is made by `make_recording` below:
    python tests/test_hand_tracking.py
"""

from __future__ import annotations

import queue
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import required
from hypothesis import given, settings
from hypothesis import strategies as st

from airtype_core.air.gestures import INDEX_TIP, PenGesture
from airtype_core.air.hand_tracking import (
    STATUS_NO_HAND,
    STATUS_WRITING,
    AirConfig,
    AirWriter,
    HandFrame,
    OneEuroFilter,
    replay,
)
from airtype_core.air.recording import frames_from_json, frames_to_json
from airtype_core.air.synthetic_hands import (
    DEMO_STROKES,
    OPEN,
    PINCH_GAP,
    synthetic_hand,
    synthetic_writing,
)

W, H = 640, 480
FPS = 30.0
RECORDING = Path(__file__).parent / "data" / "air_recording.json"


def circle(radius_px: float = 72, center=(0.5, 0.5), n: int = 60) -> list[list[tuple[float, float]]]:
    angles = np.linspace(0, 2 * np.pi, n)
    xs = center[0] + radius_px * np.cos(angles) / W
    ys = center[1] + radius_px * np.sin(angles) / H
    return [list(zip(xs, ys))]


def run(frames, config=None):
    """Feed frames one by one; returns the writer and the events in order."""
    writer = AirWriter(config, (W, H))
    events = [e for f in frames if (e := writer.update(f)) is not None]
    return writer, events


def roughness(xy: np.ndarray) -> float:
    """RMS second difference: the frame-to-frame wobble a viewer sees as jitter."""
    return float(np.sqrt(np.mean(np.sum(np.diff(xy, 2, axis=0) ** 2, axis=1))))


# --- strokes and shape -------------------------------------------------------------------


def test_circle_written_with_pinch_gives_one_circular_ink():
    _, events = run(synthetic_writing(circle(), jitter_px=1.0, seed=3))

    assert len(events) == 1 and events[0].ink is not None
    (stroke,) = events[0].ink.strokes  # (N, 3) x, y, t
    xy = stroke[:, :2] - stroke[:, :2].mean(axis=0)
    radius = np.hypot(xy[:, 0], xy[:, 1])
    xy /= radius.mean()  # normalized: centred, unit mean radius
    assert np.abs(np.hypot(xy[:, 0], xy[:, 1]) - 1).max() < 0.12  # every point near the unit circle
    turned = np.unwrap(np.arctan2(xy[:, 1], xy[:, 0]))
    assert abs(turned[-1] - turned[0]) > 1.8 * np.pi  # and it goes all the way round
    assert abs(radius.mean() - 72) < 4  # in pixels of the frame
    assert np.all(np.diff(stroke[:, 2]) > 0)  # with the frame times


def test_stroke_starts_where_the_pinch_closed():
    _, events = run(synthetic_writing(DEMO_STROKES["L"]))
    (stroke,) = events[0].ink.strokes
    start = np.array(DEMO_STROKES["L"][0][0]) * (W, H)
    end = np.array(DEMO_STROKES["L"][0][-1]) * (W, H)
    assert np.linalg.norm(stroke[0, :2] - start) < 3
    assert np.linalg.norm(stroke[-1, :2] - end) < 8  # the filter lags a little behind a moving finger


def test_jitter_is_removed_by_smoothing():
    noisy = synthetic_writing(circle(), jitter_px=3.0, speed=0.3, seed=1)
    clean = synthetic_writing(circle(), jitter_px=0.0, speed=0.3, seed=1)
    truth = {round(f.t, 4): f.landmarks[INDEX_TIP, :2] * (W, H) for f in clean}
    seen = {round(f.t, 4): f.landmarks[INDEX_TIP, :2] * (W, H) for f in noisy}
    smoothed = {round(p[2], 4): p[:2] for p in replay(noisy)[0].strokes[0]}
    smoothed_clean = {round(p[2], 4): p[:2] for p in replay(clean)[0].strokes[0]}
    times = [t for t in smoothed if t in smoothed_clean]  # the same frames in both runs

    noise_in = np.array([seen[t] - truth[t] for t in times])  # (N, 2) px
    noise_out = np.array([smoothed[t] - smoothed_clean[t] for t in times])
    assert len(times) > 40
    assert roughness(noise_out) < 0.45 * roughness(noise_in)
    assert np.std(noise_out) < 0.7 * np.std(noise_in)


def test_one_euro_filter_smooths_rest_and_follows_fast_moves():
    rng = np.random.default_rng(0)
    times = np.arange(90) / FPS
    still = OneEuroFilter(min_cutoff=1.0, beta=0.02)
    out = np.array([still(t, [100 + rng.normal(0, 2), 50 + rng.normal(0, 2)]) for t in times])
    assert out[30:].std(axis=0).max() < 0.5 * 2  # jitter at rest mostly gone

    fast, slow = OneEuroFilter(1.0, beta=0.05), OneEuroFilter(1.0, beta=0.0)
    ramp = 600 * times  # 600 px/s along x
    lag_fast = ramp[-1] - [fast(t, [x]) for t, x in zip(times, ramp)][-1][0]
    lag_slow = ramp[-1] - [slow(t, [x]) for t, x in zip(times, ramp)][-1][0]
    assert lag_fast < 0.25 * lag_slow  # beta: the faster the finger, the less lag


def test_config_reads_the_settings(monkeypatch):
    from airtype_core.settings import get_settings

    monkeypatch.setenv("AIRTYPE_AIR_PAUSE_S", "1.5")
    monkeypatch.setenv("AIRTYPE_ONE_EURO_BETA", "0.05")
    config = AirConfig.from_settings(get_settings())
    assert (config.pause_s, config.beta, config.pinch_down) == (1.5, 0.05, AirConfig.pinch_down)


# --- ending a character ------------------------------------------------------------------


def test_pause_ends_the_character():
    config = AirConfig(pause_s=0.8)
    writer, events = run(synthetic_writing(DEMO_STROKES["T"], lift_s=0.4, tail_s=1.5), config)

    assert len(events) == 1 and events[0].ended_by == "pause"
    ink = events[0].ink
    assert len(ink.strokes) == 2  # the 0.4 s lift between the bars did not end it
    waited = events[0].t - ink.strokes[-1][-1, 2]
    assert 0.8 <= waited <= 0.8 + 4 / FPS
    assert writer.trail == ()  # the trail is cleared for the next character


def test_open_hand_ends_the_character_at_once():
    config = AirConfig(pause_s=3.0)  # so the pause cannot be what ended it
    _, events = run(synthetic_writing(DEMO_STROKES["L"], end="open", tail_s=1.0), config)

    assert [e.ended_by for e in events] == ["open hand"]
    assert events[0].ink is not None
    assert events[0].t - events[0].ink.strokes[-1][-1, 2] < 0.3


def test_open_hand_mid_stroke_drops_the_opening_frames():
    frames = [HandFrame(k / FPS, _hand_at((200 + 5 * k, 240), PINCH_GAP)) for k in range(20)]
    frames += [HandFrame((20 + k) / FPS, _hand_at((300, 240), OPEN)) for k in range(5)]
    _, events = run(frames)

    assert events[0].ended_by == "open hand"
    assert events[0].ink.strokes[-1][:, 0].max() < 300  # the jump to the open pose is not ink


def test_lost_hand_lifts_the_pen_at_once():
    line = [[(0.2, 0.5), (0.8, 0.5)]]
    frames = synthetic_writing(line, speed=0.3, lost=[(0.8, 1.0)])
    writer = AirWriter(None, (W, H))
    events, lost_seen = [], 0
    for frame in frames:
        if (event := writer.update(frame)) is not None:
            events.append(event)
        if frame.landmarks is None:
            lost_seen += 1
            assert not writer.pen_down and writer.status == STATUS_NO_HAND and writer.cursor is None

    assert lost_seen >= 5
    assert len(events) == 1  # a short loss splits the stroke but not the character
    assert len(events[0].ink.strokes) == 2


def test_hand_lost_past_the_pause_ends_the_character():
    _, events = run(synthetic_writing(DEMO_STROKES["7"], end="lost", tail_s=1.5), AirConfig(pause_s=0.8))
    assert [e.ended_by for e in events] == ["hand lost"]
    assert events[0].ink is not None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(0.0, 1.2), st.just(-1.0)), min_size=1, max_size=60), st.integers(0, 9))
def test_pen_is_never_down_without_a_hand(script, seed):
    """Any mix of pinches, hovers, open hands (-1) and lost frames (None)."""
    rng = np.random.default_rng(seed)
    writer = AirWriter(AirConfig(debounce_frames=1), (W, H))
    for k, gap in enumerate(script):
        tip = (rng.uniform(100, 540), rng.uniform(100, 380))
        landmarks = None if gap is None else _hand_at(tip, OPEN if gap < 0 else gap)
        event = writer.update(HandFrame(k / FPS, landmarks))
        if landmarks is None:
            assert not writer.pen_down
        if event is not None and event.ink is not None:
            assert event.ink.num_points >= writer.config.min_points


# --- what is not a character ---------------------------------------------------------------


def test_short_blips_are_discarded_with_a_reason():
    tiny = circle(radius_px=3)
    _, events = run(synthetic_writing(tiny, speed=0.02))
    assert len(events) == 1 and events[0].ink is None and "too small" in events[0].discarded

    dab = [[(0.5, 0.5), (0.505, 0.5)]]  # pinch and release at once: a few points
    _, events = run(synthetic_writing(dab))
    assert len(events) == 1 and events[0].ink is None and "too little ink" in events[0].discarded

    assert replay(synthetic_writing(tiny, speed=0.02) + synthetic_writing(dab, t0=100)) == []


def test_one_frame_pinch_does_not_put_the_pen_down():
    writer, events = run(synthetic_writing([[(0.5, 0.5)]], pinch_s=1 / FPS))
    assert events == [] and writer.trail == ()


def test_hysteresis_prevents_flicker_at_the_threshold():
    rng = np.random.default_rng(0)
    ratios = np.concatenate([[0.1] * 5, rng.uniform(0.25, 0.44, 200)])  # pinched, then hovering near pinch_down

    def changes(gesture: PenGesture) -> int:
        return sum(gesture.update(r) for r in ratios)

    assert changes(PenGesture(down_below=0.30, up_above=0.45, frames=2)) == 1  # down once, and it stays down
    assert changes(PenGesture(down_below=0.30, up_above=0.3001, frames=1)) > 20  # one threshold: flicker


def test_debounce_ignores_single_frame_spikes():
    gesture = PenGesture(down_below=0.30, up_above=0.45, frames=2)
    spikes = [0.1, 0.9] * 20 + [0.1, 0.1] + [0.9, 0.1] * 20  # down once after two frames in a row, then spikes
    assert sum(gesture.update(r) for r in spikes) == 1 and gesture.down


def test_pen_changes_are_dated_from_the_first_frame_of_the_gesture():
    gaps = [0.9] * 10 + [PINCH_GAP] * 20 + [0.9] * 40  # pinched on frames 10..29 while moving
    frames = [HandFrame(k / FPS, _hand_at((150 + 6 * k, 240), gap)) for k, gap in enumerate(gaps)]
    _, events = run(frames, AirConfig(debounce_frames=3))
    (stroke,) = events[0].ink.strokes
    assert len(stroke) == 20
    assert stroke[0, 2] == pytest.approx(10 / FPS) and stroke[-1, 2] == pytest.approx(29 / FPS)


def test_wavering_pinch_writes_one_stroke():
    rng = np.random.default_rng(1)
    gaps = np.concatenate([[PINCH_GAP] * 5, rng.uniform(0.2, 0.42, 40), [0.9] * 40])
    frames = [HandFrame(k / FPS, _hand_at((200 + 4 * k, 240), gap)) for k, gap in enumerate(gaps)]
    _, events = run(frames)
    assert len(events) == 1 and len(events[0].ink.strokes) == 1


# --- recordings --------------------------------------------------------------------------


def make_recording() -> list[HandFrame]:
    """An "L", a blip, and a "7" during which the hand is lost briefly, then for good; 12 fps."""
    fps = 12
    a = synthetic_writing(DEMO_STROKES["L"], fps=fps, jitter_px=1.5, seed=1, tail_s=1.0)
    b = synthetic_writing([[(0.5, 0.5), (0.505, 0.5)]], fps=fps, t0=a[-1].t + 1 / fps, lead_s=0.2, tail_s=1.0)
    c = synthetic_writing(
        DEMO_STROKES["7"], fps=fps, t0=b[-1].t + 1 / fps, jitter_px=1.5, lost=[(0.6, 0.75)], end="lost", seed=3
    )
    return a + b + c


def test_replay_of_a_recorded_sequence_yields_its_characters():
    frames, size = frames_from_json(RECORDING.read_text())
    inks = replay(frames, frame_size=size)

    assert len(frames) > 50 and size == (W, H)
    assert len(inks) == 2  # "L" and "7"; the blip is discarded
    assert [len(ink.strokes) for ink in inks] == [1, 2]  # the 7 was split where the hand was lost
    x0, y0, x1, y1 = inks[0].bounds()
    assert abs((x1 - x0) - 0.22 * W) < 15 and abs((y1 - y0) - 0.40 * H) < 15  # the L's box


def test_recording_survives_a_json_round_trip():
    frames = make_recording()
    again, size = frames_from_json(frames_to_json(frames, (W, H)))
    assert size == (W, H) and len(again) == len(frames)
    assert [f.landmarks is None for f in again] == [f.landmarks is None for f in frames]
    assert len(replay(again)) == len(replay(frames)) == 2


def test_hand_tracking_needs_no_camera_libraries():
    code = "import sys, airtype_core.air.hand_tracking; print(sorted({'cv2', 'mediapipe', 'streamlit'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert out.stdout.strip() == "[]", out.stderr


# --- MediaPipe and the frame callback ------------------------------------------------------


class ScriptedDetector:
    """Stands in for MediaPipe: returns the landmarks of a prepared sequence, one per call."""

    def __init__(self, frames: list[HandFrame]) -> None:
        self._landmarks = iter([f.landmarks for f in frames])

    def detect(self, rgb_frame: np.ndarray) -> np.ndarray | None:
        assert rgb_frame.shape == (H, W, 3)
        return next(self._landmarks)


def test_frame_processor_queues_finished_inks_without_blocking():
    required.module("cv2", "pip install opencv-contrib-python (requirements.txt)")
    from airtype_core.air.camera import TRAIL_COLOR, FrameProcessor

    frames = synthetic_writing(DEMO_STROKES["L"]) + synthetic_writing(DEMO_STROKES["T"], t0=10.0)
    inks: queue.Queue = queue.Queue(maxsize=1)  # nobody takes from it
    processor = FrameProcessor(ScriptedDetector(frames), inks=inks)
    blank = np.zeros((H, W, 3), np.uint8)
    drawn_while_writing = 0
    for frame in frames:
        out = processor.process(blank, frame.t)
        assert out.shape == (H, W, 3) and out.dtype == np.uint8
        if processor.view().status == STATUS_WRITING:
            drawn_while_writing = max(drawn_while_writing, int((out == TRAIL_COLOR).all(axis=2).sum()))

    assert drawn_while_writing > 400  # the trail, not just the fingertip dot
    assert inks.qsize() == 1
    newest = inks.get_nowait()
    assert len(newest.ink.strokes) == 2  # the "T": the full queue dropped the older "L"
    assert processor.view().last_event is newest
    assert blank.max() == 0  # the caller's frame is not drawn on


def _mediapipe():
    try:
        import mediapipe

        return mediapipe.solutions.hands
    except (ImportError, AttributeError):
        required.missing("mediapipe==0.10.21 is not installed")


def test_real_mediapipe_detector_and_frame_processor_on_real_frames():
    _mediapipe()
    from airtype_core.air.camera import FrameProcessor, HandDetector

    rng = np.random.default_rng(0)
    blank = np.zeros((H, W, 3), np.uint8)
    noise = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    with HandDetector() as detector:
        assert detector.detect(blank) is None
        found = detector.detect(noise)
        assert found is None or found.shape == (21, 3)
        processor = FrameProcessor(detector)
        for k in range(3):
            out = processor.process(blank, k / FPS)
            assert out.shape == (H, W, 3)
        assert processor.view().status == STATUS_NO_HAND
        assert processor.inks.empty()


# --- helpers -----------------------------------------------------------------------------


def _hand_at(tip_px: tuple[float, float], gap: float | None) -> np.ndarray:
    """(21, 3) normalized landmarks of the synthetic hand with its index tip at `tip_px`."""
    points = synthetic_hand(gap) * 0.15 * H
    points[:, :2] += tip_px
    return points / (W, H, W)


if __name__ == "__main__":
    RECORDING.parent.mkdir(exist_ok=True)
    RECORDING.write_text(frames_to_json(make_recording(), (W, H), decimals=3))
    print(f"wrote {RECORDING} ({RECORDING.stat().st_size} bytes)")
