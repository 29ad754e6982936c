"""Synthetic hands: landmark sequences of a hand writing, for tests, benchmarks and the
camera-less demo on the Air writing page.

    synthetic_writing(strokes) -> [HandFrame]   # a hand pinching, moving along `strokes`, releasing
    demo_frames("L7T")         -> [HandFrame]   # the demo's characters, one after the other

The landmarks follow MediaPipe's 21-point layout, so `AirWriter` treats them
exactly as it treats a camera's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .gestures import INDEX_TIP, NUM_LANDMARKS, THUMB_IP, THUMB_TIP
from .hand_tracking import HandFrame

MIDDLE_TIP, RING_TIP = 12, 16

# A right hand, palm to the camera, fingers up, in palm units (wrist to middle MCP = 1):
# MCP index, MCP (x, y), tilt from vertical in degrees (+ toward the pinky), phalanx lengths.
_FINGERS = (
    (5, (-0.32, -0.93), -10.0, (0.42, 0.25, 0.21)),
    (9, (0.00, -1.00), 0.0, (0.47, 0.29, 0.23)),
    (13, (0.25, -0.94), 9.0, (0.43, 0.27, 0.22)),
    (17, (0.45, -0.83), 20.0, (0.33, 0.20, 0.19)),
)
# cumulative joint angles (deg) toward the camera: "c" is the curved hand people make when releasing a pinch
_FLEX = {"straight": (0, 0, 0), "pen": (35, 80, 100), "curled": (80, 180, 240), "c": (25, 55, 85)}
PINCH_GAP, HOVER_GAP = 0.08, 0.9  # thumb-index gap of the synthetic hand, palm units
OPEN = None  # a `gap` of None is an open hand
TIP_SHIFT = 0.45  # how far a real index tip moves away from the thumb as a pinch opens, palm units
_AWAY_FROM_THUMB = np.array([0.6, -0.8])  # the thumb sits down-left of the index tip
_FLEX_SHARE = {8: 1.0, 7: 0.9, 6: 0.7, 5: 0.3}  # the index turns mostly at its knuckle (MCP)
_FINGERS_SWAY = np.array([0.89, 0.45])  # fingertips swaying toward the pinky as the hand opens (bent, not straightened)
LOOSE_FLICKER_GAP = (0.5, 0.85)  # a loose pinch's thumb tip, seen for a frame or three where it is not
POSES = ("fist", "ok")  # the fingers that do not write: curled, or extended (a loose "OK" pinch)
RELEASES = ("hover", "c")  # the hand between strokes: still a writing hand, or a C-shaped one


def synthetic_hand(
    gap: float | None, roll_deg: float = 0.0, *, pose: str = "fist", shift: float = 0.0, jump: float = 0.0
) -> np.ndarray:
    """(21, 3) landmarks in palm units with the pinch point at the origin.

    `gap` is the thumb-index distance of a writing hand (index bent like on a pen,
    the other fingers curled for "fist" or straight for "ok"); None gives an open hand
    (five fingers straight). `shift` moves the index tip (and, less, its joints) that
    many palm units away from the thumb, as a real index does when a pinch opens: the
    pinch point, where the tip is when pinched, stays at the origin. `jump` moves the
    index tip that many palm units from its own last joint, and the other three
    fingertips half as far: a real hand changes the pose of several fingers at once as
    it opens a pinch, and MediaPipe sees the index tip leave its DIP joint.
    """
    if pose not in POSES + RELEASES[1:]:
        raise ValueError(f"pose must be one of {POSES + RELEASES[1:]}, not {pose!r}")
    points = np.zeros((NUM_LANDMARKS, 3))
    points[1], points[2] = (-0.30, -0.18, 0.0), (-0.55, -0.42, -0.05)
    for mcp, (x, y), tilt, lengths in _FINGERS:
        if gap is None:
            flex = _FLEX["straight"]
        elif pose == "c":
            flex = _FLEX["c"]
        else:
            flex = _FLEX["pen" if mcp == 5 else "straight" if pose == "ok" else "curled"]
        along = np.array([np.sin(np.radians(tilt)), -np.cos(np.radians(tilt)), 0.0])
        # fingers bend toward the camera; a C-shaped hand's also curve toward the thumb, seen half from the side
        bend = np.array([0.0, 0.0, -1.0]) if pose != "c" else np.array([-0.7 * along[1], 0.7 * along[0], -0.7])
        joint = np.array([x, y, 0.0])
        points[mcp] = joint
        for k, (length, angle) in enumerate(zip(lengths, np.radians(flex))):
            joint = joint + length * (np.cos(angle) * along + np.sin(angle) * bend)
            points[mcp + 1 + k] = joint
    pinch_point = points[INDEX_TIP].copy()
    toward_thumb = np.array([-0.95, -0.3, 0]) if pose == "c" else np.array([-0.6, 0.8, 0])  # a C holds it apart
    thumb_tip = np.array([-0.95, -0.85, -0.05]) if gap is None else pinch_point + gap * toward_thumb
    points[THUMB_TIP] = thumb_tip
    points[THUMB_IP] = (points[2] + thumb_tip) / 2 + (-0.08, 0.0, 0.0)
    if gap is not None and shift:
        for index, share in _FLEX_SHARE.items():
            points[index, :2] += share * shift * _AWAY_FROM_THUMB
    if gap is not None and jump:
        for mcp, share in ((5, 1.0), (9, 0.5), (13, 0.5), (17, 0.5)):
            points[mcp + 3, :2] += share * jump * _FINGERS_SWAY
            points[mcp + 2, :2] += 0.3 * share * jump * _FINGERS_SWAY
    c, s = np.cos(np.radians(roll_deg)), np.sin(np.radians(roll_deg))
    points[:, :2] = points[:, :2] @ np.array([[c, s], [-s, c]])
    pinch_point[:2] = pinch_point[:2] @ np.array([[c, s], [-s, c]])
    return points - pinch_point


def synthetic_writing(
    strokes: Sequence[Sequence[Sequence[float]]],
    *,
    fps: float = 30.0,
    speed: float = 0.6,
    t0: float = 0.0,
    frame_size: tuple[int, int] = (640, 480),
    palm: float = 0.15,
    lead_s: float = 0.3,
    lift_s: float = 0.25,
    pinch_s: float = 0.1,
    tail_s: float = 1.2,
    end: str = "pause",
    jitter_px: float = 0.0,
    lost: Sequence[tuple[float, float]] = (),
    roll_deg: float = 0.0,
    tip_shift: float = TIP_SHIFT,
    pose: str = "fist",
    release: str = "hover",
    glitches: float = 0.0,
    glitch_frames: int = 3,
    pose_jump: float = 0.0,
    loose_gap: float = 0.0,
    flickers: float = 0.0,
    seed: int = 0,
) -> list[HandFrame]:
    """Frames of a hand whose index fingertip writes `strokes`, pinching while the pen should be down.

    strokes:   each a path of (x, y) in [0, 1] image coordinates: where the fingertip is while pinched
    speed:     fingertip speed along a stroke, frame heights per second
    palm:      wrist to middle MCP, fraction of the frame height (a small hand, or one far away, is small)
    lead_s:    hovering before the first stroke; lift_s: pen-up travel between strokes;
    pinch_s:   closing and opening the pinch at each end of a stroke
    tail_s, end: after the last stroke the hand "pause"s (hovers), shows an "open" hand, or is "lost"
    jitter_px: Gaussian noise on every landmark (pixels, independent per landmark and frame)
    lost:      (start, stop) seconds after `t0` during which no hand is seen
    tip_shift: palm units the index tip moves away from the thumb when the pinch is open (0: a still tip)
    pose:      the other fingers while writing: "fist" (curled) or "ok" (extended, a loose pinch)
    release:   the hand between the strokes of a character: "hover" (a writing hand) or "c" (a C-shaped hand)
    glitches:  share of frames in which landmark 8 sits on another finger's tip, as MediaPipe
               sometimes puts it, in runs of `glitch_frames` frames
    pose_jump: palm units the index tip moves from its own last joint (and the other fingertips half
               as far) between the pinched hand and the open one: with a short `pinch_s` the pose
               changes at once, as real hands seen by MediaPipe do
    loose_gap: a loose pinch: the thumb-index gap while pinched, in palm units, near the thresholds
               (0: a firm pinch at PINCH_GAP); it wavers from frame to frame by a sixth of itself
    flickers:  with a loose pinch, share of the pinched frames in which the thumb tip is seen
               LOOSE_FLICKER_GAP palms away, in runs of 1 to 3 frames (at most 100 ms at 30 fps)
    """
    if end not in ("pause", "open", "lost") or release not in RELEASES:
        raise ValueError(f"end must be pause, open or lost and release one of {RELEASES}")
    size = np.asarray(frame_size, dtype=np.float64)
    step = speed * size[1] / fps  # px per frame along a stroke
    paths = [np.asarray(s, dtype=np.float64).reshape(-1, 2) * size for s in strokes]
    states: list[tuple[np.ndarray, float | None, str]] = []  # (pinch point px, gap, pose) per frame

    def hold(tip: np.ndarray, gap0: float, gap1: float, seconds: float, shape: str = pose) -> None:
        n = max(1, round(seconds * fps))
        states.extend((tip, gap0 + (gap1 - gap0) * (k + 1) / n, shape) for k in range(n))

    def move(path: np.ndarray, gap: float | None, frames: int | None = None, shape: str = pose) -> None:
        seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
        arc = np.concatenate([[0.0], np.cumsum(seg)])
        n = frames or max(1, int(np.ceil(arc[-1] / step)))
        for s in arc[-1] * np.arange(1, n + 1) / n:
            states.append((np.array([np.interp(s, arc, path[:, 0]), np.interp(s, arc, path[:, 1])]), gap, shape))

    between = "c" if release == "c" else pose
    hold(paths[0][0], HOVER_GAP, HOVER_GAP, lead_s)
    for k, path in enumerate(paths):
        if k:
            move(np.stack([paths[k - 1][-1], path[0]]), HOVER_GAP, max(1, round(lift_s * fps)), between)
        hold(path[0], HOVER_GAP, PINCH_GAP, pinch_s)
        if len(path) > 1:
            move(path, PINCH_GAP)
        hold(path[-1], PINCH_GAP, HOVER_GAP, pinch_s, between if k < len(paths) - 1 else pose)
    tail = max(1, round(tail_s * fps))
    states.extend((paths[-1][-1], OPEN if end == "open" else HOVER_GAP, pose) for _ in range(tail))

    rng = np.random.default_rng(seed)
    glitched = _glitch_runs(len(states), glitches, glitch_frames, rng)
    thumb_gaps = _loose_gaps([gap for _, gap, _ in states], loose_gap, flickers, np.random.default_rng([seed, 1]))
    palm_px = palm * size[1]
    frames = []
    for i, (tip, gap, shape) in enumerate(states):
        t = i / fps
        hidden = (end == "lost" and i >= len(states) - tail) or any(a <= t < b for a, b in lost)
        if hidden:
            frames.append(HandFrame(t0 + t, None))
            continue
        # The tip moves with the opening of the pinch: still when pinched, `tip_shift` away when wide open.
        opening = 0.0 if gap is None else float(np.clip((gap - PINCH_GAP) / (HOVER_GAP - PINCH_GAP), 0.0, 1.0))
        shift, jump = tip_shift * opening, pose_jump * opening
        points = synthetic_hand(thumb_gaps[i], roll_deg, pose=shape, shift=shift, jump=jump) * palm_px  # (21, 3) px
        if glitched[i]:
            points[INDEX_TIP] = points[glitched[i]]  # MediaPipe's landmark 8 on the middle or ring fingertip
        points[:, :2] += tip + rng.normal(0.0, jitter_px, (NUM_LANDMARKS, 2)) if jitter_px else tip
        frames.append(HandFrame(t0 + t, points / np.array([size[0], size[1], size[0]])))
    return frames


def _loose_gaps(gaps: Sequence[float | None], loose: float, flickers: float, rng: np.random.Generator) -> list:
    """The thumb-index gap seen per frame: `gaps` as written, or a loose pinch's (see `synthetic_writing`)."""
    if not loose:
        return list(gaps)
    out: list[float | None] = []
    shut = [gap is not None and gap <= PINCH_GAP for gap in gaps]
    flicker_left, since_flicker = 0, 3
    for i, gap in enumerate(gaps):
        if gap is None:
            out.append(None)
            continue
        closed = 1.0 - float(np.clip((gap - PINCH_GAP) / (HOVER_GAP - PINCH_GAP), 0.0, 1.0))
        seen = gap + closed * (loose - PINCH_GAP) + closed * rng.normal(0.0, loose / 6)
        if flicker_left == 0 and since_flicker >= 3 and rng.random() < flickers / 2:
            run = int(rng.integers(1, 4))  # runs of 1-3 frames, 2 on average, 3 pinched frames apart
            flicker_left = run if all(shut[i : i + run + 3]) else 0  # and not merging into a release
        since_flicker += 1
        if flicker_left:
            flicker_left, since_flicker = flicker_left - 1, 0
            seen = float(rng.uniform(*LOOSE_FLICKER_GAP))
        out.append(max(seen, 0.02))
    return out


def _glitch_runs(n: int, share: float, run: int, rng: np.random.Generator) -> list[int]:
    """Per frame 0, or the landmark that 8 is mistaken for: runs of `run` frames covering about `share` of `n`."""
    out = [0] * n
    if share <= 0:
        return out
    for start in np.flatnonzero(rng.random(n) < share / run):
        finger = int(rng.choice([MIDDLE_TIP, RING_TIP]))
        for i in range(start, min(n, start + run)):
            out[i] = finger
    return out


def calibration_frames(
    *,
    step_s: float = 1.5,
    fps: float = 30.0,
    t0: float = 0.0,
    at: tuple[float, float] = (0.5, 0.55),
    palm: float = 0.15,
    loose_gap: float = 0.0,
    flickers: float = 0.0,
    jitter_px: float = 1.0,
    frame_size: tuple[int, int] = (640, 480),
    seed: int = 0,
) -> list[HandFrame]:
    """A hand doing the calibration's steps in place: pinch, open (thumb and index apart, a hovering
    hand), pinch, `step_s` seconds each, then one open frame that ends the last step."""
    per_step = max(1, round(step_s * fps))
    gaps = [PINCH_GAP] * per_step + [HOVER_GAP] * per_step + [PINCH_GAP] * per_step + [HOVER_GAP]
    rng = np.random.default_rng(seed)
    seen = _loose_gaps(gaps, loose_gap, flickers, np.random.default_rng([seed, 1]))
    size = np.asarray(frame_size, dtype=np.float64)
    frames = []
    for i, (gap, thumb) in enumerate(zip(gaps, seen)):
        opening = (gap - PINCH_GAP) / (HOVER_GAP - PINCH_GAP)
        points = synthetic_hand(thumb, shift=TIP_SHIFT * opening) * palm * size[1]  # (21, 3) px
        points[:, :2] += np.asarray(at) * size + rng.normal(0.0, jitter_px, (NUM_LANDMARKS, 2))
        frames.append(HandFrame(t0 + i / fps, points / np.array([size[0], size[1], size[0]])))
    return frames


def swipe_frames(
    direction: int,
    *,
    fps: float = 30.0,
    t0: float = 0.0,
    y: float = 0.55,
    palm: float = 0.15,
    seconds: float = 0.3,
    rest_s: float = 0.3,
    jitter_px: float = 1.0,
    frame_size: tuple[int, int] = (640, 480),
    seed: int = 0,
) -> list[HandFrame]:
    """An open hand swiped across the frame, right (`direction` 1) or left (-1) in image
    coordinates, in `seconds`, after holding still for `rest_s`; then the hand leaves."""
    size = np.asarray(frame_size, dtype=np.float64)
    start, stop = (0.3, 0.7) if direction > 0 else (0.7, 0.3)
    rest, move = max(1, round(rest_s * fps)), max(2, round(seconds * fps))
    xs = [start] * rest + list(np.linspace(start, stop, move)) + [stop]
    rng = np.random.default_rng(seed)
    frames = []
    for i, x in enumerate(xs):
        points = synthetic_hand(OPEN) * palm * size[1]  # (21, 3) px
        points[:, :2] += np.array([x, y]) * size + rng.normal(0.0, jitter_px, (NUM_LANDMARKS, 2))
        frames.append(HandFrame(t0 + i / fps, points / np.array([size[0], size[1], size[0]])))
    frames.append(HandFrame(t0 + len(xs) / fps, None))
    return frames


SWIPE_KEYS = {" ": 1, "<": -1}  # in a demo text: a space is a swipe right, "<" a swipe left (delete)


DEMO_STROKES = {  # a few characters as fingertip paths, [0, 1] image coordinates
    "L": [[(0.40, 0.30), (0.40, 0.70), (0.62, 0.70)]],
    "7": [[(0.38, 0.30), (0.62, 0.30), (0.45, 0.72)]],
    "T": [[(0.36, 0.30), (0.64, 0.30)], [(0.50, 0.30), (0.50, 0.72)]],
}


def demo_frames(
    text: str = "L7T",
    fps: float = 30.0,
    jitter_px: float = 1.5,
    seed: int = 0,
    glyphs: Mapping[str, Sequence[Sequence[Sequence[float]]]] = DEMO_STROKES,
) -> list[HandFrame]:
    """A camera-less demo: `text` written one character after another, each ended by a pause;
    a space or "<" in it is a swipe (`SWIPE_KEYS`).

    `glyphs` maps each character to its fingertip paths ([0, 1] image coordinates);
    the app passes the generator's glyphs for all 62 classes.
    """
    frames: list[HandFrame] = []
    for k, char in enumerate(text):
        t0 = frames[-1].t + 1 / fps if frames else 0.0
        if char in SWIPE_KEYS:
            frames += swipe_frames(SWIPE_KEYS[char], fps=fps, t0=t0, jitter_px=jitter_px, seed=seed + k)
        else:
            frames += synthetic_writing(glyphs[char], fps=fps, t0=t0, jitter_px=jitter_px, seed=seed + k)
    return frames
