"""A tiny synthetic ground-truth dataset for fast unit tests of models and metrics.

16x16 grey images of one sprite: a filled square or a plus sign, two sizes, on a 6x6 grid of
positions. Every factor is identifiable from the image, so a good encoder can recover all four.
"""

from __future__ import annotations

import numpy as np

from zoo.data.base import GroundTruthData, as_generator


class TinySprites(GroundTruthData):
    """Four factors (shape 2, scale 2, posX 6, posY 6) rendered to 16x16x1 binary images."""

    name = "tiny"
    factor_names = ("shape", "scale", "posX", "posY")
    factor_sizes = (2, 2, 6, 6)
    observation_shape = (16, 16, 1)
    deterministic_observations = True

    def __init__(self):
        self.factor_values = (np.arange(2), np.array([2.0, 3.0]), np.arange(6.0), np.arange(6.0))

    def sample_observations_from_factors(self, factors, rng=None) -> np.ndarray:
        factors = self.check_factors(factors)
        shape, scale, x, y = factors.T
        half = np.array([2, 3])[scale][:, None, None]          # half-width in pixels
        cx, cy = (3 + 2 * x)[:, None, None], (3 + 2 * y)[:, None, None]
        rows, cols = np.mgrid[0:16, 0:16]
        dx, dy = np.abs(cols[None] - cx), np.abs(rows[None] - cy)
        square = (dx < half) & (dy < half)
        plus = ((dx < half) & (dy < 1)) | ((dy < half) & (dx < 1))
        on = np.where(shape[:, None, None] == 0, square, plus)
        return on[..., None].astype(np.float32)
