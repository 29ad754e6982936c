"""An ink drawn as a small inline SVG picture, for the pages that show what was written."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airtype_core.recognition.ink import Ink


def ink_svg(ink: "Ink", size: int = 128, margin: int = 10) -> str:
    """The ink as a small SVG, dark strokes on white, aspect kept.

    Inline SVG rather than a raster image: `st.image` embeds it in the page, whereas
    an image file served on the side goes missing when the polling fragment reruns.
    """
    x0, y0, x1, y1 = ink.bounds()
    scale = (size - 2 * margin) / max(x1 - x0, y1 - y0, 1e-9)
    dx, dy = (size - scale * (x1 - x0)) / 2, (size - scale * (y1 - y0)) / 2
    lines = []
    for stroke in ink.strokes:
        points = " ".join(f"{(x - x0) * scale + dx:.1f},{(y - y0) * scale + dy:.1f}" for x, y in stroke[:, :2])
        lines.append(f'<polyline points="{points}"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}">'
        f'<rect width="{size}" height="{size}" fill="white"/>'
        '<g fill="none" stroke="#1b1f29" stroke-width="3" stroke-linecap="round" stroke-linejoin="round">'
        + "".join(lines)
        + "</g></svg>"
    )
