"""Plots as inline SVG: horizontal bar charts and line charts, drawn with matplotlib.

matplotlib is imported lazily, and only through :class:`matplotlib.figure.Figure`
(never ``pyplot``), so no global backend or figure registry is touched; a lock keeps
the style settings of plots drawn from several threads apart. Text is kept as SVG
``<text>`` (``svg.fonttype='none'``), which matplotlib escapes; labels from the data
also get their ``$`` escaped so that matplotlib does not parse them as mathtext. The
result is bounded in size whatever the data: bar charts keep the largest
``max_bars`` bars and fold the rest into one.
"""

from __future__ import annotations

import io
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from audits.report._format import fmt_number, shorten, visible_controls

__all__ = ["Reference", "Series", "bar_chart", "line_chart"]

PALETTE = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#0891b2", "#be123c", "#4b5563")
_WIDE = (6.4, 3.4)
_SMALL = (3.0, 1.7)
_LABEL_WIDTH = 34
_RC_LOCK = threading.Lock()  # rc_context changes process-wide settings: one plot at a time

_STYLE = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9ca3af",
    "axes.labelcolor": "#374151",
    "axes.grid": True,
    "grid.color": "#e5e7eb",
    "grid.linewidth": 0.6,
    "xtick.color": "#4b5563",
    "ytick.color": "#4b5563",
    "legend.frameon": False,
    "legend.fontsize": 7.5,
}


@dataclass(frozen=True)
class Series:
    """One line (or set of points) of a line chart.

    Attributes
    ----------
    name : str
        Legend entry (empty: no entry).
    x, y : sequence of float of shape (m,)
        Points with a missing or non-finite coordinate are dropped.
    low, high : sequence of float of shape (m,), optional
        A shaded band between them.
    err : sequence of float of shape (m,), optional
        Error bars of half-height ``err``.
    group : str
        Series of one group share a colour (e.g. one model's measurements and curve).
    style : {"line", "dashed", "points"}
    """

    name: str
    x: Sequence[Any]
    y: Sequence[Any]
    low: Sequence[Any] | None = None
    high: Sequence[Any] | None = None
    err: Sequence[Any] | None = None
    group: str = ""
    style: str = "line"


@dataclass(frozen=True)
class Reference:
    """A labelled reference line: ``axis="x"`` is vertical at ``x=value``, ``"y"`` horizontal."""

    axis: str
    value: float
    label: str


def plot_text(text: Any, width: int = _LABEL_WIDTH) -> str:
    """Data-derived text made safe for matplotlib: shortened, ``$`` escaped (no mathtext),
    direction controls shown (:func:`visible_controls`)."""
    return visible_controls(shorten(text, width)).replace("$", r"\$")


def _finite(*values: Any) -> bool:
    return all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values
    )


def _svg(key: str, title: str, size: tuple[float, float], draw: Callable[[Any], None]) -> Markup:
    """Draw with ``draw(figure)`` and return the SVG element, ready to inline in HTML."""
    import matplotlib
    from matplotlib.figure import Figure

    buffer = io.StringIO()
    with _RC_LOCK, matplotlib.rc_context({**_STYLE, "svg.hashsalt": key}):
        figure = Figure(figsize=size, layout="constrained")
        draw(figure)
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.S)
    label = escape(title)
    text = re.sub(
        r'<svg ([^>]*?)width="[^"]*" height="[^"]*"',
        lambda m: f'<svg {m.group(1)}class="plot" role="img" aria-label="{label}"',
        text,
        count=1,
    )
    return Markup(text.strip())


def bar_chart(
    key: str,
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    xlabel: str,
    max_bars: int = 30,
    other: str | None = "other",
    value_format: Callable[[Any], str] = fmt_number,
    xlim: tuple[float, float] | None = None,
) -> Markup:
    """A horizontal bar chart, largest bars kept.

    Parameters
    ----------
    key : str
        Unique on the page (seeds the SVG element ids).
    bars : sequence of (label, value)
        In display order, top first.
    title, xlabel : str
    max_bars : int, default=30
        Bars beyond the first ``max_bars`` are summed into one bar (see ``other``).
    other : str or None, default="other"
        Label of the summed bar (``"other (k)"``); None drops the extra bars instead
        (for values that do not add up, such as rates).
    value_format : callable, default=fmt_number
        Formats the value printed at the end of each bar.
    xlim : (float, float), optional

    Returns
    -------
    Markup
        The ``<svg>`` element; empty when there are no bars.
    """
    shown = [(str(label), float(value)) for label, value in bars[:max_bars] if _finite(value)]
    rest = [v for _, v in bars[max_bars:] if _finite(v)]
    if other is not None and rest:
        shown.append((f"{other} ({len(rest)})", float(sum(rest))))
    if not shown:
        return Markup("")

    def draw(figure: Any) -> None:
        ax = figure.add_subplot()
        positions = range(len(shown))
        colors = [PALETTE[0]] * len(shown)
        if other is not None and rest:
            colors[-1] = PALETTE[-1]
        rects = ax.barh(positions, [v for _, v in shown], color=colors, height=0.7)
        ax.set_yticks(list(positions), [plot_text(label) for label, _ in shown])
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        ax.bar_label(rects, [value_format(v) for _, v in shown], padding=3, fontsize=7.5)
        ax.set_xlim(*(xlim or (0, max(v for _, v in shown) * 1.15 or 1.0)))
        ax.set_title(plot_text(title, 90))
        ax.set_xlabel(plot_text(xlabel, 90))

    height = min(1.0 + 0.2 * len(shown), 8.0)
    return _svg(key, title, (_WIDE[0], max(height, 1.8)), draw)


def line_chart(
    key: str,
    series: Sequence[Series],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    references: Sequence[Reference] = (),
    logx: bool = False,
    logy: bool = False,
    small: bool = False,
) -> Markup:
    """A line chart with optional bands, error bars and reference lines.

    Parameters
    ----------
    key : str
        Unique on the page.
    series : sequence of Series
    title, xlabel, ylabel : str
    references : sequence of Reference
    logx, logy : bool, default=False
        Logarithmic axes (non-positive values are dropped).
    small : bool, default=False
        A small multiple (trend) instead of a full-width chart.

    Returns
    -------
    Markup
        The ``<svg>`` element; empty when no series has a point to draw.
    """

    def keep(*values: Any) -> bool:
        return (
            _finite(*values)
            and not (logx and values[0] <= 0)
            and not (logy and any(v <= 0 for v in values[1:]))
        )

    drawable = [s for s in series if any(keep(x, y) for x, y in zip(s.x, s.y, strict=True))]
    if not drawable:
        return Markup("")
    groups = list(dict.fromkeys(s.group or s.name for s in drawable))

    def draw(figure: Any) -> None:
        from matplotlib.ticker import MaxNLocator

        ax = figure.add_subplot()
        for s in drawable:
            color = PALETTE[groups.index(s.group or s.name) % len(PALETTE)]
            label = plot_text(s.name) if s.name else None
            if s.low is not None and s.high is not None:
                band = [
                    (x, lo, hi)
                    for x, lo, hi in zip(s.x, s.low, s.high, strict=True)
                    if keep(x, lo, hi)
                ]
                if band:
                    bx, blo, bhi = zip(*band, strict=True)
                    ax.fill_between(bx, blo, bhi, color=color, alpha=0.15, linewidth=0)
            points = [
                (x, y, e)
                for x, y, e in zip(s.x, s.y, s.err or [0.0] * len(s.x), strict=True)
                if keep(x, y) and _finite(e)
            ]
            if not points:
                continue
            xs, ys, errs = zip(*points, strict=True)
            if s.style == "points":
                ax.errorbar(
                    xs,
                    ys,
                    yerr=errs if s.err is not None else None,
                    fmt="o",
                    color=color,
                    markersize=3.5,
                    capsize=2,
                    elinewidth=0.8,
                    label=label,
                )
            else:
                ax.plot(
                    xs,
                    ys,
                    color=color,
                    linewidth=1.6 if not small else 1.2,
                    linestyle="--" if s.style == "dashed" else "-",
                    marker="o" if small else None,
                    markersize=2.5,
                    label=label,
                )
        for ref in references:
            if not keep(ref.value, ref.value):
                continue
            line = ax.axvline if ref.axis == "x" else ax.axhline
            line(ref.value, color="#6b7280", linestyle=":", linewidth=1.0)
            if ref.axis == "x":
                ax.annotate(
                    plot_text(ref.label, 40),
                    (ref.value, 1.0),
                    xycoords=("data", "axes fraction"),
                    rotation=90,
                    ha="right",
                    va="top",
                    fontsize=7,
                    color="#4b5563",
                )
            else:
                ax.annotate(
                    plot_text(ref.label, 40),
                    (0.01, ref.value),
                    xycoords=("axes fraction", "data"),
                    ha="left",
                    va="bottom",
                    fontsize=7,
                    color="#4b5563",
                )
        if logx:
            ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        if small:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            values = [y for s in drawable for y in s.y if _finite(y)]
            if not logy and min(values) >= 0:  # trends of counts and rates start at zero
                ax.set_ylim(0, max(values) * 1.15 or 1.0)
        ax.set_title(plot_text(title, 60 if small else 90))
        ax.set_xlabel(plot_text(xlabel, 60))
        ax.set_ylabel(plot_text(ylabel, 40))
        if any(s.name for s in drawable) and not small:
            ax.legend(loc="best")

    return _svg(key, title, _SMALL if small else _WIDE, draw)
