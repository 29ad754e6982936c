"""How well the tracker follows hands that move like real ones .

Generated hands, every one different: palm 0.10-0.25 of the frame height (small or
far, big or near), the index tip jumping 0.3-0.6 palms as the pinch closes and
opens, a pose change that moves the index tip 0.3-0.8 palms from its own joint and
the other fingertips half as far, in one to three frames, a fist or an "OK" pinch,
half of them loose (the gap hovering at 0.18-0.27 palms, under the 0.30 threshold,
and seen wide open for 1-3 frames on 10% of the pinched frames), a hovering or
C-shaped release between strokes, landmark noise of 2% of the palm (1-2.4 px); each character ended
by a pause or an open hand.
With `glitches`, landmark 8 also sits on another fingertip in 3-frame runs.

- first point: pixels from each stroke's first point to the stroke it was meant to
  be (the path the pinched fingertip followed), at 640x480;
- start: pixels from each stroke's first point to where that stroke was meant to
  start (a late pen-down lies on the path, but after its start);
- ended as intended: the character came out as exactly one ink, ended by its gesture;
- strokes kept: ... and with as many strokes as it was written with;
- tracking time per frame: `AirWriter.update` alone (MediaPipe and drawing are the
  per-frame figure of `bench.air`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np

from ..air.hand_tracking import AirConfig, AirWriter
from ..air.synthetic_hands import synthetic_writing

WIDTH, HEIGHT = 640, 480
NOISE_PALMS = 0.02  # landmark noise, per landmark and frame, in palms (wrist to middle knuckle)
Paths = Sequence[Sequence[Sequence[float]]]


def distance_to_path(point: np.ndarray, path: np.ndarray) -> float:
    """Pixels from `point` (2,) to the polyline `path` (M, 2)."""
    if len(path) == 1:
        return float(np.linalg.norm(point - path[0]))
    a, b = path[:-1], path[1:]
    ab = b - a
    s = np.clip(np.sum((point - a) * ab, axis=1) / np.maximum(np.sum(ab * ab, axis=1), 1e-12), 0.0, 1.0)
    return float(np.min(np.linalg.norm(point - (a + s[:, None] * ab), axis=1)))


def _hand(rng: np.random.Generator) -> dict:
    loose, palm = bool(rng.random() < 0.5), float(rng.uniform(0.10, 0.25))
    return {
        "palm": palm,
        "tip_shift": float(rng.uniform(0.3, 0.6)),
        "pose": str(rng.choice(["fist", "ok"])),
        "release": str(rng.choice(["hover", "c"])),
        "roll_deg": float(rng.uniform(-15, 15)),
        "pose_jump": float(rng.uniform(0.3, 0.8)),  # the index tip leaving its joint, other fingers moving too
        "pinch_s": float(rng.choice([1, 2, 3])) / 30,  # a pose changed from one frame to the next, or over three
        "loose_gap": float(rng.uniform(0.18, 0.27)) if loose else 0.0,  # hovering near the 0.30 threshold
        "flickers": 0.1 if loose else 0.0,  # ... and seen wide open for 1-3 frames now and then
        "jitter_px": NOISE_PALMS * palm * HEIGHT,  # landmark noise of MediaPipe on photos: 1-2.4 px at 640x480
    }


def run_quality(glyphs: Mapping[str, Paths], repeats: int = 2, glitches: float = 0.0, seed: int = 0) -> dict:
    """Write every glyph `repeats` times with a different generated hand; returns the figures."""
    rng = np.random.default_rng(seed)
    config = AirConfig()
    first_px: list[float] = []
    start_px: list[float] = []
    as_intended = strokes_kept = total = 0
    update_s: list[float] = []
    misses: list[tuple] = []  # (character, hand, [(ended by, strokes or why discarded)]) of each one that went wrong
    for _ in range(repeats):
        for char, paths in glyphs.items():
            end = "open" if rng.random() < 0.5 else "pause"
            hand = {"end": end, "seed": int(rng.integers(1 << 30)), **_hand(rng)}
            frames = synthetic_writing(paths, glitches=glitches, **hand)
            writer = AirWriter(config, (WIDTH, HEIGHT))
            events = []
            for frame in frames:
                start = time.perf_counter()
                event = writer.update(frame)
                update_s.append(time.perf_counter() - start)
                if event is not None:
                    events.append(event)
            total += 1
            wanted = "open hand" if end == "open" else "pause"
            if len(events) != 1 or events[0].ink is None or events[0].ended_by != wanted:
                misses.append(
                    (char, hand, [(e.ended_by, e.discarded or (len(e.ink.strokes) if e.ink else 0)) for e in events])
                )
                continue
            as_intended += 1
            ink = events[0].ink
            intended = [np.asarray(p, dtype=np.float64).reshape(-1, 2) * (WIDTH, HEIGHT) for p in paths]
            strokes_kept += len(ink.strokes) == len(intended)
            if len(ink.strokes) != len(intended):
                misses.append((char, hand, [(events[0].ended_by, len(ink.strokes))]))
            if len(ink.strokes) == len(intended):
                first_px += [distance_to_path(s[0, :2], p) for s, p in zip(ink.strokes, intended)]
                start_px += [float(np.linalg.norm(s[0, :2] - p[0])) for s, p in zip(ink.strokes, intended)]
    first = np.asarray(first_px) if first_px else np.zeros(1)
    starts = np.asarray(start_px) if start_px else np.zeros(1)
    return {
        "characters": total,
        "glitches": glitches,
        "ended_as_intended": as_intended / total,
        "strokes_kept": strokes_kept / total,
        "first_point_px_median": round(float(np.median(first)), 2),
        "first_point_px_p95": round(float(np.percentile(first, 95)), 2),
        "start_px_median": round(float(np.median(starts)), 2),
        "start_px_p95": round(float(np.percentile(starts, 95)), 2),
        "tracking_ms_p50": round(float(np.percentile(update_s, 50)) * 1000, 3),
        "misses": misses,
    }
