"""Modularity and explicitness: hand-derived values, documented edge values, the sanity trio."""

import numpy as np
import pytest

import metrics_cases as cases
import zoo.metrics
from zoo.metrics._modularity_explicitness import _macro_auc, modularity


def test_modularity_by_hand():
    # Rows are codes. [1, 0]: delta 0 -> 1. [1, 1]: (1 + 1 - 1) / (1 * (2 - 1)) = 1 -> 0.
    # [0, 0]: max 0 -> 0 by definition. Mean 1/3.
    assert modularity(np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])) == pytest.approx(1 / 3)
    # [2, 1, 0] with K = 3: delta = (4 + 1 + 0 - 4) / (4 * 2) = 1/8 -> 7/8.
    assert modularity(np.array([[2.0, 1.0, 0.0]])) == pytest.approx(7 / 8)


def test_macro_auc_by_hand():
    # Class 1 scores: positives {.35, .8} vs negatives {.1, .4}: 3 of 4 pairs ordered -> 0.75;
    # class 0 uses 1 - p, the mirror image, also 0.75.
    y = np.array([0, 0, 1, 1])
    p1 = np.array([0.1, 0.4, 0.35, 0.8])
    proba = np.stack([1 - p1, p1], axis=1)
    assert _macro_auc(y, proba, np.array([0, 1])) == pytest.approx(0.75)
    # Ties count one half.
    assert _macro_auc(np.array([0, 1]), np.full((2, 2), 0.5), np.array([0, 1])) == pytest.approx(0.5)
    # A class missing from the split is skipped, not NaN.
    y3 = np.array([0, 0, 1, 1])
    proba3 = np.column_stack([1 - p1, p1, np.zeros(4)])
    assert _macro_auc(y3, proba3, np.array([0, 1, 2])) == pytest.approx(0.75)


def test_sanity_trio():
    f = cases.factors(1500)

    def run(codes):
        return zoo.metrics.modularity_explicitness(*cases.split(codes, f, 1000))

    identity = run(cases.identity(f))
    assert identity["modularity"] > 0.99 and identity["explicitness_test"] > 0.9
    const = run(cases.constant(f))
    assert const["modularity"] == 0.0
    # A constant code has chance AUC, the floor of explicitness (documented; the reference divides by 0).
    assert const["explicitness_test"] == pytest.approx(0.5) and const["explicitness_train"] == pytest.approx(0.5)
    # Modularity and explicitness do not claim to penalise redundancy: a duplicate scores as well.
    dup = run(cases.duplicated(f))
    assert dup["modularity"] > 0.99 and dup["explicitness_test"] == pytest.approx(identity["explicitness_test"], abs=0.01)
    # A dimension mixing two of K factors equally has delta = 1 / (K - 1): modularity 2/3 for K = 4.
    rot = run(cases.rotated(f))
    assert rot["modularity"] < identity["modularity"] - 0.2
    # Explicitness is a linear probe: an invertible linear map (the rotation) leaves it (nearly) unchanged.
    assert rot["explicitness_test"] == pytest.approx(identity["explicitness_test"], abs=0.02)


def test_needs_two_factors():
    f = cases.factors(200)[:, :1]
    with pytest.raises(ValueError, match="at least 2 factors"):
        zoo.metrics.modularity_explicitness(*cases.split(cases.identity(f), f, 100))
