"""Each metric's defaults are the study's settings, and the edges of its arguments are where it says.

The other tests pass their own small sizes, so a changed default (10,000 votes becoming 10,001, 20
bins becoming 21) and a check moved by one (batch_size < 2 becoming <= 2) went unnoticed by them
(mutation testing, docs/mutation.md). The values: disentanglement_lib's gin configs for the study
(Locatello et al. 2019), as each function's docstring cites them.
"""

import inspect

import numpy as np
import pytest

import metrics_cases as cases
import zoo.metrics
from zoo.metrics import _beta_vae, _factor_vae

STUDY = {
    zoo.metrics.mig: {"num_bins": 20},
    zoo.metrics.irs: {"diff_quantile": 0.99, "num_bins": 20},
    zoo.metrics.unsupervised: {"num_bins": 20},
    zoo.metrics.modularity_explicitness: {"num_bins": 20},
    zoo.metrics.sap: {"continuous_factors": False},
    zoo.metrics.dci: {"backend": "exact", "n_jobs": None, "seed": 0},
    zoo.metrics.beta_vae_score: {"seed": 0, "batch_size": 64, "num_train": 10_000, "num_eval": 5_000,
                                 "encode_once": None},
    _beta_vae.plan: {"seed": 0, "batch_size": 64, "num_train": 10_000, "num_eval": 5_000},
    zoo.metrics.factor_vae_score: {"seed": 0, "batch_size": 64, "num_train": 10_000, "num_eval": 5_000,
                                   "num_variance_estimate": 10_000, "prune_threshold": 0.05, "encode_once": None},
    _factor_vae.plan: {"seed": 0, "batch_size": 64, "num_train": 10_000, "num_eval": 5_000,
                       "num_variance_estimate": 10_000, "prune_threshold": 0.05},
}


@pytest.mark.parametrize("function", list(STUDY), ids=lambda f: f"{f.__module__}.{f.__name__}")
def test_defaults_are_the_studys(function):
    defaults = {name: p.default for name, p in inspect.signature(function).parameters.items()
                if p.default is not inspect.Parameter.empty}
    assert defaults == STUDY[function]


def test_factor_vae_score_edges():
    data = cases.FactorsAsImages()
    fn = cases.as_fn(cases.noisy)
    # The smallest batch and variance sample that define a variance (two points) are accepted ...
    out = zoo.metrics.factor_vae_score(data, fn, batch_size=2, num_train=50, num_eval=20, num_variance_estimate=2)
    assert 0.0 <= out["eval_accuracy"] <= 1.0
    # ... one fewer is refused; a threshold of 0 keeps every dimension that varies at all.
    for bad in ({"batch_size": 1}, {"num_variance_estimate": 1}, {"prune_threshold": -0.1}):
        with pytest.raises(ValueError):
            zoo.metrics.factor_vae_score(data, fn, num_train=10, num_eval=10, **bad)
    out = zoo.metrics.factor_vae_score(data, fn, num_train=50, num_eval=20, num_variance_estimate=100,
                                       batch_size=8, prune_threshold=0.0)
    assert out["num_active_dims"] == 4


def test_beta_vae_score_needs_two_fixed_factors_among_its_training_points():
    data = cases.FactorsAsImages()
    # Two training points that drew two different factors are enough to fit the classifier.
    seeds = [s for s in range(40) if len(set(np.random.default_rng(s).integers(4, size=2))) == 2]
    out = zoo.metrics.beta_vae_score(data, cases.as_fn(cases.noisy), seed=seeds[0], batch_size=4, num_train=2,
                                     num_eval=10)
    assert 0.0 <= out["eval_accuracy"] <= 1.0


def test_irs_refuses_a_quantile_above_one():
    f = cases.factors(200)
    assert zoo.metrics.irs(cases.noisy(f), f, diff_quantile=1.0)["irs"] > 0.0
    with pytest.raises(ValueError, match="diff_quantile"):
        zoo.metrics.irs(cases.noisy(f), f, diff_quantile=1.5)


def test_cluster_accuracy_takes_integral_floats_of_any_width_and_names_the_bad_argument():
    labels = np.array([0, 0, 1, 1, 2])
    for dtype in (np.float32, np.float64, np.int8, np.int64):
        assert zoo.metrics.cluster_accuracy(np.array([5, 5, 3, 3, 3], dtype), labels)["cluster_accuracy"] == 0.8
    with pytest.raises(ValueError, match="^codes must hold integer ids"):
        zoo.metrics.cluster_accuracy(np.array(["a", "b", "a", "b", "a"]), labels)
    with pytest.raises(ValueError, match="^codes must hold integer ids"):
        zoo.metrics.cluster_accuracy(np.array([0.5, 1, 1, 1, 1]), labels)
    with pytest.raises(ValueError, match="^labels has 4 entries"):
        zoo.metrics.cluster_accuracy([0, 1, 0, 1, 0], [0, 1, 0, 1])


def test_unsupervised_uses_its_bins_and_normalises_small_traces():
    f = cases.factors(600)
    mix = np.array([[1.0, 0.5, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.3], [0.0, 0.0, 0.0, 1.0]])
    codes = cases.noisy(f) @ mix
    # The mutual-information score at 3 bins: the mean over ordered pairs of discretised dimensions.
    binned = zoo.metrics.histogram_discretize(codes, 3)
    mi = zoo.metrics.mutual_information(binned, binned)
    expected = (mi.sum() - np.trace(mi)) / (4 * 4 - 4)
    assert zoo.metrics.unsupervised(codes, num_bins=3)["mutual_info_score"] == pytest.approx(expected, rel=1e-12)
    assert zoo.metrics.unsupervised(codes, num_bins=3)["mutual_info_score"] != pytest.approx(
        zoo.metrics.unsupervised(codes)["mutual_info_score"], rel=1e-3)
    # W^2 / tr(Sigma) also when tr(Sigma) < 1 (codes scaled down: W^2 scales with Sigma, the ratio not).
    small = zoo.metrics.unsupervised(codes * 0.05)
    large = zoo.metrics.unsupervised(codes)
    assert small["gaussian_wasserstein_correlation_norm"] == pytest.approx(
        large["gaussian_wasserstein_correlation_norm"], rel=1e-9)
    assert small["gaussian_wasserstein_correlation_norm"] > 0.001
    # A duplicated dimension: Sigma singular, its eigenvalues clipped at 0 (no NaN from a -1e-17).
    dup = zoo.metrics.unsupervised(np.concatenate([codes, codes[:, :1]], axis=1))
    assert np.isfinite(dup["gaussian_wasserstein_correlation"]) and dup["gaussian_total_correlation"] == np.inf


def _mixed(f):
    """Mid-range codes of unequal scales (one dimension's spread about 0.2, below 1, above 0.05)."""
    mix = np.array([[1.0, 1.0, 0.0, 0.0], [1.0, -0.6, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.3, 1.0, -0.7]])
    return (cases.noisy(f) @ mix) * np.array(cases.SCALES)


def test_calls_without_settings_use_the_studys():
    """The same numbers with the settings left out as with the study's written out: what a caller
    who omits them gets (a signature can keep its defaults while the body uses others)."""
    f = cases.factors(1200, seed=4)
    c = _mixed(f)
    split = cases.split(c, f, 800)
    assert zoo.metrics.mig(c, f) == zoo.metrics.mig(c, f, num_bins=20)
    assert zoo.metrics.irs(c, f) == zoo.metrics.irs(c, f, diff_quantile=0.99, num_bins=20)
    assert zoo.metrics.unsupervised(c) == zoo.metrics.unsupervised(c, num_bins=20)
    assert zoo.metrics.modularity_explicitness(*split) == zoo.metrics.modularity_explicitness(*split, num_bins=20)
    assert zoo.metrics.sap(*split) == zoo.metrics.sap(*split, continuous_factors=False)
    small = cases.split(c[:300], f[:300], 200)
    assert zoo.metrics.dci(*small, n_jobs=1) == zoo.metrics.dci(*small, backend="exact", n_jobs=1, seed=0)
    # The sampled scores at their full default sizes (cheap here: the codes are a function of 4 numbers).
    data, fn = cases.FactorsAsImages(), cases.as_fn(_mixed)
    assert zoo.metrics.factor_vae_score(data, fn) == zoo.metrics.factor_vae_score(
        data, fn, seed=0, batch_size=64, num_train=10_000, num_eval=5_000, num_variance_estimate=10_000,
        prune_threshold=0.05)
    assert zoo.metrics.beta_vae_score(data, fn) == zoo.metrics.beta_vae_score(
        data, fn, seed=0, batch_size=64, num_train=10_000, num_eval=5_000)
    # evaluate passes seed and sizes to the samplers' plans; their other settings are the plans' defaults.
    spelled = {"factor_vae_score": {"batch_size": 64, "num_variance_estimate": 10_000, "prune_threshold": 0.05},
               "beta_vae_score": {"batch_size": 64}}
    a, b = (zoo.metrics.evaluate(fn, data, metrics=["factor_vae_score", "beta_vae_score"], num_train=400, num_test=200,
                                 progress=False, metric_options=options) for options in (None, spelled))
    assert {k: v for k, v in a.items() if not k.startswith("timing.")} == \
           {k: v for k, v in b.items() if not k.startswith("timing.")}
    # Mid-range, so that a changed draw shows; all four dimensions above the 0.05 pruning threshold.
    assert 0.0 < a["factor_vae_score.eval_accuracy"] < 1.0 and 0.0 < a["beta_vae_score.eval_accuracy"] < 1.0
    assert a["factor_vae_score.num_active_dims"] == 4


def test_edges_found_by_the_last_mutation_run():
    """Survivors of the last `make mutation` run that are not equivalent (docs/mutation.md)."""
    f = cases.factors(300, seed=2)
    c = cases.noisy(f)
    # DCI with n_jobs left out picks its own number of workers: the same scores as one worker.
    small = cases.split(c[:200], f[:200], 150)
    assert zoo.metrics.dci(*small, backend="fast") == zoo.metrics.dci(*small, backend="fast", n_jobs=1)
    # Modularity needs two factors, and two are enough.
    two = cases.split(c[:, :2], f[:, :2], 200)
    assert 0.0 < zoo.metrics.modularity_explicitness(*two)["modularity"] <= 1.0
    with pytest.raises(ValueError, match="at least 2 factors"):
        zoo.metrics.modularity_explicitness(*cases.split(c[:, :2], f[:, :1], 200))
    # SAP checks factors as classes unless they are continuous values.
    halves = f + 0.5
    with pytest.raises(ValueError):
        zoo.metrics.sap(*cases.split(c, halves, 200))
    assert zoo.metrics.sap(*cases.split(c, halves, 200), continuous_factors=True)["sap"] > 0.1
    # Mutual information of every pair, also after a constant column (its row or column is 0).
    a = np.stack([f[:, 0], f[:, 1]], axis=1)
    b = np.stack([np.zeros(len(f), int), f[:, 1]], axis=1)
    mi = zoo.metrics.mutual_information(a, b)
    assert mi[0, 0] == 0.0 and mi[1, 1] == pytest.approx(zoo.metrics.entropy(f[:, 1:2])[0])


def test_edges_left_by_the_last_mutation_run():
    """The three real survivors docs/mutation.md listed as not killed."""
    from sklearn.preprocessing import StandardScaler

    from zoo.metrics import _modularity_explicitness as me

    # A split whose labels are all one class leaves no class with positives and negatives: NaN.
    proba = np.array([[0.2, 0.8], [0.4, 0.6], [0.1, 0.9]])
    assert np.isnan(me._macro_auc(np.array([1, 1, 1]), proba, np.array([0, 1])))
    # A constant code dimension is standardised as scikit-learn's StandardScaler does (scale 1, as
    # disentanglement_lib uses it): finite, and the other dimensions' explicitness is unchanged.
    f = cases.factors(300, seed=4)
    c = cases.noisy(f)
    with_constant = np.concatenate([c, np.full((len(c), 1), 3.0)], axis=1)
    scaler = StandardScaler().fit(with_constant[:200])
    assert np.isfinite(scaler.transform(with_constant)).all()
    plain = zoo.metrics.modularity_explicitness(*cases.split(c, f, 200))
    constant = zoo.metrics.modularity_explicitness(*cases.split(with_constant, f, 200))
    for key in ("explicitness_train", "explicitness_test"):
        assert np.isfinite(constant[key]) and constant[key] == pytest.approx(plain[key], abs=1e-6)
    # One bin is a legal (if useless) setting: every value lands in bin 1.
    np.testing.assert_array_equal(zoo.metrics.histogram_discretize(c, 1), np.ones(c.shape, np.int64))


def test_edges_found_by_the_metric_core_run():
    """Survivors of the 2026-12-07 run over _dci, _utils and _modularity_explicitness (docs/mutation.md)."""
    from zoo.metrics import _modularity_explicitness as me
    from zoo.metrics._utils import histogram_discretize, seed_of

    # A Generator gives scikit-learn the next draw below 2**31 - 1 from its own stream.
    assert seed_of(np.random.default_rng(5)) == int(np.random.default_rng(5).integers(2**31 - 1))
    # No seed: a fresh seed that scikit-learn accepts (below 2**32), drawn from a wide range.
    fresh = [seed_of(None) for _ in range(64)]
    assert all(isinstance(s, int) and 0 <= s < 2**32 for s in fresh) and max(fresh) > 2**20
    # Bins are integers.
    assert histogram_discretize(np.linspace(0.0, 1.0, 12)[:, None], num_bins=3).dtype == np.int64
    # A test split with no usable class in any factor is refused, not averaged to NaN.
    with pytest.raises(ValueError, match="no class with both positives and negatives"):
        me._nanmean([np.nan, np.nan])
    # Split metrics name the argument that is wrong, and refuse fractional factors in either split.
    f = cases.factors(120, sizes=(3, 4, 3))
    z = cases.identity(f) + np.random.default_rng(0).normal(0, 0.1, f.shape)
    bad = z.copy()
    bad[3, 1] = np.nan
    for args, name in (((bad, f, z, f), "codes_train"), ((z, f, bad, f), "codes_test"),
                       ((z, f[:-1], z, f), "factors_train"), ((z, f, z, f[:-1]), "factors_test")):
        with pytest.raises(ValueError, match=f"^{name} "):
            zoo.metrics.sap(*args)
    for args in ((z, f + 0.5, z, f), (z, f, z, f + 0.5)):
        with pytest.raises(ValueError, match="integer class indices"):
            zoo.metrics.sap(*args)
    # A factor that does not vary within the test split is allowed there (scored, not refused).
    held = f[80:].copy()
    held[:, 0] = 1
    assert np.isfinite(zoo.metrics.sap(z[:80], f[:80], z[80:], held)["sap"])


def test_irs_default_bins_merge_factor_classes_as_the_studys_20():
    """IRS bins the *factors* (20 bins); with fewer than 20 classes per factor any bin count >= the
    class count groups alike, so the default is seen only on a factor with more classes, like
    dSprites' 32 positions (a survivor of the 2026-12-07 run: `num_bins=21` as the default)."""
    rng = np.random.default_rng(7)
    f = np.stack([rng.integers(0, 32, 2000), rng.integers(0, 3, 2000)], axis=1)
    c = np.stack([np.sin(f[:, 0] / 3.0) + rng.normal(0, 0.1, 2000), f[:, 1] + rng.normal(0, 0.3, 2000)], axis=1)
    default = zoo.metrics.irs(c, f)["irs"]
    assert default == zoo.metrics.irs(c, f, num_bins=20)["irs"]
    assert default != zoo.metrics.irs(c, f, num_bins=21)["irs"]


def test_shared_helpers_defaults_called_without_them():
    """`histogram_discretize` bins into 20 and `check_pair` asks for class indices when their settings
    are left out (signature-default survivors of the 2026-12-07 run)."""
    from zoo.metrics._utils import check_pair, histogram_discretize

    x = np.linspace(0.0, 1.0, 100)[:, None]
    np.testing.assert_array_equal(histogram_discretize(x), histogram_discretize(x, 20))
    assert histogram_discretize(x).max() == 20
    f = cases.factors(120, sizes=(3, 4, 3))
    z = cases.identity(f)
    with pytest.raises(ValueError, match="integer class indices"):
        check_pair(z[:80], f[:80] + 0.5, z[80:], f[80:])
    assert check_pair(z[:80], f[:80], z[80:], f[80:])[1].dtype == np.int64
