"""The one pipeline from an ink to the model input.

    ink --(concatenate strokes, pen flag)--> polyline
        --(centre on the bounding box, divide by its longer side)--> unit box, aspect kept
        --(resample by arc length, pen-up jumps included)--> seq_len points
        --> per point: x, y, vx, vy, acc, curv, pen          # (seq_len, 7) float32

Timestamps are not used: after arc-length resampling, speed carries little that
survives the difference between a tablet, a mouse and a fingertip, and a canvas
has no clock at all. `vx, vy` is therefore the unit tangent, `acc` how fast it
turns, `curv` the signed turning angle in units of pi.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ink import EmptyInkError, Ink, InkError

FEATURE_NAMES = ("x", "y", "vx", "vy", "acc", "curv", "pen")
NUM_FEATURES = len(FEATURE_NAMES)
MAX_INPUT_POINTS = 20_000  # longer inks are thinned first: the result is the same at 50 points
MIN_EXTENT = 1e-6  # relative to the coordinates' magnitude: below this the ink is a dot


@dataclass(frozen=True)
class FeatureConfig:
    seq_len: int = 50

    @property
    def signature(self) -> str:
        """Stored in every model manifest; a model made with another pipeline is refused."""
        return f"arclen-v1(seq_len={self.seq_len},features={'+'.join(FEATURE_NAMES)},norm=bbox-maxside,penup=jump)"


def _thin(strokes: tuple[np.ndarray, ...], limit: int) -> list[np.ndarray]:
    total = sum(len(s) for s in strokes)
    if total <= limit:
        return list(strokes)
    step = int(np.ceil(total / limit))
    # keep each stroke's last point so its end does not move
    return [np.concatenate([s[::step], s[-1:]]) if len(s) > 1 else s for s in strokes]


def featurize(ink: Ink, config: FeatureConfig = FeatureConfig()) -> np.ndarray:
    """(seq_len, 7) float32 features of `ink`; raises InkError for inks that are no character."""
    if not ink.strokes or ink.num_points == 0:
        raise EmptyInkError("nothing was drawn: the ink has no points")
    ink.check_coordinates()  # an Ink built without from_strokes may hold NaN: refused, not turned into NaN odds
    strokes = _thin(ink.strokes, MAX_INPUT_POINTS)

    xy = np.concatenate([s[:, :2] for s in strokes])  # (P, 2)
    # pen[i] says whether the segment from point i-1 to point i is drawn (1) or a jump (0)
    pen = np.ones(len(xy))
    pen[np.cumsum([0] + [len(s) for s in strokes[:-1]])] = 0.0

    lo, hi = xy.min(axis=0), xy.max(axis=0)
    side = float((hi - lo).max())
    if len(xy) < 2 or side <= MIN_EXTENT * max(1.0, float(np.abs(xy).max())):
        raise InkError("the ink is a single dot: draw a whole character")
    xy = (xy - (lo + hi) / 2) / side + 0.5  # longer side spans [0, 1], centred

    d = np.diff(xy, axis=0)
    seg = np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1])  # (P-1,)
    arc = np.empty(len(xy))
    arc[0] = 0.0
    np.cumsum(seg, out=arc[1:])
    total = arc[-1]
    n = config.seq_len
    targets = np.linspace(0.0, total, n)
    x = np.interp(targets, arc, xy[:, 0])
    y = np.interp(targets, arc, xy[:, 1])
    # a resampled point is "pen down" when the segment it lies on was drawn
    seg_index = np.clip(np.searchsorted(arc, targets, side="right"), 1, len(xy) - 1)
    pen_out = pen[seg_index]
    pen_out[0] = 1.0

    step = total / (n - 1)
    v = _gradient(np.stack([x, y])) / step  # (2, n): vx, vy
    acc = np.hypot(*_gradient(v))
    heading = np.arctan2(np.diff(y), np.diff(x))
    dh = np.diff(heading)
    turn = np.arctan2(np.sin(dh), np.cos(dh)) / np.pi  # wrapped to [-1, 1]
    curv = np.zeros(n)
    curv[1:-1] = turn

    features = np.stack([x, y, v[0], v[1], acc, curv, pen_out], axis=1)
    if not np.isfinite(features).all():
        raise InkError("the ink cannot be read as a character (its points give no usable shape)")
    return np.clip(features, -5.0, 5.0).astype(np.float32)


def _gradient(a: np.ndarray) -> np.ndarray:
    """np.gradient along the last axis with unit spacing (same arithmetic, one call for both rows)."""
    out = np.empty_like(a)
    out[..., 1:-1] = (a[..., 2:] - a[..., :-2]) / 2.0
    out[..., 0] = a[..., 1] - a[..., 0]
    out[..., -1] = a[..., -1] - a[..., -2]
    return out
