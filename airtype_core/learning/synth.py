"""Synthetic handwriting: glyph templates distorted until they look like pen input.

What real writers do that fonts do not, and what each step below imitates:
- lift the pen at sharp corners (an E in three or four strokes)      -> `_split_at_corners`
- join strokes the font keeps apart, change stroke order and direction -> `_restructure`
- write with a slant, a squash, a rotation                             -> global affine
- wobble smoothly                                                      -> elastic field
- place the bar of a t or the dot of an i a little off                  -> per-stroke shift
- overshoot, stop short, leave hooks at pen-down and pen-up            -> `_ends`
- sample unevenly (slow at corners, fast on lines) with sensor noise    -> `_resample`, jitter
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..recognition.charset import CLASS_INDEX, CLASSES, LOOKALIKE_GROUPS
from ..recognition.ink import Ink
from .glyphs import SOURCE_WEIGHTS, Template, templates


@dataclass(frozen=True)
class SynthConfig:
    corner_split_p: float = 0.5  # chance to lift the pen at each sharp corner
    corner_angle_deg: float = 70.0  # a turn sharper than this is a corner
    join_p: float = 0.12  # chance to join two consecutive strokes without lifting
    reverse_p: float = 0.15  # chance to draw a stroke backwards
    shuffle_p: float = 0.1  # chance to write the strokes in another order
    rotate_deg: float = 12.0
    shear: float = 0.35
    aspect: float = 0.3  # log-uniform range of the width / height squash
    elastic: float = 0.06  # amplitude of the smooth displacement, in glyph heights
    stroke_shift: float = 0.06
    jitter: float = 0.004
    quantize_p: float = 0.35  # chance of a coarse tablet grid (staircase lines)
    quantize_max: float = 0.15  # coarsest grid step, in glyph heights (small glyphs on a low-res tablet)
    lookalike_p: float = 0.3  # chance to draw a look-alike's shape (an S for s, a 0 for O, ...)

    def harder(self, factor: float) -> SynthConfig:
        """Every geometric distortion scaled by `factor`: a stand-in for writers the fonts never saw."""
        from dataclasses import replace

        return replace(
            self,
            rotate_deg=self.rotate_deg * factor,
            shear=self.shear * factor,
            aspect=self.aspect * factor,
            elastic=self.elastic * factor,
            stroke_shift=self.stroke_shift * factor,
            jitter=self.jitter * factor,
        )

    hook_p: float = 0.25


def _polyline_length(p: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum()) if len(p) > 1 else 0.0


def _densify(p: np.ndarray, spacing: float) -> np.ndarray:
    """Points every `spacing` along the polyline, its corners kept."""
    if len(p) < 2:
        return p
    out = [p[:1]]
    for a, b in zip(p[:-1], p[1:]):
        n = max(1, int(np.ceil(np.linalg.norm(b - a) / spacing)))
        s = np.linspace(0, 1, n + 1)[1:, None]
        out.append(a + (b - a) * s)
    return np.concatenate(out)


def _split_at_corners(stroke: np.ndarray, cfg: SynthConfig, rng: np.random.Generator) -> list[np.ndarray]:
    if len(stroke) < 3:
        return [stroke]
    d = np.diff(stroke, axis=0)
    heading = np.arctan2(d[:, 1], d[:, 0])
    turn = np.abs(np.angle(np.exp(1j * np.diff(heading))))  # turn at points 1..N-2
    corners = np.nonzero(turn > np.radians(cfg.corner_angle_deg))[0] + 1
    cuts = [int(c) for c in corners if rng.random() < cfg.corner_split_p]
    if not cuts:
        return [stroke]
    pieces, start = [], 0
    for c in cuts:
        pieces.append(stroke[start : c + 1])
        start = c
    pieces.append(stroke[start:])
    return [p for p in pieces if len(p) >= 2]


def _restructure(strokes: list[np.ndarray], cfg: SynthConfig, rng: np.random.Generator) -> list[np.ndarray]:
    strokes = [s[::-1] if rng.random() < cfg.reverse_p else s for s in strokes]
    if len(strokes) > 1 and rng.random() < cfg.shuffle_p:
        strokes = [strokes[i] for i in rng.permutation(len(strokes))]
    joined = [strokes[0]]
    for s in strokes[1:]:
        if rng.random() < cfg.join_p:
            joined[-1] = np.concatenate([joined[-1], s])
        else:
            joined.append(s)
    return joined


def elastic(xy: np.ndarray, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """A smooth random displacement field: a few low-frequency sinusoids per axis."""
    out = xy.copy()
    for axis in (0, 1):
        for _ in range(3):
            k = rng.normal(0, 2.5, size=2)
            phase = rng.uniform(0, 2 * np.pi)
            out[:, axis] += amplitude / 3 * rng.normal() * np.sin(xy @ k + phase)
    return out


def random_affine(rng: np.random.Generator, cfg: SynthConfig, shear_high: float | None = None) -> np.ndarray:
    """A random 2x2 rotation @ (squash, slant) within `cfg`'s ranges; slant up to `shear_high` (default `cfg.shear`)."""
    angle = np.radians(rng.uniform(-cfg.rotate_deg, cfg.rotate_deg))
    shear = rng.uniform(-cfg.shear, cfg.shear if shear_high is None else shear_high)
    aspect = np.exp(rng.uniform(-cfg.aspect, cfg.aspect))
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]]) @ np.array([[aspect, shear], [0.0, 1.0]])


def _ends(stroke: np.ndarray, cfg: SynthConfig, rng: np.random.Generator) -> np.ndarray:
    """Overshoot or stop short at either end, and sometimes leave a small hook."""
    if len(stroke) < 2:
        return stroke
    for end in (0, -1):
        a, b = (stroke[0], stroke[1]) if end == 0 else (stroke[-1], stroke[-2])
        direction = a - b
        norm = np.linalg.norm(direction)
        if norm < 1e-9:
            continue
        direction /= norm
        tip = a + direction * rng.normal(0, 0.03)
        if rng.random() < cfg.hook_p:
            side = np.array([-direction[1], direction[0]]) * rng.choice([-1, 1])
            hook = tip + (side - direction) * rng.uniform(0.02, 0.07)
            extra = np.stack([hook, tip])
        else:
            extra = tip[None]
        stroke = np.concatenate([extra, stroke]) if end == 0 else np.concatenate([stroke, extra[::-1]])
    return stroke


def _resample(stroke: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Re-sample at an uneven pace, as a tablet does: slower near the ends and at turns."""
    length = _polyline_length(stroke)
    if length == 0:
        return stroke
    n = int(np.clip(length / rng.uniform(0.01, 0.05), 3, 200))
    speed = np.clip(1 + rng.normal(0, 0.35, size=n).cumsum() / np.sqrt(n), 0.3, 3.0)
    arc = np.r_[0.0, np.cumsum(speed)]
    arc = arc / arc[-1] * length
    seg = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(stroke, axis=0), axis=1))]
    return np.column_stack([np.interp(arc, seg, stroke[:, 0]), np.interp(arc, seg, stroke[:, 1])])


def distort(template: Template, rng: np.random.Generator, cfg: SynthConfig = SynthConfig()) -> Ink:
    """One handwritten-looking ink from a glyph skeleton."""
    raw = [np.asarray(s, dtype=np.float64) for s in template]
    all_xy = np.concatenate(raw)
    lo, hi = all_xy.min(axis=0), all_xy.max(axis=0)
    height = max(float((hi - lo).max()), 1e-6)
    strokes = [(s - lo) / height for s in raw]  # glyph now spans about a unit box

    pieces: list[np.ndarray] = []
    for s in strokes:
        pieces.extend(_split_at_corners(s, cfg, rng))
    strokes = _restructure(pieces, cfg, rng)
    strokes = [_densify(s, 0.02) for s in strokes]

    matrix = random_affine(rng, cfg, shear_high=cfg.shear * 0.6)  # fonts lean right less than writers
    amplitude = cfg.elastic * rng.uniform(0.3, 1.0)

    out = []
    for stroke in strokes:
        stroke = elastic(stroke, amplitude, rng) @ matrix.T
        stroke = stroke + rng.normal(0, cfg.stroke_shift / 2, size=2)
        stroke = _ends(stroke, cfg, rng)
        stroke = _resample(stroke, rng)
        stroke = stroke + rng.normal(0, cfg.jitter * rng.uniform(0.2, 1.5), size=stroke.shape)
        out.append(stroke)
    if rng.random() < cfg.quantize_p:
        grid = np.exp(rng.uniform(np.log(0.015), np.log(cfg.quantize_max)))
        out = [_dedupe(np.round(s / grid) * grid) for s in out]
    return Ink.from_strokes([s * 100.0 for s in out])  # roughly tablet-sized units


def _dedupe(stroke: np.ndarray) -> np.ndarray:
    keep = np.r_[True, np.any(np.diff(stroke, axis=0) != 0, axis=1)]
    return stroke[keep]


def choose_template(char: str, rng: np.random.Generator, cfg: SynthConfig = SynthConfig()) -> Template:
    """A skeleton for `char`: sometimes a look-alike's, so the model learns that an s
    may be written like an S (and keeps both in its top 5) rather than guessing the case."""
    shape_of = char
    group = next((g for g in LOOKALIKE_GROUPS if char in g), "")
    if group and rng.random() < cfg.lookalike_p:
        shape_of = group[int(rng.integers(len(group)))]
    by_source = templates()[shape_of]
    sources = sorted(by_source)
    weights = np.array([SOURCE_WEIGHTS[s] for s in sources])
    options = by_source[sources[int(rng.choice(len(sources), p=weights / weights.sum()))]]
    return options[int(rng.integers(len(options)))]


def sample(rng: np.random.Generator, char: str | None = None, cfg: SynthConfig = SynthConfig()) -> tuple[Ink, str]:
    """A random synthetic ink, of `char` or of a uniformly drawn class."""
    char = char or CLASSES[int(rng.integers(len(CLASSES)))]
    return distort(choose_template(char, rng, cfg), rng, cfg), char


def synthetic_dataset(
    n: int, seed: int, seq_len: int = 50, cfg: SynthConfig = SynthConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """`n` featurized synthetic samples, classes balanced: (n, seq_len, 7) float32, (n,) int64."""
    from ..recognition.features import FeatureConfig, featurize

    rng = np.random.default_rng(seed)
    feature_cfg = FeatureConfig(seq_len)
    x = np.empty((n, seq_len, 7), dtype=np.float32)
    y = np.empty(n, dtype=np.int64)
    for i in range(n):
        char = CLASSES[i % len(CLASSES)]
        ink, _ = sample(rng, char, cfg)
        x[i] = featurize(ink, feature_cfg)
        y[i] = CLASS_INDEX[char]
    return x, y
