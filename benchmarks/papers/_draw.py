"""Plots for the benchmarks, drawn with Pillow (matplotlib is not a dependency).

Two kinds: grouped horizontal bars with error whiskers (paper vs ours per row) and annotated
correlation heatmaps. Both write PNG atomically (`zoo.files.write_png`: a temporary file, then a rename).
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from zoo.files import write_png

WHITE, BLACK, GREY, LIGHT = (255, 255, 255), (20, 20, 20), (150, 150, 150), (228, 228, 228)
SERIES = [(140, 140, 140), (31, 119, 180)]  # paper grey, ours blue


def font(size: int = 14):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _text_width(draw, text, f) -> float:
    return draw.textlength(text, font=f)


def _save(image: Image.Image, path) -> Path:
    return write_png(path, image)


def bar_chart(path, title: str, labels: list[str], series: list[tuple[str, list, list]], *,
              xmax: float = 100.0, xlabel: str = "") -> Path:
    """Horizontal grouped bars, one group per label.

    Args:
      path: PNG to write.
      title: drawn at the top.
      labels: one per group (row), drawn left of the bars.
      series: `(name, means, stds)` or `(name, means, stds, missing)` per series; a mean of None
        leaves its bar out and writes `missing[i]` (default "n/a") in its place.
      xmax: the axis runs from 0 to xmax.
      xlabel: under the axis.
    """
    f, small, big = font(14), font(12), font(17)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    left = int(max(_text_width(probe, s, f) for s in labels)) + 24
    bar_h, gap = 14, 12
    group_h = bar_h * len(series) + gap
    top, plot_w, right = 70, 620, 70
    height = top + group_h * len(labels) + 60
    image = Image.new("RGB", (left + plot_w + right, height), WHITE)
    draw = ImageDraw.Draw(image)
    draw.text((12, 10), title, fill=BLACK, font=big)
    x_of = lambda v: left + plot_w * max(0.0, min(v, xmax)) / xmax  # noqa: E731
    bottom = top + group_h * len(labels)
    for tick in range(0, int(xmax) + 1, max(1, int(xmax) // 10)):
        x = x_of(tick)
        draw.line([(x, top - 4), (x, bottom)], fill=LIGHT)
        draw.text((x - _text_width(draw, str(tick), small) / 2, bottom + 4), str(tick), fill=BLACK, font=small)
    if xlabel:
        draw.text((left + plot_w / 2 - _text_width(draw, xlabel, f) / 2, bottom + 22), xlabel, fill=BLACK, font=f)
    lx = left
    for (name, *_), color in zip(series, SERIES):
        draw.rectangle([lx, 44, lx + 14, 56], fill=color)
        draw.text((lx + 20, 42), name, fill=BLACK, font=f)
        lx += 40 + _text_width(draw, name, f)
    for i, label in enumerate(labels):
        y0 = top + i * group_h
        draw.text((left - 12 - _text_width(draw, label, f), y0 + group_h / 2 - 10), label, fill=BLACK, font=f)
        for j, (entry, color) in enumerate(zip(series, SERIES)):
            _, means, stds, *missing = entry
            y = y0 + j * bar_h
            mean = means[i]
            if mean is None or (isinstance(mean, float) and math.isnan(mean)):
                draw.text((left + 4, y), missing[0][i] if missing else "n/a", fill=GREY, font=small)
                continue
            draw.rectangle([left, y + 1, x_of(mean), y + bar_h - 2], fill=color)
            std = stds[i] or 0.0
            if std > 0:
                yc = y + bar_h / 2
                draw.line([(x_of(mean - std), yc), (x_of(mean + std), yc)], fill=BLACK, width=1)
                for v in (mean - std, mean + std):
                    draw.line([(x_of(v), yc - 3), (x_of(v), yc + 3)], fill=BLACK)
            draw.text((x_of(mean + std) + 4, y), f"{mean:.1f}", fill=BLACK, font=small)
    draw.line([(left, top - 4), (left, bottom)], fill=BLACK)
    return _save(image, path)


def _diverging(value: float):
    """-1 blue, 0 white, +1 red; NaN light grey."""
    if value is None or math.isnan(value):
        return LIGHT
    v = max(-1.0, min(1.0, value))
    red, blue = (202, 0, 32), (5, 113, 176)
    end = red if v > 0 else blue
    t = abs(v)
    return tuple(int(round(255 + (c - 255) * t)) for c in end)


def heatmaps(path, panels: list[tuple[str, list[list[float]]]], labels: list[str], *, title: str = "") -> Path:
    """Side-by-side annotated heatmaps of square matrices with values in [-1, 1] (drawn as %).

    Args:
      path: PNG to write.
      panels: `(panel title, matrix [n][n])`; NaN cells are grey and read "n/a".
      labels: the n row/column names.
      title: drawn above the panels.
    """
    f, small, big = font(13), font(12), font(17)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    cell = max(64, int(max(_text_width(probe, s, small) for s in labels)) + 10)
    left = int(max(_text_width(probe, s, f) for s in labels)) + 16
    n = len(labels)
    panel_w = left + cell * n + 30
    top = 70 + (30 if title else 0)
    height = top + cell * n + 40
    image = Image.new("RGB", (panel_w * len(panels) + 20, height), WHITE)
    draw = ImageDraw.Draw(image)
    if title:
        draw.text((12, 10), title, fill=BLACK, font=big)
    for p, (panel_title, matrix) in enumerate(panels):
        x0 = 10 + p * panel_w
        draw.text((x0 + left, top - 52), panel_title, fill=BLACK, font=f)
        for j, label in enumerate(labels):
            cx = x0 + left + j * cell + cell / 2
            draw.text((cx - _text_width(draw, label, small) / 2, top - 22), label, fill=BLACK, font=small)
        for i, label in enumerate(labels):
            y = top + i * cell
            draw.text((x0 + left - 8 - _text_width(draw, label, f), y + cell / 2 - 8), label, fill=BLACK, font=f)
            for j in range(n):
                value = matrix[i][j]
                x = x0 + left + j * cell
                draw.rectangle([x, y, x + cell - 2, y + cell - 2], fill=_diverging(value))
                text = "n/a" if value is None or math.isnan(value) else f"{100 * value:.0f}"
                shade = WHITE if value is not None and not math.isnan(value) and abs(value) > 0.6 else BLACK
                draw.text((x + cell / 2 - _text_width(draw, text, f) / 2, y + cell / 2 - 9), text, fill=shade, font=f)
    return _save(image, path)
