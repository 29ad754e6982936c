"""Ink: what a pen, a mouse or a fingertip leaves behind, and the readers that make one.

An ink is a tuple of strokes; a stroke is an (N, 3) float array of points
`x, y, t` in any unit with **y growing downward** (screen orientation). `t` is
NaN when the source has no clock (the canvas). Every source (canvas, webcam
trail, file record, stored sample) becomes an `Ink` here, through
`Ink.from_strokes`; the file formats themselves are read in `airtype_core/formats/`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_COORDINATE = 1e9  # beyond this a coordinate is a bug in the source, not handwriting


class InkError(ValueError):
    """An ink the recognizer cannot use; the message is meant for a person."""


class EmptyInkError(InkError):
    pass


class InkFormatError(InkError):
    """Input that does not describe strokes at all (a malformed file or line)."""


@dataclass(frozen=True, eq=False)
class Ink:
    strokes: tuple[np.ndarray, ...]

    @classmethod
    def from_strokes(cls, strokes: Iterable[Sequence[Sequence[float]]]) -> Ink:
        """Build from nested lists `[[[x, y(, t)], ...], ...]`; empty strokes are dropped."""
        arrays = []
        try:
            for stroke in strokes:
                points = np.asarray(stroke, dtype=np.float64)
                if points.size == 0:
                    continue
                if points.ndim != 2 or points.shape[1] not in (2, 3):
                    raise InkFormatError("each point must be [x, y] or [x, y, t]")
                if points.shape[1] == 2:
                    points = np.column_stack([points, np.full(len(points), np.nan)])
                arrays.append(points)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, InkError):
                raise
            raise InkFormatError(f"strokes must be lists of [x, y] points ({exc})") from None
        ink = cls(tuple(arrays))
        ink.check_coordinates()
        return ink

    @property
    def num_points(self) -> int:
        return sum(len(s) for s in self.strokes)

    def check_coordinates(self) -> None:
        for stroke in self.strokes:
            xy = stroke[:, :2]
            if not np.isfinite(xy).all():
                raise InkError("the ink has coordinates that are not numbers (NaN or infinity)")
            if np.abs(xy).max() > MAX_COORDINATE:
                raise InkError(f"the ink has coordinates beyond ±{MAX_COORDINATE:g}")

    def to_lists(self) -> list[list[list[float]]]:
        """JSON-ready strokes; `t` is kept only where the source had one."""
        out = []
        for stroke in self.strokes:  # .tolist() first: Python floats, rounded as before, three times faster
            if np.isnan(stroke[:, 2]).all():
                out.append([[round(x, 2), round(y, 2)] for x, y in stroke[:, :2].tolist()])
            else:
                out.append([[round(x, 2), round(y, 2), t] for x, y, t in stroke.tolist()])
        return out

    def digest(self) -> str:
        """The identity of the points as stored (`to_lists()`): equal points, equal digest (duplicates)."""
        return digest_of_lists(self.to_lists())

    def bounds(self) -> tuple[float, float, float, float]:
        xy = np.concatenate([s[:, :2] for s in self.strokes])
        (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)


def digest_of_lists(strokes: list[Any]) -> str:
    """`Ink.digest()` of an ink already turned into lists (`to_lists()`), which storage has at hand."""
    return hashlib.sha256(json.dumps(strokes, separators=(",", ":")).encode()).hexdigest()[:32]


# --- canvas (Fabric.js JSON from streamlit-drawable-canvas) ---------------------

_QUAD_STEPS = 4  # points per quadratic segment: plenty at canvas scale


def _flatten_path(commands: Sequence[Sequence[Any]]) -> list[tuple[float, float]]:
    """Turn SVG-like `M`/`L`/`Q` commands into a polyline."""
    points: list[tuple[float, float]] = []
    for command in commands:
        op, *args = command
        if op in ("M", "L"):
            points.append((float(args[0]), float(args[1])))
        elif op == "Q":
            cx, cy, x, y = map(float, args[:4])
            x0, y0 = points[-1] if points else (cx, cy)
            for k in range(1, _QUAD_STEPS + 1):
                s = k / _QUAD_STEPS
                points.append(
                    (
                        (1 - s) ** 2 * x0 + 2 * (1 - s) * s * cx + s * s * x,
                        (1 - s) ** 2 * y0 + 2 * (1 - s) * s * cy + s * s * y,
                    )
                )
        else:
            raise InkFormatError(f"unsupported canvas path command {op!r}")
    return points


def from_canvas(json_data: dict[str, Any] | None, min_size: float = 0.0) -> Ink:
    """Read the `json_data` of a free-draw canvas: one stroke per path object.

    `min_size` (canvas pixels, typically the pen width): a drawing whose box is
    smaller fits under the pen's tip, so it was a click, not a character.
    """
    strokes = []
    for obj in (json_data or {}).get("objects", []):
        # the 0.13 canvas (Fabric 7) says "Path"; older Fabric versions say "path"
        if str(obj.get("type", "")).lower() != "path":
            continue
        points = _flatten_path(obj.get("path", []))
        sx, sy = float(obj.get("scaleX", 1) or 1), float(obj.get("scaleY", 1) or 1)
        if (sx, sy) != (1.0, 1.0):
            points = [(x * sx, y * sy) for x, y in points]
        strokes.append(points)
    ink = Ink.from_strokes(strokes)
    if ink.strokes and min_size > 0:
        x0, y0, x1, y1 = ink.bounds()
        if max(x1 - x0, y1 - y0) < min_size:
            raise InkError("the ink is a single dot: draw a whole character")
    return ink


# --- a labelled ink, as the file readers in formats/ yield it (formats/jsonl.py) --


@dataclass(frozen=True)
class LabeledInk:
    ink: Ink
    label: str
    writer: str = ""
