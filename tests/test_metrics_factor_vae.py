"""FactorVAE score: the vote classifier by hand, the pruning quirk, the sanity trio."""

import numpy as np
import pytest

import metrics_cases as cases
import zoo.data
import zoo.metrics
from zoo.metrics._factor_vae import vote_accuracies

SMALL = dict(num_train=400, num_eval=200, batch_size=16, num_variance_estimate=1000)


def test_vote_accuracies_by_hand():
    # Columns are code dimensions. Majority factor: d0 -> 0 (5 > 2), d1 -> 1 (3 > 0), d2 -> 0 (1 > 0).
    # Train: (5 + 3 + 1) / 11 correct. Eval, one vote per cell: 3 of 6 land on the assigned pairs.
    train = np.array([[5, 0, 1], [2, 3, 0]])
    evaluation = np.ones((2, 3), dtype=int)
    assert vote_accuracies(train, evaluation) == pytest.approx((9 / 11, 0.5))


def test_pruning_compares_the_standard_deviation_and_counts_active_dims():
    # std(0.05 v0) = 0.05 * sqrt((4^2 - 1) / 12) = 0.0559 >= 0.05: active, although its variance
    # (0.0031) is below 0.05. std(0.03 v1) = 0.03 * sqrt(2) = 0.042 < 0.05: pruned. So 3 of the 4
    # dimensions are active (the reference would report 4, len of its mask).
    scale = np.array([0.05, 0.03, 1.0, 1.0])
    out = zoo.metrics.factor_vae_score(cases.FactorsAsImages(), cases.as_fn(lambda f: f * scale), **SMALL)
    assert out["num_active_dims"] == 3
    # Factor 1 lives only in the pruned dimension; it is never predicted: at most 3/4 correct.
    assert out["eval_accuracy"] == pytest.approx(0.75, abs=0.07)


def test_factor_vae_sanity_trio():
    data = cases.FactorsAsImages()
    identity = zoo.metrics.factor_vae_score(data, cases.as_fn(cases.identity), **SMALL)
    assert identity == {"train_accuracy": 1.0, "eval_accuracy": 1.0, "num_active_dims": 4}
    # A constant code has no active dimension: 0 (the reference's convention).
    const = zoo.metrics.factor_vae_score(data, cases.as_fn(cases.constant), **SMALL)
    assert const == {"train_accuracy": 0.0, "eval_accuracy": 0.0, "num_active_dims": 0}
    # Not penalised: both copies of factor 0 have zero batch variance, the first wins the argmin.
    dup = zoo.metrics.factor_vae_score(data, cases.as_fn(cases.duplicated), **SMALL)
    assert dup["eval_accuracy"] == 1.0 and dup["num_active_dims"] == 5
    rot = zoo.metrics.factor_vae_score(data, cases.as_fn(cases.rotated), **SMALL)
    assert rot["eval_accuracy"] < 0.75


def test_factor_vae_on_tiny():
    out = zoo.metrics.factor_vae_score(zoo.data.load("tiny"), cases.tiny_moments, seed=3, **SMALL)
    assert out["num_active_dims"] == 4
    assert 0.5 < out["eval_accuracy"] <= 1.0


def test_factor_vae_rejects_batch_of_one():
    with pytest.raises(ValueError, match="batch_size"):
        zoo.metrics.factor_vae_score(cases.FactorsAsImages(), cases.as_fn(cases.identity), batch_size=1)
