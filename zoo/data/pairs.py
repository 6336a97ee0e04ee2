"""Pairs of observations that share all but k factors: the weak supervision of Locatello et al. 2020.

"Weakly-Supervised Disentanglement Without Compromises" (Locatello, Poole, Raetsch, Schoelkopf,
Bachem, Tschannen; ICML 2020, sec. 3 and 5): draw factors z, render x1 = g(z); choose k of the K
factors at random and redraw them, z~, render x2 = g(z~). The learner sees (x1, x2), never which
factors changed. k is fixed, or drawn uniformly from 1..K-1 for every pair (the paper's "k = rnd",
`k=RANDOM_K` here); a pair always shares at least one factor.

A redrawn factor takes a value drawn uniformly from all of its values, its old one included, so
it keeps its value by chance (probability 1 / its number of values): the paper redraws the chosen
factors from p(z) and disentanglement_lib's `simple_dynamics` (`methods/weak/train_weak_lib.py`)
does the same (`np.random.choice(range(num_values))`). The `resampled` mask of a `PairSample`
says which factors were redrawn, `factors1 != factors2` which changed.

One difference from disentanglement_lib's code, where `k` is taken as this module takes it:
`simple_dynamics` resamples `random_state.choice([1, k])` factors, so half of its pairs differ in one
factor whatever k is; `one_or_k=True` reproduces that. It also draws the new values from numpy's
global generator, unseeded; here every draw comes from the caller's seeded generator.

Example:
    >>> import zoo.data
    >>> from zoo.data import pairs
    >>> sample = pairs.sample_pairs(zoo.data.load("tiny"), 3, k=1, rng=0)
    >>> sample.images.shape, sample.k.tolist(), sample.resampled.sum(axis=1).tolist()
    ((3, 2, 16, 16, 1), [1, 1, 1], [1, 1, 1])
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from zoo.data.base import GroundTruthData, as_generator, check_count, stream_batches

# k = RANDOM_K: k drawn uniformly from 1..K-1 for every pair (the paper's "k = rnd").
RANDOM_K = 0


class PairSample(NamedTuple):
    """`n` pairs: the factors of both observations, which factors were redrawn, and the images."""
    factors1: np.ndarray   # (n, K) int64
    factors2: np.ndarray   # (n, K) int64, factors1 with the `resampled` columns redrawn
    resampled: np.ndarray  # (n, K) bool, True where a factor was redrawn (it may have kept its value)
    k: np.ndarray          # (n,) int64, the number of factors redrawn in each pair
    images: np.ndarray     # (n, 2, H, W, C) float32 in [0, 1]: x1 = images[:, 0], x2 = images[:, 1]


def check_k(data, k) -> int:
    """`k` as an int if `data` can make pairs that redraw k factors, else a `ValueError` saying why.

    Args:
      data: a `GroundTruthData` with at least two factors.
      k: 1..K-1, or `RANDOM_K` (0) for k uniform in 1..K-1 per pair.
    """
    name = getattr(data, "name", "") or type(data).__name__
    if not isinstance(data, GroundTruthData) or data.num_factors == 0:
        raise ValueError(f"{name} has no ground-truth factors: pairs that share factors are drawn from the factors, "
                         "so they need a GroundTruthData (dsprites, shapes3d, mpi3d_*, smallnorb, cars3d, tiny), "
                         "not images alone.")
    num_factors = data.num_factors
    if num_factors < 2:
        raise ValueError(f"{name} has one factor ({data.factor_names[0]}): a pair must share at least one factor and "
                         "differ in at least one, which needs two or more.")
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or not 0 <= k <= num_factors - 1:
        raise ValueError(f"k must be an integer in 1..{num_factors - 1} (the number of {name}'s {num_factors} factors "
                         f"redrawn; a pair shares at least one), or {RANDOM_K} for k uniform in 1..{num_factors - 1} "
                         f"per pair (the paper's k = rnd); got {k!r}.")
    return int(k)


def resample_factors(data: GroundTruthData, factors, k: int, rng=None, *, one_or_k: bool = False):
    """The factors of the second observations: `factors` with k columns per row redrawn.

    Args:
      data: the dataset (its factor sizes).
      factors: `(n, K)` factor classes of the first observations.
      k: factors redrawn per pair, 1..K-1, or `RANDOM_K` (uniform in 1..K-1 per pair).
      rng: a seed or `np.random.Generator`.
      one_or_k: redraw 1 or k factors with probability 1/2 each, as disentanglement_lib's
        `simple_dynamics` does (module docstring).

    Returns:
      `(factors2 (n, K) int64, resampled (n, K) bool, k (n,) int64)`.
    """
    k = check_k(data, k)
    factors = data.check_factors(factors)
    rng = as_generator(rng)
    n, num_factors = factors.shape
    ks = rng.integers(1, num_factors, size=n) if k == RANDOM_K else np.full(n, k, np.int64)
    if one_or_k:
        ks = np.where(rng.random(n) < 0.5, 1, ks)
    # The first ks of a random permutation of the factors, drawn as the ranks of uniform keys.
    ranks = np.argsort(np.argsort(rng.random((n, num_factors)), axis=1), axis=1)
    resampled = ranks < ks[:, None]
    fresh = np.stack([rng.integers(0, size, size=n) for size in data.factor_sizes], axis=1)
    return np.where(resampled, fresh, factors).astype(np.int64), resampled, ks.astype(np.int64)


def sample_pairs(data: GroundTruthData, n: int, k: int, rng=None, *, one_or_k: bool = False) -> PairSample:
    """Draws `n` pairs: factors uniform on the grid, k of them redrawn, both observations rendered.

    Both observations of a pair are rendered in one call (`sample_observations_from_factors` on
    `2n` rows), with nuisance randomness (colour, noise, crops) drawn for each image.
    """
    n = check_count(n, "n")
    check_k(data, k)
    rng = as_generator(rng)
    factors1 = data.sample_factors(n, rng)
    factors2, resampled, ks = resample_factors(data, factors1, k, rng, one_or_k=one_or_k)
    images = data.sample_observations_from_factors(np.concatenate([factors1, factors2]), rng)
    images = np.stack([images[:n], images[n:]], axis=1).astype(np.float32, copy=False)
    return PairSample(factors1, factors2, resampled, ks, images)


def as_pair_dataset(data: GroundTruthData, batch_size: int = 64, seed: int = 0, *, k: int = RANDOM_K,
                    with_factors: bool = False, one_or_k: bool = False, batches_per_call: int = 4,
                    start_batch: int = 0):
    """A streaming `tf.data.Dataset` of batches of pairs, the weakly supervised models' training data.

    Elements are `(pairs [batch, 2, H, W, C] float32, k [batch] int64)`: `fit` passes them to
    `train_step` as `(x, y)`, and the known-k variants read k from y. With `with_factors` the
    element is `(pairs, k, factors [batch, 2, K] int64)`. Infinite and deterministic given `seed`;
    `start_batch` resumes the stream where a run stopped, as `ObservationData.as_tf_dataset` does.

    Args:
      data: a `GroundTruthData` with two or more factors.
      batch_size: pairs per batch, >= 1.
      seed: seeds the factors, the redrawn factors and the nuisance randomness, >= 0.
      k: factors redrawn per pair, 1..K-1, or `RANDOM_K` (uniform in 1..K-1 per pair).
      with_factors: also yield both observations' factors.
      one_or_k: disentanglement_lib's count, 1 or k with probability 1/2 each.
      batches_per_call: batches rendered per numpy call, >= 1.
      start_batch: batches to skip from the start of the stream, >= 0.

    Raises:
      ValueError: k outside 1..K-1 (and not `RANDOM_K`), a dataset without factors or with one,
        or a size, seed or position that is not an integer in its range.
    """
    k = check_k(data, k)
    batch_size = check_count(batch_size, "batch_size", minimum=1)
    seed = check_count(seed, "seed")
    batches = check_count(batches_per_call, "batches_per_call", minimum=1)
    start_batch = check_count(start_batch, "start_batch")
    shape, num_factors = tuple(data.observation_shape), data.num_factors

    def sample_chunk(call_index, rows):
        sample = sample_pairs(data, rows, k, np.random.default_rng([seed, call_index]), one_or_k=one_or_k)
        arrays = (sample.images, sample.k)
        return arrays + (np.stack([sample.factors1, sample.factors2], axis=1),) if with_factors else arrays

    specs = [(np.float32, (2, *shape)), (np.int64, ())] + ([(np.int64, (2, num_factors))] if with_factors else [])
    return stream_batches(sample_chunk, specs, batch_size=batch_size, batches_per_call=batches,
                          start_batch=start_batch)


def stack_pairs(x1, x2, observation_shape=None) -> np.ndarray:
    """Your own pairs as the models take them: `(n, 2, H, W, C)` from `x1` and `x2`, each `(n, H, W, C)`.

    Raises:
      ValueError: `x1` and `x2` of different shapes, not 4-D, or not of `observation_shape`.
    """
    x1, x2 = np.asarray(x1), np.asarray(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"x1 and x2 must have the same shape (n, H, W, C), pair i being (x1[i], x2[i]); got "
                         f"{x1.shape} and {x2.shape}.")
    if x1.ndim != 4:
        raise ValueError(f"x1 and x2 must be 4-D arrays (n, H, W, C); got shape {x1.shape}.")
    if observation_shape is not None and tuple(x1.shape[1:]) != tuple(observation_shape):
        raise ValueError(f"x1 and x2 must have shape (n, {', '.join(map(str, observation_shape))}); got {x1.shape}.")
    return np.stack([x1, x2], axis=1)
