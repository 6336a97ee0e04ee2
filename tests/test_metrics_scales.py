"""Codes of unequal scales: each metric's normalisation is exercised (issue 38).

With codes whose dimensions all have the scale of the factors, a metric that forgets to divide by
a dimension's spread gives the same number as one that does: the FactorVAE score without the
division by the global variance passed every other test. Here the dimensions span two orders of
magnitude (`metrics_cases.SCALES`), and each score that claims not to depend on a code's units is
checked against the same codes at one scale; IRS, whose average is weighted by each dimension's
spread by design, is checked against that weighting.
"""

import numpy as np
import pytest

import metrics_cases as cases
import zoo.metrics

SCALES = cases.SCALES


@pytest.fixture(scope="module")
def f():
    return cases.factors(1200)


def test_factor_vae_score_divides_by_the_global_variance():
    data = cases.FactorsAsImages()
    settings = dict(num_train=400, num_eval=200, batch_size=16, num_variance_estimate=1000)
    plain = zoo.metrics.factor_vae_score(data, cases.as_fn(cases.noisy), **settings)
    scaled = zoo.metrics.factor_vae_score(data, cases.as_fn(lambda x: cases.noisy(x, SCALES)), **settings)
    assert plain["eval_accuracy"] > 0.95
    # Var_batch(z_d) / Var_data(z_d) does not change when z_d is multiplied by a constant: the same
    # argmin, vote for vote. Without the division, the 0.1-scaled dimension wins most votes.
    assert scaled == plain


def test_mig_and_modularity_discretise_each_dimension_over_its_own_range(f):
    plain, scaled = cases.noisy(f), cases.noisy(f, SCALES)
    assert zoo.metrics.mig(scaled, f)["mig"] == pytest.approx(zoo.metrics.mig(plain, f)["mig"], abs=1e-12)
    a = zoo.metrics.modularity_explicitness(*cases.split(plain, f, 800))
    b = zoo.metrics.modularity_explicitness(*cases.split(scaled, f, 800))
    assert a["modularity"] > 0.5
    # Explicitness standardises the codes before its logistic regressions: the same fits.
    for key in a:
        assert b[key] == pytest.approx(a[key], abs=1e-6), key


def test_dci_and_sap_do_not_depend_on_the_units(f):
    plain, scaled = cases.noisy(f), cases.noisy(f, SCALES)
    a = zoo.metrics.dci(*cases.split(plain, f, 800), n_jobs=1)
    b = zoo.metrics.dci(*cases.split(scaled, f, 800), n_jobs=1)
    assert a["disentanglement"] > 0.5
    for key in a:
        assert b[key] == pytest.approx(a[key], abs=1e-9), key
    # SAP on continuous factors: squared correlations, unit-free.
    sap = [zoo.metrics.sap(*cases.split(c, f, 800), continuous_factors=True)["sap"] for c in (plain, scaled)]
    assert sap[0] > 0.5 and sap[1] == pytest.approx(sap[0], abs=1e-9)


def test_unsupervised_gaussian_total_correlation_is_unit_free(f):
    mix = np.array([[1.0, 0.5, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.3], [0.0, 0.0, 0.0, 1.0]])
    codes = cases.noisy(f) @ mix  # correlated dimensions: a total correlation to measure
    plain, scaled = zoo.metrics.unsupervised(codes), zoo.metrics.unsupervised(codes * np.array(SCALES))
    assert plain["gaussian_total_correlation"] > 0.01
    for key in ("gaussian_total_correlation", "mutual_info_score"):
        assert scaled[key] == pytest.approx(plain[key], rel=1e-9), key


def test_irs_weights_each_dimension_by_its_spread(f):
    """IRS = sum_d w_d IRS_d / sum_d w_d with w_d = max_n |z_nd - mean z_d| (Suter et al. 2019):
    each dimension's own score is unit-free, its weight is not."""
    codes = cases.noisy(f, SCALES) + np.array([0.0, 0.0, 0.0, 1.0]) * np.sin(np.arange(len(f)))[:, None] * 6.0
    per_dim = np.array([zoo.metrics.irs(codes[:, d:d + 1] * 1.0, f)["irs"] for d in range(4)])
    assert per_dim.max() - per_dim.min() > 0.05  # the weighting matters
    weights = np.abs(codes - codes.mean(axis=0)).max(axis=0)
    assert zoo.metrics.irs(codes, f)["irs"] == pytest.approx(np.average(per_dim, weights=weights), abs=1e-12)
    for d in range(4):
        assert zoo.metrics.irs(codes[:, d:d + 1] * 7.0, f)["irs"] == pytest.approx(per_dim[d], abs=1e-12)
