"""Glyph templates: the skeletons the synthetic generator distorts into handwriting.

Two sources, both single-line (a pen path, not an outline):
- the Hershey single-stroke fonts (PyPI `hershey-fonts`): a print hand and a script hand;
- allographs written here for the shapes people use that the fonts lack
  (single-storey a and g, a 7 with a bar, a 1 with a flag and a base, ...).

A template is a tuple of strokes, each an (N, 2) float array, y growing downward.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .charset import CLASSES

# font -> the kind of hand it stands for
HERSHEY_FONTS = {"futural": "print", "scripts": "script", "cursive": "script"}
# How often each kind of hand is drawn: isolated characters are mostly printed,
# even by people whose running hand is cursive.
SOURCE_WEIGHTS = {"print": 0.45, "script": 0.2, "allograph": 0.35}

Template = tuple[np.ndarray, ...]


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 0) -> list[tuple[float, float]]:
    """Points on an ellipse from angle a0 to a1 in degrees; 0 = right, 90 = up (screen y down)."""
    n = n or max(4, int(abs(a1 - a0) / 15))
    angles = np.radians(np.linspace(a0, a1, n))
    return [(cx + rx * np.cos(a), cy - ry * np.sin(a)) for a in angles]


def _allographs() -> list[tuple[str, list[list[tuple[float, float]]]]]:
    """Hand-written skeletons in a box x 0..1, y 0 (top) .. 1 (baseline); descenders below 1."""
    A = _arc

    def loop(cx: float, cy: float, rx: float, ry: float) -> list[tuple[float, float]]:
        return A(cx, cy, rx, ry, 30, 390)  # counter-clockwise from the upper right, as in a, d, g

    return [
        ("0", [A(0.5, 0.5, 0.4, 0.5, 90, 450)]),
        ("0", [A(0.5, 0.5, 0.4, 0.5, 90, 450), [(0.85, 0.1), (0.15, 0.9)]]),
        ("1", [[(0.5, 0.0), (0.5, 1.0)]]),
        ("1", [[(0.25, 0.25), (0.5, 0.0), (0.5, 1.0)], [(0.25, 1.0), (0.75, 1.0)]]),
        ("1", [[(0.2, 0.3), (0.5, 0.0), (0.5, 1.0)]]),
        ("2", [A(0.5, 0.28, 0.38, 0.27, 160, -40) + [(0.05, 1.0), (0.95, 1.0)]]),
        ("3", [A(0.45, 0.25, 0.38, 0.24, 150, -90) + A(0.45, 0.74, 0.42, 0.26, 90, -150)]),
        ("3", [[(0.1, 0.0), (0.85, 0.0), (0.4, 0.4)] + A(0.45, 0.7, 0.42, 0.3, 90, -150)]),
        ("4", [[(0.65, 0.0), (0.05, 0.68), (0.95, 0.68)], [(0.7, 0.3), (0.7, 1.0)]]),
        ("4", [[(0.15, 0.0), (0.1, 0.6), (0.9, 0.6)], [(0.72, 0.0), (0.72, 1.0)]]),
        ("5", [[(0.22, 0.0), (0.17, 0.42)] + A(0.5, 0.7, 0.4, 0.3, 130, -160), [(0.22, 0.0), (0.85, 0.0)]]),
        ("6", [[(0.8, 0.05), (0.5, 0.0), (0.22, 0.2), (0.1, 0.62)] + A(0.5, 0.72, 0.4, 0.28, 180, 540)]),
        ("7", [[(0.05, 0.0), (0.95, 0.0), (0.35, 1.0)]]),
        ("7", [[(0.05, 0.0), (0.95, 0.0), (0.35, 1.0)], [(0.3, 0.5), (0.85, 0.5)]]),
        ("8", [A(0.5, 0.25, 0.3, 0.25, 10, 180) + A(0.5, 0.74, 0.4, 0.26, 90, -270) + A(0.5, 0.25, 0.3, 0.25, 180, 370)]),
        ("9", [A(0.5, 0.28, 0.4, 0.28, 10, 370) + [(0.9, 0.3), (0.85, 1.0)]]),
        ("9", [A(0.5, 0.28, 0.4, 0.28, 10, 370) + [(0.9, 0.3), (0.88, 0.8), (0.6, 1.0), (0.2, 0.95)]]),
        ("a", [loop(0.45, 0.62, 0.4, 0.36) + [(0.85, 0.25), (0.88, 1.0)]]),
        ("a", [[(0.85, 0.25), (0.85, 1.0)], A(0.45, 0.62, 0.4, 0.36, 80, 440)]),
        ("d", [loop(0.42, 0.7, 0.38, 0.3) + [(0.8, 0.0), (0.82, 1.0)]]),
        ("d", [A(0.42, 0.7, 0.38, 0.3, 80, 440), [(0.8, 0.0), (0.82, 1.0)]]),
        ("g", [loop(0.45, 0.3, 0.38, 0.28) + [(0.83, 0.05), (0.83, 1.0)] + A(0.5, 1.0, 0.33, 0.3, 0, -160)]),
        ("q", [loop(0.45, 0.3, 0.38, 0.28) + [(0.83, 0.05), (0.83, 1.3)]]),
        ("q", [loop(0.45, 0.3, 0.38, 0.28) + [(0.83, 0.05), (0.83, 1.3), (1.0, 1.15)]]),
        ("b", [[(0.15, 0.0), (0.15, 1.0)] + A(0.5, 0.72, 0.35, 0.28, 200, -160)]),
        ("p", [[(0.15, 0.0), (0.15, 1.3)], A(0.5, 0.3, 0.35, 0.3, 180, -180)]),
        ("e", [[(0.1, 0.5), (0.9, 0.5)] + A(0.5, 0.5, 0.4, 0.45, 0, 310)]),
        ("f", [A(0.6, 0.15, 0.2, 0.15, 20, 180) + [(0.4, 1.0)], [(0.1, 0.4), (0.75, 0.4)]]),
        ("t", [[(0.45, 0.0), (0.45, 0.85), (0.7, 1.0)], [(0.1, 0.3), (0.85, 0.3)]]),
        ("t", [[(0.5, 0.0), (0.5, 1.0)], [(0.1, 0.3), (0.9, 0.3)]]),
        ("y", [[(0.05, 0.0), (0.5, 0.55)], [(0.95, 0.0), (0.2, 1.4)]]),
        ("y", [[(0.1, 0.0), (0.1, 0.4)] + A(0.47, 0.4, 0.37, 0.3, 180, 360) + [(0.84, 0.0), (0.84, 1.2)]
               + A(0.5, 1.2, 0.34, 0.2, 0, -170)]),
        ("u", [[(0.1, 0.0)] + A(0.48, 0.65, 0.38, 0.35, 180, 360) + [(0.86, 0.0), (0.86, 1.0)]]),
        ("r", [[(0.15, 0.0), (0.15, 1.0)], [(0.15, 0.35)] + A(0.5, 0.3, 0.35, 0.25, 160, 40)]),
        ("n", [[(0.12, 0.0), (0.12, 1.0), (0.12, 0.35)] + A(0.5, 0.4, 0.38, 0.35, 160, 0) + [(0.88, 1.0)]]),
        ("h", [[(0.12, 0.0), (0.12, 1.0), (0.12, 0.6)] + A(0.5, 0.65, 0.38, 0.3, 160, 0) + [(0.88, 1.0)]]),
        ("l", [[(0.5, 0.0), (0.5, 1.0)]]),
        ("l", [[(0.4, 0.0), (0.4, 0.9), (0.6, 1.0)]]),
        ("I", [[(0.5, 0.0), (0.5, 1.0)]]),
        ("I", [[(0.5, 0.0), (0.5, 1.0)], [(0.2, 0.0), (0.8, 0.0)], [(0.2, 1.0), (0.8, 1.0)]]),
        ("J", [[(0.7, 0.0), (0.7, 0.75)] + A(0.42, 0.75, 0.28, 0.25, 0, -180)]),
        ("J", [[(0.2, 0.0), (0.9, 0.0)], [(0.65, 0.0), (0.65, 0.75)] + A(0.4, 0.75, 0.25, 0.25, 0, -180)]),
        ("Z", [[(0.05, 0.0), (0.95, 0.0), (0.05, 1.0), (0.95, 1.0)]]),
        ("Z", [[(0.05, 0.0), (0.95, 0.0), (0.05, 1.0), (0.95, 1.0)], [(0.25, 0.5), (0.75, 0.5)]]),
        ("G", [A(0.5, 0.5, 0.45, 0.5, 40, 360) + [(0.55, 0.5)]]),
        ("G", [A(0.5, 0.5, 0.45, 0.5, 40, 330) + [(0.95, 0.6), (0.95, 1.0)], [(0.6, 0.6), (0.95, 0.6)]]),
        ("A", [[(0.05, 1.0), (0.5, 0.0), (0.95, 1.0)], [(0.25, 0.6), (0.75, 0.6)]]),
        ("E", [[(0.9, 0.0), (0.1, 0.0), (0.1, 1.0), (0.9, 1.0)], [(0.1, 0.5), (0.7, 0.5)]]),
        ("M", [[(0.05, 1.0), (0.1, 0.0), (0.5, 0.7), (0.9, 0.0), (0.95, 1.0)]]),
        ("N", [[(0.1, 1.0), (0.1, 0.0), (0.9, 1.0), (0.9, 0.0)]]),
        ("W", [[(0.0, 0.0), (0.25, 1.0), (0.5, 0.3), (0.75, 1.0), (1.0, 0.0)]]),
        ("k", [[(0.15, 0.0), (0.15, 1.0)], [(0.8, 0.35), (0.15, 0.7), (0.85, 1.0)]]),
        ("x", [[(0.1, 0.0), (0.9, 1.0)], [(0.9, 0.0), (0.1, 1.0)]]),
    ]


def _hershey(font: str) -> dict[str, Template]:
    from HersheyFonts import HersheyFonts

    reader = HersheyFonts()
    reader.load_default_font(font)
    out = {}
    for char in CLASSES:
        strokes = tuple(np.asarray(s, dtype=np.float64) for s in reader.strokes_for_text(char) if len(s) > 0)
        if strokes:
            out[char] = strokes
    return out


@lru_cache(maxsize=1)
def templates() -> dict[str, dict[str, list[Template]]]:
    """Every template for every class: class -> kind of hand (`SOURCE_WEIGHTS`) -> templates."""
    table: dict[str, dict[str, list[Template]]] = {c: {} for c in CLASSES}
    for font, source in HERSHEY_FONTS.items():
        for char, strokes in _hershey(font).items():
            table[char].setdefault(source, []).append(strokes)
    for char, strokes in _allographs():
        table[char].setdefault("allograph", []).append(tuple(np.asarray(s, dtype=np.float64) for s in strokes))
    return table
