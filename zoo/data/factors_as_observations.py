"""A ground-truth dataset whose observation is its own factor vector: metrics without images.

An observation is the factor classes as floats, shaped like one 1x1 image with K channels,
`(N, 1, 1, K)` float32, so any function of the factors is a representation function
(`images -> codes`) and the intervention metrics (BetaVAE, FactorVAE scores) can be run and timed
without rendering or encoding anything. The metric tests use it on small grids, the metric
benchmark on dSprites' grid.

    >>> data = FactorsAsObservations((3, 4))
    >>> factors, observations = data.sample(2, rng=0)
    >>> observations.shape, bool((FactorsAsObservations.factors(observations) == factors).all())
    ((2, 1, 1, 2), True)
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from zoo.data.base import GroundTruthData


class FactorsAsObservations(GroundTruthData):
    """Factors on the grid `factor_sizes`; observation = the factor classes, `(N, 1, 1, K)` float32.

    Rendering draws nothing from the rng, but `deterministic_observations` stays the base's safe
    False: a subclass that declares it True lets the intervention metrics encode each distinct
    observation once, which also needs a deterministic representation function.

    Args:
      factor_sizes: classes of each factor.
      factor_names: one name per factor (default "v0", "v1", ...).
      name: the dataset's name in messages.
    """

    def __init__(self, factor_sizes: Sequence[int], factor_names: Sequence[str] | None = None,
                 name: str = "factors_as_observations"):
        self.name = name
        self.factor_sizes = tuple(int(s) for s in factor_sizes)
        self.factor_names = tuple(factor_names or (f"v{i}" for i in range(len(self.factor_sizes))))
        if len(self.factor_names) != len(self.factor_sizes):
            raise ValueError(f"{name}: {len(self.factor_names)} factor names for {len(self.factor_sizes)} factors.")
        self.factor_values = tuple(np.arange(s, dtype=np.float64) for s in self.factor_sizes)
        self.observation_shape = (1, 1, len(self.factor_sizes))

    def sample_observations_from_factors(self, factors, rng=None) -> np.ndarray:
        factors = self.check_factors(factors)
        return factors.astype(np.float32).reshape(len(factors), 1, 1, -1)

    @staticmethod
    def factors(observations) -> np.ndarray:
        """The factor classes `(N, K)` (as floats) held by observations `(N, 1, 1, K)`."""
        return np.asarray(observations).reshape(len(observations), -1)
