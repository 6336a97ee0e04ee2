"""DCI: hand-derived disentanglement/completeness, both backends, the sanity trio."""

import numpy as np
import pytest

import metrics_cases as cases
import zoo.metrics
from zoo.metrics._dci import completeness, disentanglement


def test_dci_from_importance_matrix_by_hand():
    # R [codes=3, factors=2]. Code 0 serves factor 0 alone (D_0 = 1); codes 1 and 2 split 2:5,
    # D_i = 1 - H_2(2/7, 5/7) = 0.136879...; weights rho = row sums / total = [.3, .35, .35].
    r = np.array([[0.6, 0.0], [0.2, 0.5], [0.2, 0.5]])
    h2 = -(2 / 7 * np.log2(2 / 7) + 5 / 7 * np.log2(5 / 7))
    assert disentanglement(r) == pytest.approx(0.3 * 1.0 + 0.7 * (1 - h2), abs=1e-9)
    # Factor 0 column (.6, .2, .2): C_0 = 1 - H_3; factor 1 column (0, .5, .5): C_1 = 1 - log 2 / log 3;
    # both columns sum to 1, so each weighs 1/2.
    h3 = -(0.6 * np.log(0.6) + 2 * 0.2 * np.log(0.2)) / np.log(3)
    assert completeness(r) == pytest.approx(0.5 * (1 - h3) + 0.5 * (1 - np.log(2) / np.log(3)), abs=1e-9)
    # Perfect and all-zero matrices.
    assert disentanglement(np.eye(3)) == pytest.approx(1.0, abs=1e-8)
    assert completeness(np.eye(3)) == pytest.approx(1.0, abs=1e-8)
    assert disentanglement(np.zeros((3, 2))) == pytest.approx(0.0, abs=1e-8)
    assert completeness(np.zeros((3, 2))) == pytest.approx(0.0, abs=1e-8)


@pytest.mark.parametrize("backend", ["exact", "fast"])
def test_dci_sanity_trio(backend):
    f = cases.factors(1200, sizes=(3, 4, 5, 3))
    n = 800

    def run(codes):
        return zoo.metrics.dci(*cases.split(codes, f, n), backend=backend, n_jobs=1)

    identity = run(cases.identity(f))
    assert identity["disentanglement"] > 0.95 and identity["completeness"] > 0.95
    assert identity["informativeness_test"] == 1.0
    const = run(cases.constant(f))
    assert const["disentanglement"] < 0.01 and const["completeness"] < 0.01
    # A duplicated latent splits factor 0's importance over two codes: completeness drops,
    # disentanglement (each code still serves one factor) does not.
    dup = run(cases.duplicated(f))
    assert dup["completeness"] < identity["completeness"] - 0.05
    assert dup["disentanglement"] > 0.9
    rot = run(cases.rotated(f))
    assert rot["disentanglement"] < identity["disentanglement"] - 0.3
    assert rot["completeness"] < identity["completeness"] - 0.3


def test_fast_booster_is_the_exact_algorithm_on_few_distinct_values():
    # With < 256 distinct values per code dimension the fast booster's bins hold one value each,
    # so it runs scikit-learn's algorithm itself: same importances up to the random order in which
    # exactly tied features are tried (seed to seed, sklearn itself moves by ~3e-3 here).
    from zoo.metrics._dci import _fit_one_exact, _fit_one_fast

    rng = np.random.default_rng(0)
    f = rng.integers(0, 4, (900, 3))
    x = np.round(f + 0.5 * rng.standard_normal((900, 3)), 1)
    for k in range(2):
        fast = _fit_one_fast(x[:600], f[:600, k], x[600:], f[600:, k], 0)
        exact = _fit_one_exact(x[:600], f[:600, k], x[600:], f[600:, k], 1)
        np.testing.assert_allclose(fast[0], exact[0], atol=5e-3)
        assert fast[1:] == pytest.approx(exact[1:], abs=5e-3)
    binary = (f[:, 0] > 1).astype(int)
    fast = _fit_one_fast(x[:600], binary[:600], x[600:], binary[600:], 0)
    exact = _fit_one_exact(x[:600], binary[:600], x[600:], binary[600:], 1)
    np.testing.assert_allclose(fast[0], exact[0], atol=0.02)


def test_dci_fast_close_to_exact_on_noisy_codes():
    rng = np.random.default_rng(3)
    f = cases.factors(1500, seed=3, sizes=(3, 4, 5, 3))
    mix = np.eye(4) + 0.3 * rng.standard_normal((4, 4))
    codes = cases.identity(f) @ mix + 0.3 * rng.standard_normal((1500, 4))
    exact = zoo.metrics.dci(*cases.split(codes, f, 1000), backend="exact", n_jobs=1)
    fast = zoo.metrics.dci(*cases.split(codes, f, 1000), backend="fast", n_jobs=1)
    for key in ("disentanglement", "completeness"):
        assert abs(fast[key] - exact[key]) < 0.03, (key, fast[key], exact[key])


def test_dci_parallel_equals_serial():
    f = cases.factors(400, sizes=(3, 4))
    codes = cases.identity(f) + np.random.default_rng(0).normal(0, 0.5, (400, 2))
    serial = zoo.metrics.dci(*cases.split(codes, f, 300), n_jobs=1)
    parallel = zoo.metrics.dci(*cases.split(codes, f, 300), n_jobs=2)
    assert serial == parallel


def test_dci_unknown_backend():
    f = cases.factors(100)
    with pytest.raises(ValueError, match="Unknown dci backend 'quick'.*'exact', 'fast'"):
        zoo.metrics.dci(*cases.split(cases.identity(f), f, 50), backend="quick")


def test_stage_threaded_booster_grows_scikit_learns_trees():
    # The exact backend grows each stage's trees on threads, each from a copy of the shared
    # random state positioned as scikit-learn's sequential loop would leave it. Duplicated code
    # columns make exact ties between features, which the per-tree random feature order breaks:
    # a tree seeded from the wrong draw would pick the other copy (checked below with another
    # seed), so equal importances mean equal random streams.
    from concurrent.futures import ThreadPoolExecutor

    from sklearn.ensemble import GradientBoostingClassifier

    from zoo.metrics._boosting import threaded_sklearn

    rng = np.random.default_rng(0)
    y = rng.integers(0, 6, 800)
    x = np.column_stack([y + rng.normal(0, 1.5, 800), rng.normal(size=800), np.round(y + rng.normal(0, 2, 800))])
    x = np.column_stack([x, x[:, 0], x[:, 2]])
    reference = GradientBoostingClassifier(random_state=3, n_estimators=30).fit(x, y)
    other_seed = GradientBoostingClassifier(random_state=4, n_estimators=30).fit(x, y)
    assert not np.array_equal(reference.feature_importances_, other_seed.feature_importances_)
    with ThreadPoolExecutor(3) as pool:
        threaded = threaded_sklearn.classifier(pool, random_state=3, n_estimators=30).fit(x, y)
    np.testing.assert_array_equal(threaded.feature_importances_, reference.feature_importances_)
    np.testing.assert_array_equal(threaded.predict_proba(x), reference.predict_proba(x))
    # Two classes: one tree per stage, scikit-learn's own loop.
    binary = threaded_sklearn.classifier(ThreadPoolExecutor(2), random_state=3, n_estimators=10).fit(x, y % 2)
    np.testing.assert_array_equal(binary.feature_importances_, GradientBoostingClassifier(
        random_state=3, n_estimators=10).fit(x, y % 2).feature_importances_)


def test_dci_exact_threads_equal_one_thread_and_the_plain_classifier():
    f = cases.factors(500, sizes=(3, 7, 2))
    codes = np.column_stack([cases.identity(f) + np.random.default_rng(1).normal(0, 0.8, (500, 3)), f[:, 1]])
    one = zoo.metrics.dci(*cases.split(codes, f, 350), n_jobs=1)
    two = zoo.metrics.dci(*cases.split(codes, f, 350), n_jobs=2)
    assert one == two
    from sklearn.ensemble import GradientBoostingClassifier

    from zoo.metrics._dci import completeness, disentanglement

    importance = np.stack([GradientBoostingClassifier(random_state=0).fit(codes[:350].astype(np.float64), f[:350, k])
                           .feature_importances_ for k in range(3)], axis=1)
    assert two["disentanglement"] == disentanglement(importance)
    assert two["completeness"] == completeness(importance)
