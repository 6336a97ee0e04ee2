"""A synthetic ground-truth dataset with dSprites' factor sizes and a fixed, partly disentangled encoder.

Used by benchmarks/speed/metrics_bench.py so that every metric (ours and the reference) is timed on the
same arrays without rendering images or running a network: an "observation" is the factor
vector itself, `(N, 1, 1, 5)` float32 (`zoo.data.factors_as_observations`), and `representation`
maps it to a 10-dimensional code
that looks like a trained VAE's mean code: five dimensions each tied to one factor (with a
little leakage from a neighbouring factor, a mild non-linearity and deterministic
pseudo-noise), three mixed dimensions and two collapsed ones (std 0.01, below FactorVAE's
pruning threshold 0.05).
"""

from __future__ import annotations

import numpy as np

from zoo.data.factors_as_observations import FactorsAsObservations

FACTOR_SIZES = (3, 6, 40, 32, 32)  # shape, scale, orientation, posX, posY (dSprites)


class SyntheticDSprites(FactorsAsObservations):
    """dSprites' factor grid; an observation is the factor vector, `(N, 1, 1, 5)` float32."""

    deterministic_observations = True

    def __init__(self):
        super().__init__(FACTOR_SIZES, ("shape", "scale", "orientation", "posX", "posY"), name="synthetic_dsprites")


_MIX = np.random.default_rng(1234).standard_normal((5, 3)) * 0.5


def representation(observations) -> np.ndarray:
    """The fixed encoder: observations `(N, 1, 1, 5)` -> codes `(N, 10)` float64 (deterministic)."""
    f = FactorsAsObservations.factors(observations).astype(np.float64)
    u = f / (np.asarray(FACTOR_SIZES) - 1.0)  # each factor in [0, 1]
    # Deterministic pseudo-noise: a hash of the factor combination, uniform in [-0.5, 0.5).
    index = f @ np.array([40 * 32 * 32 * 6, 40 * 32 * 32, 32 * 32, 32, 1], dtype=np.float64)
    noise = np.stack([np.modf(np.sin(index * (j + 1) * 12.9898) * 43758.5453)[0] for j in range(10)], axis=1)
    own = np.tanh(2.0 * (u - 0.5)) + 0.15 * np.roll(u, -1, axis=1) + 0.1 * noise[:, :5]
    mixed = u @ _MIX + 0.1 * noise[:, 5:8]
    collapsed = 0.02 * noise[:, 8:10]
    return np.concatenate([own, mixed, collapsed], axis=1)


def arrays(num_train: int = 10_000, num_test: int = 5_000, seed: int = 0):
    """`(codes_train, factors_train, codes_test, factors_test)` drawn uniformly from the grid."""
    data = SyntheticDSprites()
    rng = np.random.default_rng(seed)
    factors_train, obs_train = data.sample(num_train, rng)
    factors_test, obs_test = data.sample(num_test, rng)
    return representation(obs_train), factors_train, representation(obs_test), factors_test
