"""Factor-sweep pictures and their atomic PNG writer."""

import doctest

import numpy as np
import pytest
from PIL import Image

import zoo.data
from zoo.data import sweep
from zoo.data.sweep import factor_sweep, save_png


def test_sweep_rows_vary_one_factor_each():
    data = zoo.data.load("dsprites")
    base = np.array([1, 3, 0, 10, 20])
    grid = factor_sweep(data, num_steps=4, base=base, pad=2)
    assert grid.shape == (5 * 66 - 2, 4 * 66 - 2, 1) and grid.dtype == np.float32
    tile = lambda row, col: grid[row * 66:row * 66 + 64, col * 66:col * 66 + 64]  # noqa: E731
    # Row 0 sweeps shape: its 3 classes, then one blank (padding grey) tile.
    for j, shape in enumerate(range(3)):
        factors = base.copy()
        factors[0] = shape
        np.testing.assert_array_equal(tile(0, j), data.sample_observations_from_factors(factors[None])[0])
    assert np.all(tile(0, 3) == 0.5)
    # Row 3 sweeps posX over its first, last and two evenly spaced classes (0, 10, 21, 31).
    for j, x in enumerate([0, 10, 21, 31]):
        factors = base.copy()
        factors[3] = x
        np.testing.assert_array_equal(tile(3, j), data.sample_observations_from_factors(factors[None])[0])
    assert np.all(grid[64:66] == 0.5)  # padding between rows


def test_sweep_is_deterministic_and_checks_input():
    data = zoo.data.load("color_dsprites")
    np.testing.assert_array_equal(factor_sweep(data, 3, rng=1), factor_sweep(data, 3, rng=1))
    assert factor_sweep(data, 3, rng=1).shape[-1] == 3
    with pytest.raises(ValueError, match="num_steps"):
        factor_sweep(data, 0)
    with pytest.raises(ValueError, match="orientation"):
        factor_sweep(data, 3, base=[0, 0, 40, 0, 0])


def test_save_png_round_trip_and_atomic(tmp_path):
    grid = factor_sweep(zoo.data.load("tiny"), 3, rng=0)
    path = save_png(grid, tmp_path / "sub" / "sweep.png", upscale=2)
    with Image.open(path) as image:
        assert image.mode == "L" and image.size == (grid.shape[1] * 2, grid.shape[0] * 2)
        np.testing.assert_array_equal(np.asarray(image)[::2, ::2], np.round(grid[..., 0] * 255).astype(np.uint8))
    save_png(np.ones((4, 4, 3)), path)  # overwrite in place: still one file, no temp left behind
    assert [p.name for p in path.parent.iterdir()] == ["sweep.png"]
    with Image.open(path) as image:
        assert image.mode == "RGB"
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        save_png(np.full((4, 4), 2.0), tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()


def test_docstring_examples():
    result = doctest.testmod(sweep)
    assert result.attempted > 0 and result.failed == 0, result
