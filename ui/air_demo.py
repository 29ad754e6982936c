"""The replay demo's characters: any of the 62 classes, as the fingertip paths of a hand writing them.

The paths are the glyph skeletons the synthetic generator distorts into training
handwriting (`learning.glyphs`), the print hand where there is one: the demo hand
writes what the shipped model learned from. They are handed to the `air` room's
generator from here, because `air` may import only `recognition`.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from airtype_core.learning.glyphs import templates
from airtype_core.recognition.charset import CLASSES

PREFERRED = ("print", "allograph", "script")  # a clean print hand first
CAP_HEIGHT = 0.40  # of the frame height: a capital written at arm's length
BASELINE = 0.70  # frame fraction where capitals and x-height letters stand


class DemoTextError(ValueError):
    """Demo text the hand cannot write; the message is meant for a person."""


@cache
def demo_strokes(char: str) -> tuple[tuple[tuple[float, float], ...], ...]:
    """`char`'s strokes as fingertip paths in [0, 1] image coordinates, centred, one size for the whole alphabet."""
    glyph = templates()[char]
    strokes = next(glyph[kind][0] for kind in PREFERRED if glyph.get(kind))
    points = np.concatenate(strokes)
    if glyph.get("print") and strokes is glyph["print"][0]:
        scale, baseline = CAP_HEIGHT / 21.0, 9.0  # Hershey units: capitals from -12 to the baseline at 9
    else:
        scale, baseline = CAP_HEIGHT, 1.0  # the allographs' box: 0 (top) to 1 (baseline)
    centre_x = (points[:, 0].min() + points[:, 0].max()) / 2
    return tuple(
        tuple((0.5 + (x - centre_x) * scale * 0.75, BASELINE + (y - baseline) * scale) for x, y in stroke)
        for stroke in strokes
    )  # x * 0.75: the same ink aspect on a 4:3 frame


def demo_glyphs(text: str) -> dict[str, tuple]:
    """The paths of every character of `text`; `DemoTextError` names those the demo cannot write."""
    unknown = sorted(set(text) - set(CLASSES))
    if not text.strip() or unknown:
        raise DemoTextError(
            "The demo hand writes letters and digits (A-Z, a-z, 0-9)"
            + (f"; not {', '.join(repr(c) for c in unknown)}." if unknown else ": type some.")
        )
    return {char: demo_strokes(char) for char in dict.fromkeys(text)}  # in the order written
