"""The benchmarks' matplotlib plots: labelled axes, legends that cover no data, the same bytes twice.

The population figures are rebuilt from the committed numbers (docs/bench/population_figures.json),
so what is checked is what the docs show.
"""

import json
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from benchmarks.papers import _plots, _population_figures

ROOT = Path(__file__).resolve().parents[1]
FIGURES = json.loads((ROOT / "docs" / "bench" / "population_figures.json").read_text())


def _drawn(figure):
    """Lays the figure out as saving it would; returns the renderer its extents are measured with."""
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    return renderer


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.fixture(scope="module")
def population_specs():
    """Every panel spec the population figures draw (the drawing itself left out)."""
    specs = {}
    real = _plots.panels
    try:
        _plots.panels = lambda path, panel_specs, **kw: specs.setdefault(Path(path).name, (panel_specs, kw))
        _population_figures.draw(FIGURES, Path("/nonexistent"))  # panels only; heatmaps drawn below
    except FileNotFoundError:
        pass
    finally:
        _plots.panels = real
    return specs


def test_every_population_panel_has_labelled_axes_and_a_caption(population_specs):
    assert set(population_specs) == {f for k, f in _population_figures.PNG.items() if k != "agreement"}
    for name, (panel_specs, _) in population_specs.items():
        for spec in panel_specs:
            assert spec.get("xlabel") and spec.get("ylabel"), f"{name}: panel {spec['title']!r} lacks an axis label"
    assert set(_population_figures.CAPTIONS) == set(_population_figures.PNG)
    population_md = (ROOT / "docs" / "bench" / "population.md").read_text()
    for caption in _population_figures.CAPTIONS.values():
        assert caption in population_md


def test_legends_sit_outside_the_data(population_specs):
    for name, (panel_specs, kw) in population_specs.items():
        figure = _plots.panels_figure(panel_specs, **kw)
        renderer = _drawn(figure)
        for ax in figure.axes:
            legend = ax.get_legend()
            if not ax.get_visible() or legend is None:
                continue
            box = legend.get_window_extent(renderer)
            assert not _overlap(box, ax.get_window_extent(renderer)), f"{name}: {ax.get_title()!r}'s legend on its data"
            assert not _overlap(box, ax.xaxis.label.get_window_extent(renderer)), f"{name}: legend over the x label"


def test_a_legend_inside_the_axes_is_caught(population_specs):
    panel_specs, kw = population_specs[_population_figures.PNG["tradeoff"]]
    figure = _plots.panels_figure(panel_specs, **kw)
    ax = figure.axes[0]
    ax.legend(loc="upper right")  # the old habit: inside the plot, over the points
    renderer = _drawn(figure)
    assert _overlap(ax.get_legend().get_window_extent(renderer), ax.get_window_extent(renderer))


def test_same_numbers_give_the_same_png(tmp_path):
    labels = ["A", "B", "C"]
    matrix = [[1.0, 0.5, float("nan")], [0.5, 1.0, -0.2], [float("nan"), -0.2, 1.0]]
    for run in ("a", "b"):
        _plots.heatmaps(tmp_path / run / "h.png", [("ours", matrix)], labels, title="t")
        _plots.bar_chart(tmp_path / run / "b.png", "t", labels,
                         [("paper", [50.0, None, 70.0], [1.0, None, 2.0]),
                          ("ours", [55.0, 60.0, None], [0.5, 0.0, None], ["", "", "paper only"])],
                         xlabel="score, %")
    for name in ("h.png", "b.png"):
        first = (tmp_path / "a" / name).read_bytes()
        assert first[:8] == b"\x89PNG\r\n\x1a\n" and first == (tmp_path / "b" / name).read_bytes()
