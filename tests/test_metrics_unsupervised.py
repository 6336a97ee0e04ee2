"""Unsupervised scores: hand-derived values, documented edge values, the sanity trio."""

import numpy as np
import pytest

import metrics_cases as cases
import zoo.metrics


def test_unsupervised_by_hand():
    # a = [1, 1, -1, -1], b = [1, -1, 1, -1]: Var a = Var b = s = 4/3, Cov(a, b) = 0.
    # Codes (a, a + b): Sigma = s [[1, 1], [1, 2]].
    # TC = 1/2 (log s + log 2s - log det) with det = s^2 (2 - 1): TC = 1/2 log 2.
    # W^2 = 2 tr Sigma - 2 tr sqrt(Sd^1/2 Sigma Sd^1/2), Sd^1/2 Sigma Sd^1/2 = s^2 [[1, r2], [r2, 4]];
    # for a 2x2 PSD matrix tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)) = s sqrt(5 + 2 sqrt 2).
    # MI: z1 in {1, -1}, z2 in {2, 0, 0, -2}; H(z1) = log 2, H(z1 | z2) = 1/2 log 2 -> I = 1/2 log 2,
    # counted twice over D^2 - D = 2 ordered pairs.
    a = np.array([1.0, 1.0, -1.0, -1.0])
    b = np.array([1.0, -1.0, 1.0, -1.0])
    s = 4 / 3
    out = zoo.metrics.unsupervised(np.stack([a, a + b], axis=1))
    w = 2 * 3 * s - 2 * s * np.sqrt(5 + 2 * np.sqrt(2))
    assert out["gaussian_total_correlation"] == pytest.approx(0.5 * np.log(2), abs=1e-12)
    assert out["gaussian_wasserstein_correlation"] == pytest.approx(w, abs=1e-12)
    assert out["gaussian_wasserstein_correlation_norm"] == pytest.approx(w / (3 * s), abs=1e-12)
    assert out["mutual_info_score"] == pytest.approx(0.5 * np.log(2), abs=1e-12)


def test_unsupervised_sanity_trio():
    # Lower is better here: the identity (independent factors) is near 0, the top.
    f = cases.factors(5000)
    identity = zoo.metrics.unsupervised(cases.identity(f))
    assert identity["gaussian_total_correlation"] < 0.01
    assert identity["gaussian_wasserstein_correlation_norm"] < 0.01
    assert identity["mutual_info_score"] < 0.01
    # A constant code is independent of itself: 0 everywhere (documented; the reference gives NaN).
    assert zoo.metrics.unsupervised(cases.constant(f)) == {
        "gaussian_total_correlation": 0.0, "gaussian_wasserstein_correlation": 0.0,
        "gaussian_wasserstein_correlation_norm": 0.0, "mutual_info_score": 0.0}
    # An exact duplicate is perfectly dependent: infinite Gaussian TC, large mutual information.
    dup = zoo.metrics.unsupervised(cases.duplicated(f))
    assert dup["gaussian_total_correlation"] == np.inf
    assert dup["mutual_info_score"] > identity["mutual_info_score"] + 0.05
    # Pairs scaled 1:2 before the rotation: correlation (1 - 4) / 5 per pair, TC = -log(1 - .36) per pair.
    rot = zoo.metrics.unsupervised(cases.rotated(f, scales=(1, 2, 1, 2)))
    assert rot["gaussian_total_correlation"] == pytest.approx(-np.log(0.64), abs=0.05)
    assert rot["gaussian_total_correlation"] > identity["gaussian_total_correlation"] + 0.1
    assert rot["gaussian_wasserstein_correlation_norm"] > identity["gaussian_wasserstein_correlation_norm"] + 0.05
    assert rot["mutual_info_score"] > identity["mutual_info_score"] + 0.05


def test_constant_dimension_is_left_out_of_gaussian_scores():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((1000, 2)) @ np.array([[1.0, 0.5], [0.0, 1.0]])
    with_constant = zoo.metrics.unsupervised(np.column_stack([z, np.full(1000, 2.0)]))
    without = zoo.metrics.unsupervised(z)
    for key in ("gaussian_total_correlation", "gaussian_wasserstein_correlation"):
        assert with_constant[key] == pytest.approx(without[key], abs=1e-12)
    assert np.isfinite(with_constant["gaussian_wasserstein_correlation_norm"])
