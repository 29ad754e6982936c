"""How fast is the air-writing frame callback, and how soon is a finished ink ready?

What is measured, at 640x480:
- per frame, `FrameProcessor.process`: mirror, BGR->RGB, MediaPipe Hands (the real
  model), the `AirWriter` update and the cv2 overlay;
- of that, MediaPipe alone;
- per character, the wall time from the start of the frame that ends it (pause
  elapsed or open hand) to a consumer thread holding its ink from the queue.

The frames are generated: a moving colour gradient with a bright disc and
sensor-like noise, different every frame. They hold no hand, so MediaPipe runs
its palm detector on every frame (with a real hand it runs the landmark model on
the tracked region instead; both are small models of similar cost). So that the
tracker and the overlay do their full work all the same, the detector's answer is
replaced by the landmarks of `demo_frames()` (a hand writing "L", "7", "T").
"""

from __future__ import annotations

import os
import queue
import threading
import time
from itertools import count

import numpy as np

from ..air.hand_tracking import AirConfig, HandFrame
from ..air.synthetic_hands import demo_frames

WIDTH, HEIGHT = 640, 480
WARMUP_FRAMES = 5  # the first MediaPipe calls build the graph; they are not counted
DISTINCT_FRAMES = 24  # generated once and cycled: 200 full frames would be 180 MB


def background_scene(k: int, rng: np.random.Generator) -> np.ndarray:
    """One (480, 640, 3) uint8 BGR frame: moving gradient, a moving disc, noise."""
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    phase = k * 0.2
    frame = np.stack(
        [
            127 + 100 * np.sin(xx / 90 + phase),
            127 + 100 * np.sin(yy / 70 - phase),
            127 + 100 * np.sin((xx + yy) / 120 + 2 * phase),
        ],
        axis=-1,
    )
    cx, cy = WIDTH / 2 + 180 * np.cos(phase), HEIGHT / 2 + 120 * np.sin(phase)
    frame[(xx - cx) ** 2 + (yy - cy) ** 2 < 50**2] = 240
    frame += rng.normal(0, 8, frame.shape)
    return np.clip(frame, 0, 255).astype(np.uint8)


def _script():
    """Endless writing: the demo sequence again and again, time running on."""
    demo = demo_frames()
    period = demo[-1].t + 1 / 30
    for lap in count():
        for frame in demo:
            yield HandFrame(frame.t + lap * period, frame.landmarks)


class _TimedDetector:
    """Runs the real detector on the frame (its time is the point) and answers with scripted landmarks."""

    def __init__(self, detector) -> None:
        self.detector = detector
        self.seconds: list[float] = []
        self.hands_found = 0
        self.landmarks: np.ndarray | None = None

    def detect(self, rgb_frame: np.ndarray) -> np.ndarray | None:
        start = time.perf_counter()
        found = self.detector.detect(rgb_frame)
        self.seconds.append(time.perf_counter() - start)
        self.hands_found += found is not None
        return self.landmarks


def _ms(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values) * 1000, q)), 2)


def run_air_benchmark(frames: int = 200) -> dict:
    """Process `frames` generated 640x480 frames through MediaPipe + tracking + overlay; returns the figures."""
    from ..air.camera import (  # cv2 and MediaPipe only when benchmarking
        FrameProcessor,
        HandDetector,
    )

    rng = np.random.default_rng(0)
    scenes = [background_scene(k, rng) for k in range(DISTINCT_FRAMES)]
    config = AirConfig()
    script = _script()
    inks: queue.Queue = queue.Queue()
    received: list[tuple[float, float]] = []  # (character end frame time, wall time it was taken)

    def consume() -> None:
        while (event := inks.get()) is not None:
            received.append((event.t, time.perf_counter()))

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    with HandDetector() as real:
        detector = _TimedDetector(real)
        processor = FrameProcessor(detector, config, inks=inks)
        started: dict[float, float] = {}  # frame time -> wall time its processing began
        totals: list[float] = []
        for k in range(WARMUP_FRAMES + frames):
            frame = next(script)
            detector.landmarks = frame.landmarks
            start = started[frame.t] = time.perf_counter()
            processor.process(scenes[k % DISTINCT_FRAMES], frame.t)
            totals.append(time.perf_counter() - start)
    inks.put(None)
    consumer.join(timeout=5)

    totals, detect = totals[WARMUP_FRAMES:], detector.seconds[WARMUP_FRAMES:]
    latencies = [taken - started[t] for t, taken in received]
    return {
        "frames": frames,
        "resolution": f"{WIDTH}x{HEIGHT}",
        "input": "generated frames (moving gradient + disc + noise, no hand); landmarks scripted from demo_frames()",
        "cpu_count": os.cpu_count(),
        "frame_ms_p50": _ms(totals, 50),
        "frame_ms_p95": _ms(totals, 95),
        "fps_at_p50": round(1000 / _ms(totals, 50), 1),
        "fps_mean": round(len(totals) / sum(totals), 1),
        "mediapipe_ms_p50": _ms(detect, 50),
        "mediapipe_ms_p95": _ms(detect, 95),
        "tracking_overlay_ms_p50": _ms([a - b for a, b in zip(totals, detect)], 50),
        "hands_found_by_mediapipe": detector.hands_found,
        "characters": len(latencies),
        "ink_latency_ms_max": round(max(latencies) * 1000, 2) if latencies else None,
        "ink_latency_ms_mean": round(float(np.mean(latencies)) * 1000, 2) if latencies else None,
        "pause_s": config.pause_s,  # by design a character ends this long after the pen last lifted
    }
