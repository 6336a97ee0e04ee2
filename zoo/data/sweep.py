"""Factor-sweep pictures: one row per factor, that factor swept across its range."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.data.base import GroundTruthData, as_generator
from zoo.files import to_uint8, write_png


def factor_sweep(data: GroundTruthData, num_steps: int = 8, rng=0, *, base=None, pad: int = 2,
                 pad_value: float = 0.5) -> np.ndarray:
    """Tiles images into a grid: row k sweeps factor k, every other factor stays at `base`.

    A factor with fewer classes than `num_steps` shows each class once and leaves the rest of its
    row blank (`pad_value`); a longer one shows `num_steps` classes evenly spaced from first to last.

    Args:
      data: the dataset.
      num_steps: columns of the grid.
      rng: seed or Generator; draws `base` (if not given) and the nuisance of each image.
      base: `[K]` factor classes held fixed, or None to draw one combination.
      pad: pixels of `pad_value` between tiles.
      pad_value: grey level of the padding and of blank tiles.

    Returns:
      float32 `[K * (H + pad) - pad, num_steps * (W + pad) - pad, C]` in [0, 1].

    Example:
      >>> import zoo.data
      >>> factor_sweep(zoo.data.load("tiny"), num_steps=3).shape
      (70, 52, 1)
    """
    rng = as_generator(rng)
    num_steps = int(num_steps)
    if num_steps < 1:
        raise ValueError(f"num_steps must be >= 1; got {num_steps}.")
    base = data.sample_factors(1, rng)[0] if base is None else data.check_factors(np.reshape(base, (1, -1)))[0]
    h, w, c = data.observation_shape
    grid = np.full((data.num_factors * (h + pad) - pad, num_steps * (w + pad) - pad, c), pad_value, np.float32)
    for k, size in enumerate(data.factor_sizes):
        classes = np.unique(np.round(np.linspace(0, size - 1, min(size, num_steps))).astype(np.int64))
        factors = np.repeat(base[None], len(classes), axis=0)
        factors[:, k] = classes
        images = data.sample_observations_from_factors(factors, rng)
        for j, image in enumerate(images):
            top, left = k * (h + pad), j * (w + pad)
            grid[top:top + h, left:left + w] = image
    return grid


def save_png(grid, path, *, upscale: int = 1) -> Path:
    """Writes a float image `[H, W, C]` in [0, 1] (C = 1 or 3) to `path` as PNG, atomically.

    The picture goes to a temporary file in the same folder first and is then renamed over `path`
    (`zoo.files.write_png`), so a reader never sees half a file.

    Args:
      grid: `[H, W]`, `[H, W, 1]` or `[H, W, 3]` floats in [0, 1] (or uint8).
      path: destination; missing folders are created.
      upscale: integer nearest-neighbour magnification (64x64 tiles are small on screen).
    """
    grid = np.asarray(grid)
    if grid.ndim == 3 and grid.shape[2] == 1:
        grid = grid[..., 0]
    if grid.ndim not in (2, 3) or (grid.ndim == 3 and grid.shape[2] != 3):
        raise ValueError(f"grid must be [H, W], [H, W, 1] or [H, W, 3]; got shape {grid.shape}.")
    if grid.dtype != np.uint8:
        if grid.size and (not np.all(np.isfinite(grid)) or grid.min() < 0 or grid.max() > 1):
            raise ValueError("grid must hold values in [0, 1].")
        grid = to_uint8(grid)  # the package's one rule: 255 x rounded half up
    if int(upscale) > 1:
        grid = np.repeat(np.repeat(grid, int(upscale), axis=0), int(upscale), axis=1)
    return write_png(path, grid)
