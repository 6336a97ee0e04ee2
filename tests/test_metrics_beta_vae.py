"""BetaVAE score: the sampled features by construction, the sanity trio, on the tiny dataset."""

import numpy as np
import pytest

import metrics_cases as cases
import zoo.data
import zoo.metrics
from zoo.metrics._beta_vae import _points

SMALL = dict(num_train=600, num_eval=300, batch_size=16)


def test_features_are_mean_abs_differences_with_the_fixed_factor_shared():
    # Code = factor 0 alone. When factor 0 is the fixed one, both members of every pair share it,
    # so the feature is exactly 0; otherwise it is the mean |v0 - v0'| over 64 independent pairs,
    # E = sum_{a,b} |a - b| / 16 = 20 / 16 = 1.25 for 4 classes.
    data = cases.FactorsAsImages()
    x, y = _points(data, cases.as_fn(lambda f: f[:, :1].astype(float)), 64, 400, np.random.default_rng(0))
    assert x.shape == (400, 1) and set(np.unique(y)) == {0, 1, 2, 3}
    assert np.all(x[y == 0] == 0.0)
    assert np.all(x[y != 0] > 0.0)
    assert x[y != 0].mean() == pytest.approx(1.25, abs=0.05)


def test_beta_vae_sanity_trio():
    data = cases.FactorsAsImages()
    identity = zoo.metrics.beta_vae_score(data, cases.as_fn(cases.identity), **SMALL)
    assert identity["train_accuracy"] == 1.0 and identity["eval_accuracy"] == 1.0
    # A constant code gives the classifier nothing: chance, 1/K = 0.25 (the floor of this score).
    const = zoo.metrics.beta_vae_score(data, cases.as_fn(cases.constant), **SMALL)
    assert const["eval_accuracy"] < 0.35
    # The score does not claim to penalise a duplicated latent (a linear probe still finds it).
    dup = zoo.metrics.beta_vae_score(data, cases.as_fn(cases.duplicated), **SMALL)
    assert dup["eval_accuracy"] == 1.0
    # Rotated pairs: fixing either factor of a pair changes both codes alike, so the pair's two
    # factors are confused (about half right).
    rot = zoo.metrics.beta_vae_score(data, cases.as_fn(cases.rotated), **SMALL)
    assert rot["eval_accuracy"] < 0.75


def test_beta_vae_on_tiny_is_deterministic_in_seed():
    data = zoo.data.load("tiny")
    a = zoo.metrics.beta_vae_score(data, cases.tiny_moments, seed=1, **SMALL)
    b = zoo.metrics.beta_vae_score(data, cases.tiny_moments, seed=np.random.default_rng(1), **SMALL)
    assert a == b
    assert 0.5 < a["eval_accuracy"] <= 1.0
