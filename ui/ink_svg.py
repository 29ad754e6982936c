"""Inks as SVG: a small thumbnail for tables and previews, a large view with the stroke order visible.

Inline SVG rather than a raster image: `st.image` embeds it in the page, whereas
an image file served on the side goes missing when a polling fragment reruns;
and `data_uri` puts it in a dataframe's image column. Shared by the Air, Data
and Stats pages.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airtype_core.recognition.ink import Ink

# one colour per stroke in the large view, so the order can be read (then repeats)
STROKE_COLOURS = ("#3358d4", "#d4572f", "#2f9e5a", "#9b3fd4", "#c99a17", "#1b1f29")


def ink_thumbnail_svg(ink: Ink, size: int = 128, margin: int = 10, *, stroke_order: bool = False) -> str:
    """The ink as an SVG `size` pixels square, dark strokes on white, aspect kept.

    `stroke_order`: each stroke in its own colour, numbered at its start, with a dot there.
    """
    if not ink.strokes:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}"></svg>'
    x0, y0, x1, y1 = ink.bounds()
    scale = (size - 2 * margin) / max(x1 - x0, y1 - y0, 1e-9)
    dx, dy = (size - scale * (x1 - x0)) / 2, (size - scale * (y1 - y0)) / 2
    width = max(2.0, size / 45)
    parts = []
    for n, stroke in enumerate(ink.strokes):
        xy = [((x - x0) * scale + dx, (y - y0) * scale + dy) for x, y in stroke[:, :2]]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        colour = STROKE_COLOURS[n % len(STROKE_COLOURS)] if stroke_order else "#1b1f29"
        parts.append(f'<polyline points="{points}" stroke="{colour}"/>')
        if stroke_order:
            (sx, sy) = xy[0]
            parts.append(
                f'<circle cx="{sx:.1f}" cy="{sy:.1f}" r="{width * 1.6:.1f}" fill="{colour}"/>'
                f'<text x="{sx + 2 * width:.1f}" y="{sy - 2 * width:.1f}" fill="{colour}" '
                f'font-size="{max(12, size // 18)}" font-family="sans-serif">{n + 1}</text>'
            )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}">'
        f'<rect width="{size}" height="{size}" fill="white"/>'
        f'<g fill="none" stroke-width="{width:.1f}" stroke-linecap="round" stroke-linejoin="round">'
        + "".join(parts)
        + "</g></svg>"
    )


def data_uri(svg: str) -> str:
    """The SVG as a `data:` URL, for `st.column_config.ImageColumn`."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
