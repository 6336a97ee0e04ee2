"""Bad inputs get a clear error naming the problem, never a silent NaN."""

import numpy as np
import pytest

import metrics_cases as cases
import zoo.metrics

F = cases.factors(120, sizes=(3, 4, 3))
Z = cases.identity(F) + np.random.default_rng(0).normal(0, 0.1, F.shape)


def _train_test(fn, **kw):
    return lambda codes, factors: fn(codes, factors, Z[:40], F[:40], **kw)


# Every array metric as f(codes, factors): train/test metrics get a fixed, valid test split.
ARRAY_METRICS = {
    "mig": zoo.metrics.mig,
    "irs": zoo.metrics.irs,
    "sap": _train_test(zoo.metrics.sap),
    "modularity_explicitness": _train_test(zoo.metrics.modularity_explicitness),
    "dci": _train_test(zoo.metrics.dci, backend="fast", n_jobs=1),
}


@pytest.mark.parametrize("name", sorted(ARRAY_METRICS))
def test_wrong_rank(name):
    with pytest.raises(ValueError, match=r"codes.* must be a 2-D array \(N, D\); got shape \(120,\)"):
        ARRAY_METRICS[name](Z[:, 0], F)
    with pytest.raises(ValueError, match=r"factors.* must be a 2-D array \(N, K\)"):
        ARRAY_METRICS[name](Z, F[:, 0])


@pytest.mark.parametrize("name", sorted(ARRAY_METRICS))
def test_wrong_length(name):
    with pytest.raises(ValueError, match="has 119 rows but the codes have 120"):
        ARRAY_METRICS[name](Z, F[:-1])


@pytest.mark.parametrize("name", sorted(ARRAY_METRICS))
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_codes(name, bad):
    codes = Z.copy()
    codes[7, 1] = bad
    with pytest.raises(ValueError, match=r"NaN/inf value\(s\).*row 7, column 1"):
        ARRAY_METRICS[name](codes, F)


@pytest.mark.parametrize("name", ["mig", "sap", "modularity_explicitness", "dci"])
def test_constant_factor(name):
    factors = F.copy()
    factors[:, 2] = 1
    with pytest.raises(ValueError, match="column 2 is constant"):
        ARRAY_METRICS[name](Z, factors)


def test_irs_constant_factor_is_a_documented_value():
    # A constant factor is one group: its EMPIDA is the spread of the whole code, IRS_ik <= 0 for it,
    # and the other factors decide (the reference's behaviour, no NaN).
    factors = F.copy()
    factors[:, 2] = 1
    out = zoo.metrics.irs(Z, factors)["irs"]
    assert np.isfinite(out)


def test_fractional_factors():
    with pytest.raises(ValueError, match="integer class indices"):
        zoo.metrics.mig(Z, F + 0.5)
    # Integer-valued floats are fine.
    assert zoo.metrics.mig(Z, F.astype(float)) == zoo.metrics.mig(Z, F)


def test_train_test_mismatch():
    with pytest.raises(ValueError, match="codes_train has 3 dimensions but codes_test has 2"):
        zoo.metrics.sap(Z, F, Z[:, :2], F)
    with pytest.raises(ValueError, match="factors_train has 3 factors but factors_test has 2"):
        zoo.metrics.dci(Z, F, Z, F[:, :2])


def test_unsupervised_errors():
    with pytest.raises(ValueError, match="at least 2"):
        zoo.metrics.unsupervised(Z[:, :1])
    with pytest.raises(ValueError, match="NaN/inf"):
        zoo.metrics.unsupervised(np.where(Z > 2, np.nan, Z))


def test_num_bins_must_be_positive():
    with pytest.raises(ValueError, match="num_bins must be a positive integer"):
        zoo.metrics.mig(Z, F, num_bins=0)


def test_representation_fn_errors():
    data = cases.FactorsAsImages()
    with pytest.raises(ValueError, match=r"must map 1280 observations to an array of shape \(1280, D\); got shape \(1280,\)"):
        zoo.metrics.beta_vae_score(data, lambda x: np.zeros(len(x)), num_train=10, num_eval=10)
    with pytest.raises(ValueError, match="NaN/inf"):
        zoo.metrics.factor_vae_score(data, lambda x: np.full((len(x), 2), np.nan), num_train=10, num_eval=10,
                                     num_variance_estimate=10)
    with pytest.raises(TypeError, match="zoo.data.GroundTruthData"):
        zoo.metrics.beta_vae_score(object(), lambda x: x)
    with pytest.raises(ValueError, match="num_train must be a positive integer"):
        zoo.metrics.beta_vae_score(data, cases.as_fn(cases.identity), num_train=0)


def test_unknown_metric_name():
    with pytest.raises(ValueError, match="Unknown metric 'mgi'. Did you mean 'mig'.*Known metrics: mig, dci"):
        zoo.metrics.evaluate(cases.as_fn(cases.identity), cases.FactorsAsImages(), metrics=["mgi"])
    with pytest.raises(ValueError, match="Unknown metric 'nope'"):
        zoo.metrics.evaluate(cases.as_fn(cases.identity), cases.FactorsAsImages(), metrics=["mig"],
                             metric_options={"nope": {}})
