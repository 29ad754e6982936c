"""The Stats page's Plotly figures, built from `airtype_core.insight.stats` records.

One function per chart; each takes the records and returns a figure, nothing
else (the page decides what to show when there is nothing to draw).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

import plotly.graph_objects as go

from airtype_core.recognition.charset import CLASSES

if TYPE_CHECKING:
    from airtype_core.insight.stats import (
        Bucket,
        CharStats,
        Confusion,
        DayCount,
        Reliability,
        VersionAccuracy,
    )

SORTS = {"character": "0-9, A-Z, a-z", "accuracy": "lowest accuracy first", "samples": "most samples first"}
_MARGIN = dict(l=10, r=10, t=36, b=10)
MIN_BAR = 0.02  # a character read right 0% of the time still gets a bar this high, so it is seen
DAY_MS = 86_400_000
MAX_DAY_TICKS = 12


def _label(char: str) -> str:
    return f"{char}\u2009"  # a thin space keeps "1" a category label, not a number


def per_char_figure(rows: Sequence[CharStats], sort: str = "character") -> go.Figure:
    """A bar per character (its accuracy), coloured by how many samples it has; every character labelled."""
    if sort == "accuracy":
        rows = sorted(rows, key=lambda r: (r.accuracy if r.accuracy is not None else 2.0, r.char))
    elif sort == "samples":
        rows = sorted(rows, key=lambda r: -r.samples)
    figure = go.Figure(
        go.Bar(
            x=[_label(r.char) for r in rows],
            y=[max(r.accuracy, MIN_BAR) if r.accuracy is not None else 0 for r in rows],
            customdata=[[r.char, r.samples, r.predicted, r.correct, r.accuracy or 0] for r in rows],
            hovertemplate="%{customdata[0]}: %{customdata[4]:.0%} right (%{customdata[3]} of %{customdata[2]}), "
            "%{customdata[1]} samples<extra></extra>",
            marker=dict(
                color=[r.samples for r in rows],
                colorscale="Blues",
                cmin=0,
                colorbar=dict(title="samples", thickness=12),
                line=dict(color="#8a93a6", width=0.5),
            ),
        )  # fmt: skip
    )
    figure.update_layout(
        height=320, margin=_MARGIN, title="Accuracy per character (colour: samples)",
        xaxis=dict(type="category", tickmode="linear", dtick=1, tickangle=0, tickfont=dict(family="monospace", size=10)),
        yaxis=dict(range=[0, 1.02], tickformat=".0%"), clickmode="event+select",
    )  # fmt: skip
    return figure


def heatmap_figure(confusions: Sequence[Confusion]) -> dict:
    """62 x 62 counts, written down, read across; the diagonal is the right answers.

    Drawn as square markers rather than a go.Heatmap: a click on a heatmap cell is no
    selection that Streamlit hands back, a click on a marker is. Empty cells are left out.
    A plain figure dict, not go.Figure: validating a few thousand markers' lists took
    longer than the queries behind them."""
    labels = [_label(c) for c in CLASSES]
    cells = [c for c in confusions if c.count]
    right = [c.actual == c.predicted for c in cells]
    axis = {"type": "category", "categoryorder": "array", "categoryarray": labels, "tickmode": "linear", "dtick": 1,
            "tickfont": {"family": "monospace", "size": 8}, "showgrid": True, "gridcolor": "#f0f2f6"}  # fmt: skip
    trace = {
        "type": "scatter", "mode": "markers",
        "x": [_label(c.predicted) for c in cells], "y": [_label(c.actual) for c in cells],
        "customdata": [[c.actual, c.predicted, c.count] for c in cells],
        "marker": {"symbol": "square", "size": 8, "color": [c.count for c in cells], "colorscale": "YlOrRd", "cmin": 0,
                   "cmax": max((c.count for c in cells), default=1), "colorbar": {"thickness": 12, "title": {"text": "samples"}},
                   "line": {"color": ["#1b1f29" if r else "#8a93a6" for r in right], "width": [1 if r else 0.3 for r in right]}},
        "hovertemplate": "written %{customdata[0]}, read %{customdata[1]}: %{customdata[2]}<extra></extra>",
    }  # fmt: skip
    layout = {
        # the "read as" axis is on top: the chart's title goes above it, in a margin tall enough for both
        "height": 720, "margin": {**_MARGIN, "t": 110},
        "title": {"text": "Confusion matrix (click a square to see its samples)", "yref": "container", "y": 0.99,
                  "yanchor": "top"},
        "xaxis": {**axis, "title": {"text": "read as"}, "tickangle": 0, "side": "top", "range": [-0.5, 61.5]},
        "yaxis": {**axis, "title": {"text": "written"}, "autorange": False, "range": [61.5, -0.5]},
        "clickmode": "event+select",
    }  # fmt: skip
    return {"data": [trace], "layout": layout}


def histogram_figure(buckets: Sequence[Bucket], title: str) -> go.Figure:
    figure = go.Figure(go.Bar(x=[b.label for b in buckets], y=[b.count for b in buckets], marker_color="#3358d4",
                              hovertemplate="%{x}: %{y} samples<extra></extra>"))  # fmt: skip
    figure.update_layout(height=280, margin=_MARGIN, title=title, xaxis=dict(type="category", tickangle=-45),
                         yaxis=dict(title="samples", rangemode="tozero"))  # fmt: skip
    return figure


def reliability_figure(reliability: Reliability) -> go.Figure:
    """Accuracy against confidence per bin; on the diagonal the confidence is honest."""
    bins = [b for b in reliability.bins if b.count]
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dash", color="#8a93a6"),
                                name="honest", hoverinfo="skip"))  # fmt: skip
    figure.add_trace(
        go.Scatter(
            x=[b.avg_confidence for b in bins],
            y=[b.accuracy for b in bins],
            mode="lines+markers",
            name="model",
            marker=dict(size=[6 + 14 * (b.count / max(x.count for x in bins)) for b in bins], color="#3358d4"),
            customdata=[[b.count] for b in bins],
            hovertemplate="confidence %{x:.0%}: right %{y:.0%} of %{customdata[0]}<extra></extra>",
        )  # fmt: skip
    )
    ece = "" if reliability.ece is None else f" · ECE {reliability.ece:.3f}"
    figure.update_layout(
        height=320, margin=_MARGIN, title=f"Reliability diagram{ece}", showlegend=False,
        xaxis=dict(title="confidence", range=[0, 1], tickformat=".0%"),
        yaxis=dict(title="accuracy", range=[0, 1.02], tickformat=".0%"),
    )  # fmt: skip
    return figure


def per_day_figure(days: Sequence[DayCount]) -> go.Figure:
    """One bar a day; ticks on whole days (never hours of one day), at most MAX_DAY_TICKS of them."""
    figure = go.Figure(go.Bar(x=[d.day for d in days], y=[d.samples for d in days], marker_color="#3358d4",
                              hovertemplate="%{x|%d %b %Y}: %{y} samples<extra></extra>"))  # fmt: skip
    xaxis: dict = dict(type="date", tickformat="%d %b %Y")
    if days:
        first, last = min(d.day for d in days), max(d.day for d in days)
        span = (last - first).days + 1
        half_day = timedelta(hours=12)  # each bar is centred on its day: keep the outer bars whole
        xaxis.update(
            dtick=DAY_MS * max(1, -(-span // MAX_DAY_TICKS)),
            tick0=str(first),
            range=[str(datetime.combine(first, time()) - half_day), str(datetime.combine(last, time()) + half_day)],
        )
    figure.update_layout(height=280, margin=_MARGIN, title="Samples per day (UTC)", xaxis=xaxis,
                         yaxis=dict(title="samples", rangemode="tozero"))  # fmt: skip
    return figure


def per_version_figure(versions: Sequence[VersionAccuracy]) -> go.Figure:
    figure = go.Figure(
        go.Bar(
            x=[v.version for v in versions],
            y=[v.accuracy for v in versions],
            marker_color="#3358d4",
            text=[f"{v.accuracy:.0%} of {v.predicted}" for v in versions],
            textposition="auto",
            hovertemplate="%{x}: %{y:.1%}<extra></extra>",
        )  # fmt: skip
    )
    figure.update_layout(height=280, margin=_MARGIN, title="Accuracy per model version (in the order used)",
                         xaxis=dict(type="category"), yaxis=dict(range=[0, 1.02], tickformat=".0%"))  # fmt: skip
    return figure
