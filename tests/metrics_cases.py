"""Shared inputs for the metric tests: the sanity codes and a tiny "observations are factors" dataset.

The sanity trio (disentanglement_lib's `mig_test.py`): the identity code (the factors themselves)
scores near the top, a constant code near the bottom, a duplicated latent is penalised by the
scores that claim to penalise redundancy; and a code whose dimensions are pairwise rotated by
45 degrees (every dimension mixes two factors) scores far below the identity.
"""

from __future__ import annotations

import numpy as np

from zoo.data.factors_as_observations import FactorsAsObservations

SIZES = (4, 5, 6, 7)


def factors(n: int = 2000, seed: int = 0, sizes=SIZES) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, s, n) for s in sizes], axis=1)


def identity(f: np.ndarray) -> np.ndarray:
    """The factor classes as codes; unequal variances (so a rotation correlates them)."""
    return np.asarray(f, dtype=np.float64)


def constant(f: np.ndarray) -> np.ndarray:
    return np.full((len(f), f.shape[1]), 0.3)


def duplicated(f: np.ndarray) -> np.ndarray:
    """Factor 0 appears in two dimensions: [v0, v0, v1, v2, ...]."""
    f = np.asarray(f, dtype=np.float64)
    return np.concatenate([f[:, :1], f], axis=1)


def rotated(f: np.ndarray, scales=None) -> np.ndarray:
    """Consecutive pairs of standardised factors rotated by 45 degrees (z = (a + b, a - b) / sqrt 2).

    `scales` multiplies the standardised factors before the rotation; with unequal scales the
    rotated pair is correlated (Cov(a + b, a - b) = Var a - Var b), which the covariance-based
    scores need to see the mixing.
    """
    u = np.asarray(f, dtype=np.float64)
    u = (u - u.mean(axis=0)) / u.std(axis=0)
    if scales is not None:
        u = u * np.asarray(scales, dtype=np.float64)
    out = u.copy()
    for i in range(0, u.shape[1] - 1, 2):
        out[:, i] = (u[:, i] + u[:, i + 1]) / np.sqrt(2.0)
        out[:, i + 1] = (u[:, i] - u[:, i + 1]) / np.sqrt(2.0)
    return out


def split(codes, f, n_train):
    return codes[:n_train], f[:n_train], codes[n_train:], f[n_train:]


class FactorsAsImages(FactorsAsObservations):
    """A dataset whose "image" `(N, 1, 1, K)` holds the factor classes: codes are exact functions of factors."""

    def __init__(self):
        super().__init__(SIZES, name="factors_as_images")


def as_fn(code_fn):
    """A representation function `images (N, 1, 1, K) -> code_fn(factors)`."""
    return lambda images: code_fn(FactorsAsObservations.factors(images))


def tiny_moments(images):
    """An encoder for the tiny dataset: ink, centre of mass (x, y), and ink in the centre column.

    Ink is 9/25 for the small/large square and 5/9 for the small/large plus (it mixes shape and
    scale); the centre column holds 3 or 5 pixels for either shape (scale alone); positions are
    read off exactly.
    """
    ink = np.asarray(images)[..., 0]
    rows, cols = np.mgrid[:16, :16]
    mass = ink.sum(axis=(1, 2))
    cx = (ink * cols).sum(axis=(1, 2)) / mass
    cy = (ink * rows).sum(axis=(1, 2)) / mass
    column = ink[np.arange(len(ink)), :, np.rint(cx).astype(int)].sum(axis=1)
    return np.stack([mass, cx, cy, column], axis=1)


def tiny():
    """The tiny dataset (a zero-argument factory, for the reference run)."""
    import zoo.data

    return zoo.data.load("tiny")


def tiny_mixed(images):
    """`tiny_moments`, linearly mixed, plus deterministic pseudo-noise keyed on the image.

    Scores land mid-range (neither metric saturates), which makes the reference comparison of
    the sampled scores meaningful.
    """
    z = tiny_moments(images) / np.array([25.0, 15.0, 15.0, 5.0])
    mix = np.array([[1.0, 0.0, 0.0, 0.3], [0.0, 1.0, 0.4, 0.0], [0.0, 0.4, 1.0, 0.0], [0.5, 0.0, 0.0, 1.0]])
    flat = np.asarray(images).reshape(len(images), -1)
    key = flat @ np.sin(np.arange(1, flat.shape[1] + 1) * 1.618)
    noise = np.stack([np.modf(np.sin(key * (j + 3) * 12.9898) * 43758.5453)[0] for j in range(4)], axis=1)
    return z @ mix + 0.15 * noise


SCALES = (10.0, 1.0, 0.1, 3.0)


def noisy(f: np.ndarray, scales=None) -> np.ndarray:
    """The factors plus deterministic pseudo-noise keyed on the whole factor vector (a code is a
    function of the image), each dimension then multiplied by `scales`.

    With `SCALES` the dimensions span two orders of magnitude: a score that should not depend on
    the units of a code (the FactorVAE vote divides by each dimension's global variance; MIG and
    modularity discretise each dimension over its own range; DCI's trees split on order) must
    give the same number as for `scales=None`, and one that skips its normalisation does not.
    """
    f = np.asarray(f, dtype=np.float64)
    key = f @ np.array([1.0, 7.3, 53.1, 389.7])[:f.shape[1]]
    noise = np.stack([np.modf(np.sin(key * (j + 3) * 12.9898) * 43758.5453)[0] for j in range(f.shape[1])], axis=1)
    codes = f + 0.4 * noise
    return codes if scales is None else codes * np.asarray(scales, dtype=np.float64)
