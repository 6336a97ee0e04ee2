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
    # A constant factor is one group, the whole sample: IRS_ik = 1 - q-quantile(|z_i - E z_i|) / max.
    # By hand, v1 = [0,0,1,1], v2 = [0,1,0,1], v3 = 5 (constant); z1 = 10 v1 + v2, z2 = v2 (as in
    # test_irs_by_hand, where v1 and v2 give 11/12).
    # z1 = [0, 1, 10, 11], mean 5.5, |z1 - mean| = [5.5, 4.5, 4.5, 5.5]: the 0.99-quantile (linear
    #   interpolation at 2.97 of the sorted [4.5, 4.5, 5.5, 5.5]) is 5.5 = the max, so IRS_13 = 0;
    # z2 = [0, 1, 0, 1], every |z2 - mean| = 0.5 = the max, so IRS_23 = 0.
    # The constant factor adds zeros, below every IRS_ik of v1, v2: the IRS stays 11/12.
    v = np.array([[0, 0, 5], [0, 1, 5], [1, 0, 5], [1, 1, 5]])
    z = np.stack([10 * v[:, 0] + v[:, 1], v[:, 1]], axis=1).astype(float)
    for q in (0.99, 1.0):
        assert zoo.metrics.irs(z, v, diff_quantile=q)["irs"] == pytest.approx(11 / 12)


def test_irs_needs_a_varying_factor():
    with pytest.raises(ValueError, match="irs needs at least one factor that varies"):
        zoo.metrics.irs(Z, np.full_like(F, 2))


# Degenerate inputs, metric by metric: a documented value or a clear error, never NaN or a number
# that only reflects the lack of data. Each row: (case, codes, factors).
_RNG = np.random.default_rng(3)
DEGENERATE = {
    "one factor": (Z, F[:, :1]),
    "more dimensions than points": (_RNG.standard_normal((5, 10)), _RNG.integers(0, 2, (5, 2))),
    "as many points as dimensions": (Z[:3], F[:3]),
    "constant codes": (np.full_like(Z, 0.3), F),
    "one point": (Z[:1], F[:1]),
    "one dimension": (Z[:, :1], F),
}
FEWER = "needs more points than code dimensions"
EXPECTED = {
    # metric: {case: documented value(s) (dict) or the error's message (str)}
    "mig": {"one factor": "in [0, 1]", "more dimensions than points": FEWER, "as many points as dimensions": FEWER,
            "constant codes": {"mig": 0.0}, "one point": "at least 2 rows", "one dimension": "at least 2 dimensions"},
    "irs": {"one factor": "in [0, 1]", "more dimensions than points": FEWER, "as many points as dimensions": FEWER,
            "constant codes": {"irs": 0.0}, "one point": "at least 2 rows", "one dimension": "in [0, 1]"},
    "sap": {"one factor": "in [0, 1]", "more dimensions than points": FEWER, "as many points as dimensions": FEWER,
            "constant codes": {"sap": 0.0}, "one point": "at least 2 rows", "one dimension": "at least 2 dimensions"},
    "modularity_explicitness": {
        "one factor": "needs at least 2 factors", "more dimensions than points": FEWER,
        "as many points as dimensions": FEWER,
        "constant codes": {"modularity": 0.0, "explicitness_train": 0.5, "explicitness_test": 0.5},
        "one point": "at least 2 rows", "one dimension": "in [0, 1]"},
    "dci": {"one factor": "needs at least 2 factors and 2 code dimensions", "more dimensions than points": FEWER,
            "as many points as dimensions": FEWER,
            # 1e-11 added to an all-zero importance matrix: entropy 1 in every base, scores 0.
            "constant codes": {"disentanglement": 0.0, "completeness": 0.0},
            "one point": "at least 2 rows", "one dimension": "needs at least 2 factors and 2 code dimensions"},
    "unsupervised": {"one factor": "in [0, inf)", "more dimensions than points": FEWER,
                     "as many points as dimensions": FEWER,
                     "constant codes": {"gaussian_total_correlation": 0.0, "gaussian_wasserstein_correlation": 0.0,
                                        "gaussian_wasserstein_correlation_norm": 0.0, "mutual_info_score": 0.0},
                     "one point": "at least 2 rows", "one dimension": "need at least 2"},
}
DEGENERATE_METRICS = {**ARRAY_METRICS, "unsupervised": lambda codes, factors: zoo.metrics.unsupervised(codes)}


def _train_test_on_self(fn, **kw):
    return lambda codes, factors: fn(codes, factors, codes, factors, **kw)


# The train/test metrics scored on the degenerate split itself (so the test split is degenerate too).
DEGENERATE_METRICS.update(sap=_train_test_on_self(zoo.metrics.sap),
                          modularity_explicitness=_train_test_on_self(zoo.metrics.modularity_explicitness),
                          dci=_train_test_on_self(zoo.metrics.dci, backend="fast", n_jobs=1))


@pytest.mark.parametrize("case", sorted(DEGENERATE))
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_degenerate_inputs_give_a_documented_value_or_a_clear_error(name, case):
    codes, factors = DEGENERATE[case]
    expected = EXPECTED[name][case]
    if isinstance(expected, str) and not expected.startswith("in ["):
        with pytest.raises(ValueError, match=expected):
            DEGENERATE_METRICS[name](codes, factors)
        return
    scores = DEGENERATE_METRICS[name](codes, factors)
    assert all(np.isfinite(v) for v in scores.values()), scores
    if isinstance(expected, dict):
        for key, value in expected.items():
            assert scores[key] == pytest.approx(value, abs=1e-9), (key, scores)
    else:
        upper = np.inf if expected.endswith("inf)") else 1.0
        assert all(0.0 <= v <= upper for v in scores.values()), scores


def test_intervention_metrics_refuse_codes_without_dimensions():
    data = cases.FactorsAsImages()
    for score in (zoo.metrics.beta_vae_score, zoo.metrics.factor_vae_score):
        with pytest.raises(ValueError, match=r"shape \(\d+, D\), D >= 1; got shape \(\d+, 0\)"):
            score(data, lambda x: np.zeros((len(x), 0)), num_train=10, num_eval=10)


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
    with pytest.raises(ValueError, match=r"must map 1280 observations to an array of shape \(1280, D\), D >= 1; got shape \(1280,\)"):
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


def test_input_checks_keep_their_contract():
    """What `check_codes` / `check_factors` promise, each line a survivor of the 2026-12-07 metric-core
    mutation run (docs/mutation.md): the hint only for 1-D input, the names, the smallest accepted
    shape, which dtypes pass and what they become."""
    from zoo.metrics._utils import check_codes, check_factors

    # The hint is exact and given only where it applies; the default name is the argument's.
    with pytest.raises(ValueError, match=r"^codes must be a 2-D array \(N, D\); got shape \(5,\) "
                                         r"\(use codes\[:, None\] for a single dimension\)\.$"):
        check_codes(np.zeros(5))
    with pytest.raises(ValueError, match=r"^codes must be a 2-D array \(N, D\); got shape \(2, 2, 2\)\.$"):
        check_codes(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=r"^factors must be a 2-D array \(N, K\); got shape \(5,\) "
                                         r"\(use factors\[:, None\] for a single factor\)\.$"):
        check_factors(np.zeros(5), 5)
    with pytest.raises(ValueError, match=r"^factors must be a 2-D array \(N, K\); got shape \(5, 1, 1\)\.$"):
        check_factors(np.zeros((5, 1, 1)), 5)
    # Two rows and one column is the smallest input; a held-out split may have N <= D (fit defaults to False).
    assert check_codes(np.array([[0.0], [1.0]])).shape == (2, 1)
    assert check_codes(np.zeros((3, 5))).shape == (3, 5)
    # Floating codes keep their precision; integer and boolean codes become float64 with the same values.
    assert check_codes(np.ones((3, 2), np.float32)).dtype == np.float32
    for ints in (np.arange(6).reshape(3, 2), np.arange(6, dtype=np.int8).reshape(3, 2), np.eye(3, dtype=bool)):
        out = check_codes(ints)
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out, ints.astype(np.float64))
    for bad in (np.full((3, 2), "1"), np.ones((3, 2), complex), np.full((3, 2), None)):
        with pytest.raises(ValueError, match=r"^codes must be numeric; got dtype "):
            check_codes(bad)
    # Factors: discrete ones become int64 from any integer, boolean or whole floating dtype; continuous
    # ones float64; float32 factors are checked for fractions and NaN like float64 ones.
    for whole in (np.array([[0], [1], [2]], np.int32), np.array([[0.0], [1.0], [2.0]], np.float32),
                  np.array([[0.0], [1.0], [2.0]]), np.array([[True], [False], [True]])):
        out = check_factors(whole, 3)
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out, whole.astype(np.int64))
        assert check_factors(whole, 3, discrete=False).dtype == np.float64
    with pytest.raises(ValueError, match="integer class indices"):
        check_factors(np.array([[0.0], [0.5], [2.0]], np.float32), 3)
    with pytest.raises(ValueError, match="contains NaN/inf"):
        check_factors(np.array([[0.0], [np.nan], [2.0]], np.float32), 3)
    for bad in (np.full((3, 1), "1"), np.ones((3, 1), complex)):
        with pytest.raises(ValueError, match=r"^factors must be real numbers; got dtype "):
            check_factors(bad, 3)


def test_single_threaded_limits_every_pool_to_one_thread():
    """`single_threaded` (the metrics' BLAS limit) sets each loaded pool to exactly one thread."""
    from threadpoolctl import threadpool_info

    from zoo.metrics._utils import single_threaded

    np.ones((4, 4)) @ np.ones((4, 4))  # loads numpy's BLAS, so there is a pool to limit
    before = threadpool_info()
    assert before, "no thread pool loaded: nothing to check"
    with single_threaded():
        assert {pool["num_threads"] for pool in threadpool_info()} == {1}
    assert threadpool_info() == before
