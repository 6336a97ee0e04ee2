"""The benchmarks' plots, drawn with matplotlib: grouped bars, annotated heatmaps, grids of x-y panels.

Three shapes cover every plot the benchmarks and the population study make: `bar_chart` (paper
against ours per row, with error bars), `heatmaps` (correlation matrices side by side) and
`panels` (scatter plots, curves through training, strip plots of scores per group). Legends sit
outside the axes, so they cover no data. Figures are made with `matplotlib.figure.Figure` (no
pyplot, no global state, no display needed) and written atomically through `zoo.files`; the PNG
carries no software version, so the same numbers give the same file.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.transforms import offset_copy

from zoo.files import write_bytes

PAPER, OURS = "#8c8c8c", "#1f77b4"  # paper grey, ours blue
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]  # matplotlib's tab10, so series read as in most papers' plots
DPI = 100


def _save(figure: Figure, path) -> Path:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return write_bytes(path, buffer.getvalue())


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def color(spec):
    """A palette index, an `(r, g, b)` in 0..255, or a matplotlib colour."""
    if isinstance(spec, int):
        return PALETTE[spec % len(PALETTE)]
    if isinstance(spec, (tuple, list)) and len(spec) == 3 and max(spec) > 1:
        return tuple(c / 255.0 for c in spec)
    return spec


def bar_chart(path, title: str, labels: list[str], series: list[tuple], *, xmax: float = 100.0,
              xlabel: str = "") -> Path:
    """Horizontal grouped bars, one group per label, the first label on top.

    Args:
      path: PNG to write.
      title: above the plot.
      labels: one per group (row).
      series: `(name, means, stds)` or `(name, means, stds, missing)` per series (the first grey,
        the second blue); a mean of None leaves its bar out and writes `missing[i]` (default
        "n/a") in its place.
      xmax: the axis runs from 0 to xmax.
      xlabel: the axis' label, with its unit.
    """
    rows, bars = len(labels), len(series)
    height = 0.8 / bars
    figure = Figure(figsize=(8.5, 1.2 + 0.42 * rows * bars / 2 + 0.8), layout="constrained")
    ax = figure.add_subplot()
    for j, (name, means, stds, *missing) in enumerate(series):
        tint = (PAPER, OURS)[j % 2]
        for i in range(rows):
            y = i + (j - (bars - 1) / 2) * height
            mean = means[i]
            if _missing(mean):
                ax.text(xmax * 0.01, y, missing[0][i] if missing else "n/a", va="center", fontsize=8, color="#666666")
                continue
            std = stds[i] or 0.0
            ax.barh(y, mean, height=height * 0.9, color=tint, label=name if i == 0 else None,
                    xerr=std if std > 0 else None, error_kw={"elinewidth": 1, "capsize": 2})
            ax.text(min(mean + std, xmax) + xmax * 0.01, y, f"{mean:.1f}", va="center", fontsize=8)
        if all(_missing(m) for m in means):  # keep the series in the legend
            ax.barh([], [], color=tint, label=name)
    ax.set_yticks(range(rows), labels)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_xlim(0, xmax * 1.1)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", color="#e4e4e4")
    ax.set_axisbelow(True)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=len(series), frameon=False, fontsize=9)
    figure.suptitle(title, fontsize=11)
    return _save(figure, path)


def heatmaps(path, panels: list[tuple[str, list[list[float]]]], labels: list[str], *, title: str = "",
             unit: str = "Spearman rank correlation (%)") -> Path:
    """Side-by-side annotated heatmaps of square matrices with values in [-1, 1] (written as %).

    Args:
      path: PNG to write.
      panels: `(panel title, matrix [n][n])`; NaN or None cells are grey and read "n/a".
      labels: the n row and column names.
      title: above the panels.
      unit: the colour bar's label.
    """
    n = len(labels)
    figure = Figure(figsize=(0.9 + len(panels) * (1.2 + 0.62 * n), 1.6 + 0.55 * n), layout="constrained")
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    image = None
    for ax, (panel_title, matrix) in zip(axes, panels):
        values = [[math.nan if _missing(v) else 100.0 * v for v in row] for row in matrix]
        image = ax.imshow(values, cmap="RdBu_r", vmin=-100, vmax=100)
        ax.set_facecolor("#e4e4e4")  # NaN cells
        for i in range(n):
            for j in range(n):
                v = values[i][j]
                ax.text(j, i, "n/a" if math.isnan(v) else f"{v:.0f}", ha="center", va="center", fontsize=8,
                        color="white" if not math.isnan(v) and abs(v) > 60 else "black")
        ax.set_xticks(range(n), labels, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(n), labels, fontsize=8)
        ax.set_title(panel_title, fontsize=9)
    if image is not None:
        figure.colorbar(image, ax=list(axes), label=unit, shrink=0.8)
    if title:
        figure.suptitle(title, fontsize=11)
    return _save(figure, path)


def panels(path, panel_specs: list[dict], *, title: str = "", columns: int = 3, size=(400, 270)) -> Path:
    """A grid of x-y panels.

    Args:
      path: PNG to write.
      panel_specs: one dict per panel: `title`, `series` (below), `xlabel` and `ylabel` (with
        units), and optionally `xticks` (`[(x, label)]`, for categorical axes), `xlim`/`ylim`
        (`(lo, hi)`). A series is a dict: `name` (legend; None leaves it out), `points`
        (`[(x, y)]`, non-finite points skipped), `color` (palette index, `(r, g, b)` in 0..255 or a
        matplotlib colour), `line` (join the points in order), `markers` (default True), `dashed`,
        `labels` (text beside each point).
      title: above the grid.
      columns: panels per row.
      size: `(width, height)` in pixels of one panel with its labels (its legend comes under it).
    """
    return _save(panels_figure(panel_specs, title=title, columns=columns, size=size), path)


def panels_figure(panel_specs: list[dict], *, title: str = "", columns: int = 3, size=(400, 270)) -> Figure:
    """The `panels` figure, not yet written (its axes and legends can be inspected)."""
    columns = min(columns, len(panel_specs))
    rows = math.ceil(len(panel_specs) / columns)
    legend_rows = max([math.ceil(sum(1 for s in spec["series"] if s.get("name")) / 3) for spec in panel_specs] or [0])
    panel_height = size[1] / DPI + 0.22 * legend_rows
    figure = Figure(figsize=(columns * size[0] / DPI, rows * panel_height + (0.4 if title else 0)),
                    layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, spec in zip(axes, panel_specs):
        _panel(ax, spec)
    for ax in axes[len(panel_specs):]:
        ax.set_visible(False)
    if title:
        figure.suptitle(title, fontsize=11)
    return figure


def _finite(point) -> bool:
    x, y = point[:2]
    return x is not None and y is not None and math.isfinite(x) and math.isfinite(y)


def _panel(ax, spec: dict) -> None:
    for i, series in enumerate(spec["series"]):
        tint = color(series.get("color", i))
        kept = [(p[0], p[1], j) for j, p in enumerate(series["points"]) if _finite(p)]
        xs, ys = [p[0] for p in kept], [p[1] for p in kept]
        name = series.get("name")
        if series.get("line") and len(kept) > 1:
            ax.plot(xs, ys, color=tint, linewidth=1.6, linestyle="--" if series.get("dashed") else "-",
                    label=name if not series.get("markers", True) else None)
        if series.get("markers", True):
            ax.scatter(xs, ys, s=18, color=tint, edgecolors="black", linewidths=0.4, zorder=3, label=name)
        labels = series.get("labels")
        for x, y, j in kept:
            if labels and labels[j]:
                ax.annotate(str(labels[j]), (x, y), xytext=(4, 3), textcoords="offset points", fontsize=7,
                            color=tint, annotation_clip=True)
    if spec.get("xticks"):
        rotation = spec.get("xtick_rotation", 0)
        ax.set_xticks([x for x, _ in spec["xticks"]], [label for _, label in spec["xticks"]], fontsize=8,
                      rotation=rotation, ha="right" if rotation else "center")
        xs = [x for x, _ in spec["xticks"]]
        ax.set_xlim(*(spec.get("xlim") or (min(xs) - 0.5, max(xs) + 0.5)))
    elif spec.get("xlim"):
        ax.set_xlim(*spec["xlim"])
    if spec.get("ylim"):
        ax.set_ylim(*spec["ylim"])
    ax.margins(x=0.08, y=0.1)
    ax.tick_params(labelsize=8)
    ax.set_title(spec.get("title", ""), fontsize=9)
    ax.set_xlabel(spec.get("xlabel", ""), fontsize=8)
    ax.set_ylabel(spec.get("ylabel", ""), fontsize=8)
    ax.grid(color="#e4e4e4", linewidth=0.6)
    ax.set_axisbelow(True)
    if ax.get_legend_handles_labels()[0]:
        # Under the axis label (30 points below the axes, more under tilted tick labels: about 4.6 points
        # a character at size 8), where it covers nothing.
        tilt = math.sin(math.radians(spec.get("xtick_rotation", 0))) * max(
            (4.6 * len(str(label)) for _, label in spec.get("xticks") or []), default=0)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, frameon=False, fontsize=7,
                  bbox_transform=offset_copy(ax.transAxes, fig=ax.figure, y=-30 - tilt, units="points"))
