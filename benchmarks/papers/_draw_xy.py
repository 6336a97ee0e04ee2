"""x-y plots for the benchmarks, drawn with Pillow like `_draw.py` (matplotlib is not a dependency).

One function, `panels`: a grid of small x-y panels, each with any number of series drawn as
points, lines or both, optional text beside points, categorical or numeric x ticks, and a legend
under each panel. Scatter plots, curves through training and strip plots of scores per group are
all this one shape. PNGs are written atomically through `_draw._save`.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

from benchmarks.papers._draw import BLACK, GREY, LIGHT, WHITE, _save, _text_width, font

# matplotlib's tab10, so series read the same as in most papers' plots.
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def color(i: int):
    return PALETTE[i % len(PALETTE)]


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0) * 0.1
        lo = lo - (abs(lo) or 1.0) * 0.1
    raw = (hi - lo) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(lo / step) * step
    ticks, value = [], first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000 and float(value).is_integer():
        return f"{int(value)}"
    if abs(value) >= 1000 or abs(value) < 0.01:
        return f"{value:.0e}"
    return f"{value:.3g}"


def _finite(point) -> bool:
    x, y = point[:2]
    return x is not None and y is not None and math.isfinite(x) and math.isfinite(y)


def _dashed(draw, a, b, fill, width=2, dash=7):
    length = math.dist(a, b)
    if length == 0:
        return
    for start in range(0, int(length), 2 * dash):
        t0, t1 = start / length, min(start + dash, length) / length
        draw.line([(a[0] + (b[0] - a[0]) * t0, a[1] + (b[1] - a[1]) * t0),
                   (a[0] + (b[0] - a[0]) * t1, a[1] + (b[1] - a[1]) * t1)], fill=fill, width=width)


def panels(path, panel_specs: list[dict], *, title: str = "", columns: int = 3, size=(400, 270)) -> Path:
    """A grid of x-y panels.

    Args:
      path: PNG to write.
      panel_specs: one dict per panel: `title`, `series` (list below), and optionally `xlabel`,
        `ylabel`, `xticks` (`[(x, label)]`, for categorical axes), `xlim`/`ylim` (`(lo, hi)`).
        A series is a dict: `name` (legend; None leaves it out), `points` (`[(x, y)]`, non-finite
        points skipped), `color` (palette index or RGB), `line` (join the points in order),
        `markers` (default True), `dashed`, `labels` (text beside each point).
      title: drawn above the grid.
      columns: panels per row.
      size: `(width, height)` of one panel's plot area plus its axis labels.
    """
    f, small, big = font(13), font(11), font(17)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    legend_line = 16
    legend_rows = []
    for spec in panel_specs:
        names = [s["name"] for s in spec["series"] if s.get("name")]
        per_row = max(1, int((size[0] - 20) // (max([_text_width(probe, n, small) for n in names] or [0]) + 34)))
        legend_rows.append(math.ceil(len(names) / per_row) if names else 0)
    panel_h = size[1] + 34 + legend_line * max(legend_rows or [0]) + 10
    panel_w = size[0] + 20
    rows = math.ceil(len(panel_specs) / columns)
    top = 44 if title else 10
    image = Image.new("RGB", (panel_w * min(columns, len(panel_specs)) + 10, top + rows * panel_h), WHITE)
    draw = ImageDraw.Draw(image)
    if title:
        draw.text((12, 10), title, fill=BLACK, font=big)
    for index, spec in enumerate(panel_specs):
        x0 = 10 + (index % columns) * panel_w
        y0 = top + (index // columns) * panel_h
        _panel(draw, spec, x0, y0, size, f, small)
    return _save(image, path)


def _panel(draw, spec, x0, y0, size, f, small):
    width, height = size
    left, right, top, bottom = x0 + 56, x0 + width, y0 + 26, y0 + height - 26
    draw.text((x0 + 4, y0 + 2), spec.get("title", ""), fill=BLACK, font=f)
    points = [p for s in spec["series"] for p in s["points"] if _finite(p)]
    if spec.get("xticks"):
        xs = [x for x, _ in spec["xticks"]]
        xlim = spec.get("xlim") or (min(xs) - 0.5, max(xs) + 0.5)
    else:
        xlim = spec.get("xlim") or ((min(p[0] for p in points), max(p[0] for p in points)) if points else (0.0, 1.0))
    ylim = spec.get("ylim") or ((min(p[1] for p in points), max(p[1] for p in points)) if points else (0.0, 1.0))
    yticks = nice_ticks(*ylim)
    if not spec.get("ylim") and yticks:
        ylim = (min(ylim[0], yticks[0]), max(ylim[1], yticks[-1]))
    xticks = spec.get("xticks") or [(t, _fmt(t)) for t in nice_ticks(*xlim)]
    if not spec.get("xlim") and not spec.get("xticks") and xticks:
        xlim = (min(xlim[0], xticks[0][0]), max(xlim[1], xticks[-1][0]))

    def sx(x):
        span = xlim[1] - xlim[0] or 1.0
        return left + (right - left) * (x - xlim[0]) / span

    def sy(y):
        span = ylim[1] - ylim[0] or 1.0
        return bottom - (bottom - top) * (y - ylim[0]) / span

    for t in yticks:
        if ylim[0] <= t <= ylim[1]:
            draw.line([(left, sy(t)), (right, sy(t))], fill=LIGHT)
            label = _fmt(t)
            draw.text((left - 6 - _text_width(draw, label, small), sy(t) - 7), label, fill=BLACK, font=small)
    for t, label in xticks:
        if xlim[0] <= t <= xlim[1]:
            draw.line([(sx(t), bottom), (sx(t), bottom + 4)], fill=BLACK)
            draw.text((sx(t) - _text_width(draw, label, small) / 2, bottom + 5), label, fill=BLACK, font=small)
    draw.line([(left, top), (left, bottom), (right, bottom)], fill=BLACK)
    if spec.get("xlabel"):
        draw.text((left + (right - left) / 2 - _text_width(draw, spec["xlabel"], small) / 2, bottom + 19),
                  spec["xlabel"], fill=GREY, font=small)
    if spec.get("ylabel"):
        draw.text((left + 4, top - 2), spec["ylabel"], fill=GREY, font=small)

    for i, series in enumerate(spec["series"]):
        rgb = series.get("color", i)
        rgb = color(rgb) if isinstance(rgb, int) else tuple(rgb)
        kept = [(sx(p[0]), sy(p[1]), j) for j, p in enumerate(series["points"]) if _finite(p)]
        if series.get("line") and len(kept) > 1:
            for (ax, ay, _), (bx, by, _) in zip(kept, kept[1:]):
                if series.get("dashed"):
                    _dashed(draw, (ax, ay), (bx, by), rgb)
                else:
                    draw.line([(ax, ay), (bx, by)], fill=rgb, width=2)
        if series.get("markers", True):
            for x, y, _ in kept:
                draw.ellipse([x - 3.5, y - 3.5, x + 3.5, y + 3.5], fill=rgb, outline=BLACK)
        for x, y, j in kept:
            labels = series.get("labels")
            if labels and labels[j]:
                draw.text((x + 5, y - 14), str(labels[j]), fill=rgb, font=small)

    lx, ly = left - 40, bottom + 36
    for i, series in enumerate(spec["series"]):
        if not series.get("name"):
            continue
        rgb = series.get("color", i)
        rgb = color(rgb) if isinstance(rgb, int) else tuple(rgb)
        w = 34 + _text_width(draw, series["name"], small)
        if lx + w > x0 + width + 10:
            lx, ly = left - 40, ly + 16
        draw.rectangle([lx, ly + 3, lx + 10, ly + 13], fill=rgb)
        draw.text((lx + 14, ly), series["name"], fill=BLACK, font=small)
        lx += w
