"""Representations the paper benchmarks score: the ground truth and its variants, pixels, linear baselines.

The networks (untrained, zoo models, training-run checkpoints) are in `benchmarks/papers/_trained.py`.

A `Representation` is a name and a `make()` that builds the function `images [n, H, W, C] -> codes
[n, D]` only when it is scored (fitting a PCA, loading weights), so a benchmark holds one model in
memory at a time. `make()` raises `Skip` when the representation cannot score this dataset (a model
trained on grey images offered colour ones).

Ground-truth codes need the factors of the images the metric rendered, which a function of images
cannot see: `FactorOracle` wraps the dataset and remembers the factors of the last batch it
rendered, and the ground-truth representations read them from there (checking that they are given
that very batch, so a change in how the metrics call them fails loudly instead of scoring garbage).
"""

from __future__ import annotations

import warnings
from typing import Callable, NamedTuple

import numpy as np

from zoo.data.base import GroundTruthData

RepresentationFn = Callable[[np.ndarray], np.ndarray]


class Skip(Exception):
    """This representation cannot be scored on this dataset; the message says why."""


class Representation(NamedTuple):
    """A named, lazily built representation function.

    Attributes:
      name: unique label, e.g. "pca-10 (seed 1)".
      group: family, e.g. "ground truth", "pca", "untrained", "zoo", "checkpoint".
      make: `() -> representation_fn`; may raise `Skip`.
      note: how it was made (printed with the results).
    """

    name: str
    group: str
    make: Callable[[], RepresentationFn]
    note: str = ""


class FactorOracle(GroundTruthData):
    """A dataset wrapper that lets representation functions read the factors of the images they get.

    Every call of `sample_observations_from_factors` renders through the wrapped dataset and keeps
    `(images, factors)`; `factors_for(images)` returns those factors when handed that same array.
    """

    def __init__(self, data: GroundTruthData):
        self.data = data
        self.name = data.name
        self.factor_names = tuple(data.factor_names)
        self.factor_sizes = tuple(data.factor_sizes)
        self.factor_values = tuple(data.factor_values)
        self.observation_shape = tuple(data.observation_shape)
        self._last = (None, None)

    def sample_factors(self, n: int, rng=None) -> np.ndarray:
        return self.data.sample_factors(n, rng)

    def sample_observations_from_factors(self, factors, rng=None) -> np.ndarray:
        factors = self.data.check_factors(factors)
        images = self.data.sample_observations_from_factors(factors, rng)
        self._last = (images, factors)
        return images

    def factors_for(self, images) -> np.ndarray:
        """The factor classes `[n, K]` of the batch this dataset rendered last, if `images` is it."""
        last_images, factors = self._last
        if images is not last_images:
            raise RuntimeError("A ground-truth representation was called on images that FactorOracle did not just "
                               "render; the metric must pass the dataset's batch straight to representation_fn.")
        return factors


# ----------------------------------------------------------------------------- ground truth and its variants

def _unit_factors(oracle: FactorOracle, images) -> np.ndarray:
    """Factor classes scaled to [0, 1] per factor, `[n, K]` float64."""
    sizes = np.maximum(np.asarray(oracle.factor_sizes, np.float64) - 1, 1)
    return oracle.factors_for(images) / sizes


def ground_truth(oracle: FactorOracle) -> Representation:
    """The factor class indices 0..size-1 as a float code (one dimension per factor, not one-hot)."""
    return Representation("ground truth", "ground truth",
                          lambda: lambda images: oracle.factors_for(images).astype(np.float64),
                          "factor class indices (0..size-1) as floats, one dimension per factor")


def noisy_ground_truth(oracle: FactorOracle, sigma: float, seed: int) -> Representation:
    """Factors scaled to [0, 1] plus Gaussian noise of standard deviation `sigma`."""
    def make():
        rng = np.random.default_rng(seed)

        def fn(images):
            u = _unit_factors(oracle, images)
            return u + rng.normal(0.0, sigma, u.shape)
        return fn
    return Representation(f"ground truth + noise {sigma:g}", "ground truth", make,
                          f"factors scaled to [0, 1] + N(0, {sigma:g}^2) per dimension")


def rotated_ground_truth(oracle: FactorOracle, degrees: float) -> Representation:
    """Factors scaled to [0, 1], centred, then rotated by `degrees` in every consecutive plane (0,1), (1,2), ...

    The rotation mixes every factor into its neighbours' dimensions; 0 degrees is the ground truth,
    45 degrees splits each factor evenly over two dimensions.
    """
    k = len(oracle.factor_sizes)
    theta = np.deg2rad(degrees)
    rotation = np.eye(k)
    for i in range(k - 1):
        givens = np.eye(k)
        givens[[i, i, i + 1, i + 1], [i, i + 1, i, i + 1]] = [np.cos(theta), -np.sin(theta), np.sin(theta),
                                                              np.cos(theta)]
        rotation = rotation @ givens
    return Representation(f"ground truth rotated {degrees:g} deg", "ground truth",
                          lambda: lambda images: (_unit_factors(oracle, images) - 0.5) @ rotation,
                          f"scaled factors rotated by {degrees:g} degrees in each plane (i, i+1)")


def mixed_ground_truth(oracle: FactorOracle, seed: int) -> Representation:
    """Factors scaled to [0, 1] times a random orthogonal matrix (fully entangled, fully informative)."""
    k = len(oracle.factor_sizes)
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(k, k)))
    q = q * np.sign(np.diag(r))
    return Representation(f"ground truth mixed (seed {seed})", "ground truth",
                          lambda: lambda images: (_unit_factors(oracle, images) - 0.5) @ q,
                          "scaled factors times a random orthogonal matrix")


def permuted_ground_truth(oracle: FactorOracle, seed: int) -> Representation:
    """The factors in a random column order, each with a random sign and scale (disentangled still)."""
    rng = np.random.default_rng(seed)
    k = len(oracle.factor_sizes)
    order, scale = rng.permutation(k), rng.choice([-1.0, 1.0], k) * rng.uniform(0.5, 3.0, k)
    return Representation(f"ground truth permuted (seed {seed})", "ground truth",
                          lambda: lambda images: _unit_factors(oracle, images)[:, order] * scale,
                          "scaled factors, columns permuted, random sign and scale per column")


def partial_ground_truth(oracle: FactorOracle, keep: int, seed: int) -> Representation:
    """The first `keep` factors (scaled), and uniform noise dimensions in place of the others."""
    def make():
        rng = np.random.default_rng(seed)

        def fn(images):
            u = _unit_factors(oracle, images)
            u[:, keep:] = rng.random((len(u), u.shape[1] - keep))
            return u
        return fn
    names = ", ".join(oracle.factor_names[:keep])
    return Representation(f"ground truth, {keep} factors + noise", "ground truth", make,
                          f"only {names} (scaled); noise dimensions for the rest")


def duplicated_ground_truth(oracle: FactorOracle) -> Representation:
    """The scaled factors plus a second copy of each one (a duplicated latent per factor)."""
    return Representation("ground truth duplicated", "ground truth",
                          lambda: lambda images: np.repeat(_unit_factors(oracle, images), 2, axis=1),
                          "scaled factors, every dimension twice")


def constant(num_codes: int = 10) -> Representation:
    """A code that ignores the image (the floor of every score)."""
    return Representation("constant", "constant", lambda: lambda images: np.zeros((len(images), num_codes)),
                          "all-zero code")


# ----------------------------------------------------------------------------- pixels and linear baselines

def _flat(images) -> np.ndarray:
    return np.asarray(images, np.float32).reshape(len(images), -1)


def raw_pixels() -> Representation:
    return Representation("raw pixels", "pixels", lambda: _flat, "every pixel value is a code dimension")


def pooled_pixels(side: int) -> Representation:
    """Images averaged over channels and pooled to `side x side` blocks (side*side dimensions)."""
    def fn(images):
        images = np.asarray(images, np.float32).mean(axis=-1)
        n, h, w = images.shape
        return images.reshape(n, side, h // side, side, w // side).mean(axis=(2, 4)).reshape(n, -1)
    return Representation(f"pixels pooled {side}x{side}", "pixels", lambda: fn,
                          f"grey image average-pooled to {side}x{side}")


def _fit_images(data: GroundTruthData, num_images: int, seed: int) -> np.ndarray:
    # Its own rng, so that fitting never moves the metric's sampling.
    return _flat(data.sample_observations(num_images, np.random.default_rng([seed, 7919])))


def pca(data: GroundTruthData, num_components: int, seed: int, num_images: int) -> Representation:
    """sklearn PCA fitted on `num_images` images drawn with `seed`."""
    def make():
        from sklearn.decomposition import PCA

        model = PCA(n_components=num_components, random_state=seed).fit(_fit_images(data, num_images, seed))
        return lambda images: model.transform(_flat(images))
    return Representation(f"pca-{num_components} (seed {seed})", "pca", make,
                          f"sklearn PCA({num_components}) fit on {num_images} images")


def ica(data: GroundTruthData, num_components: int, seed: int, num_images: int) -> Representation:
    """sklearn FastICA fitted on `num_images` images drawn with `seed`.

    The images are first projected on their top `num_components` principal components (randomised
    PCA), which is the whitening FastICA does itself, done here without a full SVD of a
    `[num_images, pixels]` matrix (minutes for 5,000 Noisy-dSprites images of 12,288 values).
    """
    def make():
        from sklearn.decomposition import PCA, FastICA
        from sklearn.pipeline import make_pipeline

        model = make_pipeline(PCA(n_components=num_components, svd_solver="randomized", random_state=seed),
                              FastICA(n_components=num_components, whiten="unit-variance", max_iter=400,
                                      random_state=seed))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a FastICA that stops at max_iter is still a representation
            model.fit(_fit_images(data, num_images, seed))
        return lambda images: model.transform(_flat(images))
    return Representation(f"ica-{num_components} (seed {seed})", "ica", make,
                          f"sklearn FastICA({num_components}) on PCA({num_components}), fit on {num_images} images")


def random_projection(data: GroundTruthData, num_codes: int, seed: int) -> Representation:
    """Pixels times a fixed Gaussian matrix `[pixels, num_codes]`."""
    def make():
        pixels = int(np.prod(data.observation_shape))
        matrix = np.random.default_rng(seed).normal(size=(pixels, num_codes)).astype(np.float32) / np.sqrt(pixels)
        return lambda images: _flat(images) @ matrix
    return Representation(f"random projection-{num_codes} (seed {seed})", "random projection", make,
                          f"pixels times a Gaussian {num_codes}-column matrix")
