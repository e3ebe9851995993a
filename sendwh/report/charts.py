"""Charts as inline SVG, drawn by matplotlib: no script, no font or style fetched from
anywhere, so the report opens from a file share or an email with no internet, and the SVG
prints. Each series differs by colour AND by marker, line style or hatch, so colour is never
the only signal (black-and-white print, colour blindness).

Why matplotlib: it draws SVG in-process with nothing to download (Altair needs
`vl-convert-python`, a 30 MB JavaScript engine, to make SVG offline; Plotly's inlined script
is 3.5 MB per page and needs JavaScript to draw). The SVG keeps its text as text
(`svg.fonttype: none`) and is the same bytes for the same figures (fixed hash salt, no date).
"""
from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the file-only backend
from matplotlib.ticker import FuncFormatter  # noqa: E402

plt.rcParams.update({
    "svg.fonttype": "none",
    "svg.hashsalt": "sendwh",
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#d0d0d0",
    "grid.linewidth": 0.5,
})

# Okabe-Ito (distinguishable with colour blindness), each with its own marker and line style
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1)), "-", "--")
HATCHES = ("", "///", "...", "xxx", "\\\\\\", "++", "ooo", "---")

Series = Mapping[str, Sequence[tuple[object, float | None]]]


def _svg(fig, title: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg"):]                    # no XML declaration or DOCTYPE inline
    text = re.sub(r'<svg ', f'<svg role="img" aria-label="{_escape(title)}" ', text, count=1)
    return text


def _money(value: float, _position=None) -> str:
    return f"£{value / 1e6:,.1f}m" if abs(value) >= 1e6 else f"£{value / 1e3:,.0f}k"


def _axes(ax, ylabel: str, money: bool) -> None:
    ax.set_ylabel(ylabel)
    if money:
        ax.yaxis.set_major_formatter(FuncFormatter(_money))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def lines(series: Series, *, title: str, ylabel: str, reference: Mapping[str, float] | None = None,
          percent: bool = False, money: bool = False, width: float = 7.5, height: float = 3.2) -> str:
    """One line per series over x (years or months); `reference` draws labelled horizontal
    lines (milestones, targets)."""
    fig, ax = plt.subplots(figsize=(width, height))
    for i, (name, points) in enumerate(series.items()):
        xs = [x for x, y in points if y is not None]
        ys = [float(y) for _, y in points if y is not None]
        ax.plot(xs, ys, label=name, color=COLOURS[i % 8], marker=MARKERS[i % 8], markersize=4,
                linestyle=LINES[i % 8], linewidth=1.4)
    for label, value in (reference or {}).items():
        ax.axhline(value, color="#444444", linewidth=0.9, linestyle=":")
        ax.annotate(label, xy=(0.01, value), xycoords=("axes fraction", "data"),
                    xytext=(0, 3), textcoords="offset points", fontsize=8)
    _axes(ax, ylabel, money)
    if percent:
        ax.set_ylim(0, 105)
    if any(isinstance(x, str) for points in series.values() for x, _ in points):
        ax.tick_params(axis="x", labelrotation=45)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return _svg(fig, title)


def bars(categories: Sequence[str], groups: Mapping[str, Sequence[float]], *, title: str,
         ylabel: str, stacked: bool = False, money: bool = False, width: float = 7.5,
         height: float = 3.2) -> str:
    """Grouped or stacked bars: one bar (or segment) per group in each category, each group
    with its own hatch."""
    fig, ax = plt.subplots(figsize=(width, height))
    n = max(1, len(groups))
    positions = range(len(categories))
    bottoms = [0.0] * len(categories)
    for i, (name, values) in enumerate(groups.items()):
        values = [float(v or 0) for v in values]
        if stacked:
            ax.bar(list(positions), values, 0.7, bottom=bottoms, label=name, color=COLOURS[i % 8],
                   hatch=HATCHES[i % 8], edgecolor="#222222", linewidth=0.4)
            bottoms = [b + v for b, v in zip(bottoms, values)]
        else:
            offset = (i - (n - 1) / 2) * 0.8 / n
            ax.bar([p + offset for p in positions], values, 0.8 / n, label=name,
                   color=COLOURS[i % 8], hatch=HATCHES[i % 8], edgecolor="#222222", linewidth=0.4)
    ax.set_xticks(list(positions), [str(c) for c in categories],
                  rotation=30 if len(categories) > 8 else 0, ha="right" if len(categories) > 8 else "center")
    _axes(ax, ylabel, money)
    ax.grid(axis="x", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return _svg(fig, title)


def fan(history: Sequence[tuple[int, float]], forecast: Sequence[tuple[int, float, float, float]], *,
        title: str, ylabel: str, width: float = 3.6, height: float = 2.6) -> str:
    """Actuals as a solid line with dots, then the median forecast dashed inside its p10-p90
    band (hatched, so the band survives black-and-white print)."""
    fig, ax = plt.subplots(figsize=(width, height))
    if history:
        ax.plot([x for x, _ in history], [float(y) for _, y in history], color=COLOURS[6],
                marker="o", markersize=3, linewidth=1.4, label="actual (January census)")
    if forecast:
        xs = [f[0] for f in forecast]
        low = [float(f[1]) for f in forecast]
        mid = [float(f[2]) for f in forecast]
        high = [float(f[3]) for f in forecast]
        if history:                                     # join the fan to the last actual
            xs, low, mid, high = ([history[-1][0]] + xs, [float(history[-1][1])] + low,
                                  [float(history[-1][1])] + mid, [float(history[-1][1])] + high)
        # a light fill for the screen; the hatch and the dotted edges in dark grey, at full
        # opacity, so the band still reads printed in black and white
        ax.fill_between(xs, low, high, facecolor=COLOURS[0], alpha=0.2, linewidth=0)
        ax.fill_between(xs, low, high, facecolor="none", hatch="///", edgecolor="#555555",
                        linewidth=0, label="80% range (p10 to p90)")
        for edge in (low, high):
            ax.plot(xs, edge, color="#333333", linestyle=":", linewidth=0.8)
        ax.plot(xs, mid, color=COLOURS[0], linestyle="--", marker="s", markersize=3,
                linewidth=1.4, label="median forecast")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left", fontsize=7, frameon=False)
    return _svg(fig, title)


def calibration(series: Series, *, title: str, band: tuple[float, float] = (75.0, 85.0),
                target: float = 80.0, width: float = 6.0, height: float = 3.0) -> str:
    """Interval coverage (%) by horizon, one line per model, over the target band (shaded and
    hatched) and the nominal level (dotted): a calibrated model's line stays in the band."""
    fig, ax = plt.subplots(figsize=(width, height))
    ax.axhspan(band[0], band[1], color="#cccccc", alpha=0.5, hatch="..", linewidth=0,
               label=f"target {band[0]:g}-{band[1]:g}%")
    ax.axhline(target, color="#444444", linewidth=0.9, linestyle=":", label=f"nominal {target:g}%")
    horizons = sorted({x for points in series.values() for x, _ in points})
    for i, (name, points) in enumerate(series.items()):
        xs = [x for x, y in points if y is not None]
        ys = [float(y) for _, y in points if y is not None]
        ax.plot(xs, ys, label=name, color=COLOURS[i % 8], marker=MARKERS[i % 8], markersize=5,
                linestyle=LINES[i % 8], linewidth=1.4)
    ax.set_xticks(horizons, [f"{h} yr" for h in horizons])
    ax.set_xlabel("years ahead")
    _axes(ax, "outcomes inside the 80% interval (%)", False)
    ax.set_ylim(50, 100)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return _svg(fig, title)
