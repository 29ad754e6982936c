"""A stored ink drawn small, as an SVG string: `ink_thumbnail_svg(ink, size=64)`.

A local stand-in for `ui/ink_svg.py` (branch `data`), with the same signature, so
the Stats page can show the samples behind a bar or a heatmap cell; when that
module lands, the import in pages/stats.py can switch to it and this file go.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airtype_core.recognition.ink import Ink


def ink_thumbnail_svg(ink: "Ink", size: int = 64) -> str:
    """The strokes scaled to fit a `size` x `size` square (aspect kept, y down as drawn)."""
    if not ink.strokes:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}"></svg>'
    x0, y0, x1, y1 = ink.bounds()
    pad = size * 0.1
    scale = (size - 2 * pad) / max(x1 - x0, y1 - y0, 1e-9)
    dx = (size - (x1 - x0) * scale) / 2
    dy = (size - (y1 - y0) * scale) / 2
    lines = []
    for stroke in ink.strokes:
        points = " ".join(f"{(x - x0) * scale + dx:.1f},{(y - y0) * scale + dy:.1f}" for x, y in stroke[:, :2])
        if len(stroke) == 1:
            points += f" {points}"  # a dot still shows
        lines.append(f'<polyline points="{points}" />')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}">'
        f'<rect width="{size}" height="{size}" fill="#ffffff" stroke="#d0d4dc" />'
        f'<g fill="none" stroke="#1b1f29" stroke-width="{max(1.5, size / 32):.1f}" stroke-linecap="round" '
        f'stroke-linejoin="round">{"".join(lines)}</g></svg>'
    )
